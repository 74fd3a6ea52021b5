"""``py7d sign URL``: a signed media URL, and ``--explain``: how its signature is built.

The explanation recomputes each step with oauthlib's own RFC 5849 functions
(``collect_parameters``, ``normalize_parameters``, ``base_string_uri``,
``signature_base_string``, ``sign_hmac_sha1_with_client``) on the signed URL, so it shows
what a server checking the signature computes, not a copy of it.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import parse_qsl, urlsplit

from .base import CliError, ExitCode, UsageError
from .session import Session, open_session

if TYPE_CHECKING:
    from .._auth import Token

__all__ = ["Explanation", "explain", "run_sign", "write_explanation"]


@dataclass(frozen=True)
class Explanation:
    """The steps from a signed URL to its signature (no secret in any field)."""

    url: str
    method: str
    parameters: list[tuple[str, str]]
    encoded: list[tuple[str, str]]
    normalized: str
    base_uri: str
    base_string: str
    two_legged: bool
    given: str | None
    expected: str

    @property
    def matches(self) -> bool:
        return self.given == self.expected


def explain(
    url: str, consumer_secret: str, token_secret: str | None, method: Any = "GET"
) -> Explanation:
    """Recompute the signature of ``url`` step by step with oauthlib's functions."""
    from oauthlib import oauth1
    from oauthlib.oauth1.rfc5849 import signature, utils

    parts = urlsplit(url)
    params = signature.collect_parameters(uri_query=parts.query, exclude_oauth_signature=True)
    encoded = sorted((utils.escape(k), utils.escape(v)) for k, v in params)
    # oauthlib's stubs say dict; the function takes (and collect_parameters gives) pairs.
    pairs: Any = params
    normalized = signature.normalize_parameters(pairs)
    base_uri = signature.base_string_uri(url)
    base_string = signature.signature_base_string(method, base_uri, normalized)
    keys = oauth1.Client(
        "-", client_secret=consumer_secret, resource_owner_secret=token_secret or ""
    )
    expected = signature.sign_hmac_sha1_with_client(base_string, keys)
    given = dict(parse_qsl(parts.query, keep_blank_values=True)).get("oauth_signature")
    return Explanation(
        url=url,
        method=method,
        parameters=[(str(k), str(v)) for k, v in params],
        encoded=encoded,
        normalized=normalized,
        base_uri=base_uri,
        base_string=base_string,
        two_legged=not token_secret,
        given=given,
        expected=expected,
    )


def write_explanation(ex: Explanation, stream: TextIO) -> None:
    """The steps, numbered, as a person debugging a refused signature wants them."""
    w = stream.write
    w(f"URL\n  {ex.url}\n\n")
    w("1. Parameters: the query string, decoded, without oauth_signature\n")
    w("".join(f"     {k} = {v}\n" for k, v in ex.parameters))
    w("2. Each name and value percent-encoded (RFC 3986), sorted by name, then value\n")
    w("".join(f"     {k}={v}\n" for k, v in ex.encoded))
    w(f"3. Normalised parameter string (joined with '&')\n     {ex.normalized}\n")
    w("4. Base string URI (scheme and host lower case, default port, query and fragment dropped)\n")
    w(f"     {ex.base_uri}\n")
    w("5. Signature base string = METHOD & encode(base string URI) & encode(parameter string)\n")
    w(f"     {ex.base_string}\n")
    key = "***&" if ex.two_legged else "***&***"
    legs = "2-legged: no token secret" if ex.two_legged else "3-legged"
    w(f"6. Signing key = encode(consumer secret) & encode(token secret)\n     {key}   ({legs})\n")
    w(f"7. Signature = base64(HMAC-SHA1(signing key, base string))\n     {ex.expected}\n")
    if ex.given is not None:
        verdict = "matches" if ex.matches else "DOES NOT MATCH (other secret, or the URL changed)"
        w(f"   oauth_signature in the URL: {ex.given}  -> {verdict}\n")


def _token(session: Session, value: str | None) -> Token | None:
    from .._auth import Token

    if value is None:
        return None
    if value == "stored":
        return session.user_token()
    text = sys.stdin.readline().strip() if value == "-" else value
    key, sep, secret = text.partition(":")
    if not sep or not key:
        raise UsageError("--token takes KEY:SECRET (or '-' to read it from stdin)")
    return Token(key, secret)


def _extra_params(words: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise UsageError(f"expected key=value after the URL, got {word!r}")
        params[key] = value
    return params


def run_sign(options: argparse.Namespace) -> int:
    """Print the signed URL; with ``--explain``, the steps (and check an already signed URL)."""
    if not options.url.startswith(("http://", "https://")):
        raise UsageError(f"expected an http:// or https:// URL, got {options.url!r}")
    params = _extra_params(options.params)
    already_signed = "oauth_signature" in dict(parse_qsl(urlsplit(options.url).query))
    if already_signed and (params or not options.explain):
        raise UsageError("the URL is already signed; use --explain to check its signature")
    with open_session(options) as session:
        token = _token(session, options.token)
        client = session.client
        signed = (
            options.url if already_signed else client.sign_url(options.url, token=token, **params)
        )
        if not options.explain:
            sys.stdout.write(signed + "\n")
            return 0
        secret = client.settings.require_secret()
    steps = explain(signed, secret, token.secret if token else None)
    write_explanation(steps, sys.stdout)
    if already_signed and not steps.matches:
        raise CliError(
            "the URL's oauth_signature does not match one made with your consumer secret"
            + (" and token" if token else "")
            + " (see step 7)",
            ExitCode.AUTH,
        )
    return 0
