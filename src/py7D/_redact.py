"""Keeping secrets out of logs and messages: URL redaction and py7D's log filters.

Secrets (consumer secret, token secret, signatures, passwords, card numbers)
never appear in logs, reprs or exception messages; everything that shows a
URL or request goes through :func:`redact_url` / :func:`describe_request`.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, TypeGuard

if TYPE_CHECKING:
    import httpx

__all__ = [
    "SECRET_PARAMS",
    "RedactingFilter",
    "SigningDebugFilter",
    "describe_request",
    "install_log_redaction",
    "redact_url",
]

# Query/form keys whose values must never be shown anywhere.
SECRET_PARAMS = frozenset(
    {
        "oauth_signature",
        "oauth_token",
        "oauth_token_secret",
        "password",
        "secret",
        "consumer_secret",
        "token_secret",
        "cardnumber",
        "cardverificationcode",
    }
)


def redact_url(url: str | httpx.URL) -> str:
    """Return ``url`` with the values of secret query parameters replaced by ``***``."""
    import urllib.parse

    text = str(url)
    parts = urllib.parse.urlsplit(text)
    if parts.password is not None:
        # https://user:password@host/...: keep the user, hide the password.
        host = parts.netloc.rsplit("@", 1)[1]
        parts = parts._replace(netloc=f"{parts.username}:***@{host}")
        text = urllib.parse.urlunsplit(parts)
    if not parts.query:
        return text
    pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    safe = [(k, "***" if k.lower() in SECRET_PARAMS else v) for k, v in pairs]
    query = urllib.parse.urlencode(safe, safe="*,")
    return urllib.parse.urlunsplit(parts._replace(query=query))


class RedactingFilter(logging.Filter):
    """Redacts secret query parameters in the arguments of log records.

    httpx logs every request's full URL at INFO (``HTTP Request: GET https://...``).
    py7D signs in the ``Authorization`` header, but some calls carry secrets in
    the query (``oauth/requestToken/authorise`` sends the user's password).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(_looks_like_url(a) for a in args):
            record.args = tuple(redact_url(a) if _looks_like_url(a) else a for a in args)
        return True


def _looks_like_url(value: object) -> TypeGuard[str | httpx.URL]:
    import httpx

    if isinstance(value, httpx.URL):
        return True
    return isinstance(value, str) and "://" in value and "?" in value


class SigningDebugFilter(logging.Filter):
    """Drops oauthlib's DEBUG/INFO records about signing.

    oauthlib logs, at DEBUG, every signed request's collected parameters (a
    password sent in a query or form among them), its signature base string
    and the signature itself. Nothing else in those records is worth the leak.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


# logger name -> the filter py7D attaches to it. (A filter only sees records
# logged on its own logger, not on its children, hence the exact names.)
_LOG_FILTERS: dict[str, type[logging.Filter]] = {
    "httpx": RedactingFilter,
    "oauthlib.oauth1.rfc5849": SigningDebugFilter,
    "oauthlib.oauth1.rfc5849.signature": SigningDebugFilter,
}
_redaction_lock = threading.Lock()


def install_log_redaction() -> None:
    """Attach py7D's log filters to httpx's and oauthlib's loggers (once; then a no-op)."""
    with _redaction_lock:
        for name, kind in _LOG_FILTERS.items():
            target = logging.getLogger(name)
            if not any(isinstance(f, kind) for f in target.filters):
                target.addFilter(kind())


def describe_request(request: httpx.Request | None) -> str | None:
    """``'GET https://host/1.2/artist/search?q=pink'`` with secrets redacted."""
    if request is None:
        return None
    return f"{request.method} {redact_url(request.url)}"
