"""OAuth 1.0 verification for the sandbox (RFC 5849, HMAC-SHA1), built on oauthlib.

The sandbox checks signatures independently of py7D's own signer: parameter
collection, normalisation, the base-string URI and HMAC-SHA1 all come from
``oauthlib.oauth1.rfc5849``. Only the 7digital-specific rules live here:

* OAuth parameters may arrive in the ``Authorization`` header, the query
  string or a form-encoded body, and an identical ``oauth_*`` name/value pair
  found in two places counts once (the Node client sends the consumer key
  both in the header and the query and signs it once).
* The base-string URI uses the scheme and host the client asked for (the
  request URL; the served server rebuilds it from the ``Host`` header).
* Timestamps must be within ``max_skew`` seconds of the sandbox clock and a
  nonce may not be used twice by one consumer inside that window.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, cast

import httpx
from oauthlib.common import safe_string_equals
from oauthlib.oauth1 import Client
from oauthlib.oauth1.rfc5849 import signature as rfc5849

from ._errors import OAuthRefusedError

if TYPE_CHECKING:
    from oauthlib.common import _HTTPMethod

__all__ = ["NonceStore", "SignedParams", "collect_signed_params", "verify_signature"]

FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class SignedParams:
    """Every request parameter that takes part in the signature, plus the OAuth values.

    ``params`` excludes ``oauth_signature`` and ``realm`` (the base-string
    input); ``oauth`` maps each ``oauth_*`` name to its value(s);
    ``malformed`` is set when a source could not be decoded as form data.
    """

    params: tuple[tuple[str, str], ...]
    oauth: Mapping[str, tuple[str, ...]]
    malformed: bool = False

    def get(self, name: str) -> str | None:
        """The single value of an ``oauth_*`` parameter (None when absent)."""
        values = self.oauth.get(name, ())
        return values[0] if values else None

    def conflicting(self) -> bool:
        """Whether some ``oauth_*`` parameter was sent with two different values."""
        return any(len(v) > 1 for v in self.oauth.values())

    @property
    def signature(self) -> str | None:
        """The ``oauth_signature`` value sent, if any."""
        return self.get("oauth_signature")


def is_form(request: httpx.Request) -> bool:
    """Whether the body is form-encoded (and so part of the parameters and the signature)."""
    content_type = str(request.headers.get("content-type", ""))
    return content_type.split(";", 1)[0].strip().lower() == FORM_TYPE


def _authorization_header(request: httpx.Request) -> str | None:
    value = request.headers.get("authorization")
    if value and value[:6].lower() == "oauth ":
        return str(value)
    return None


def collect_signed_params(request: httpx.Request) -> SignedParams:
    """Gather the parameters of ``request`` from the query, the OAuth header and a form body."""
    query = request.url.query.decode("ascii", "replace")
    header = _authorization_header(request)
    body = request.content.decode("latin-1") if is_form(request) else ""
    if header is None and not body:
        # Only the query: the same query always gives the same parameters (an unsigned
        # catalogue read, or a URL-signed one), so repeated reads skip oauthlib's parsing.
        return _query_params(query)
    return _collect(query, header, body)


@functools.lru_cache(maxsize=1024)
def _query_params(query: str) -> SignedParams:
    found = _collect(query, None, "")
    # Shared between requests: the ``oauth`` mapping must not change (nothing writes to it).
    return SignedParams(found.params, MappingProxyType(found.oauth), found.malformed)


def _collect(query: str, header: str | None, body: str) -> SignedParams:
    malformed = False
    sources: list[list[tuple[str, str]]] = []
    for kwargs in (
        {"uri_query": query},
        {"headers": {"Authorization": header}} if header else None,
        {"body": body} if body else None,
    ):
        if kwargs is None:
            continue
        try:
            found = rfc5849.collect_parameters(exclude_oauth_signature=False, **kwargs)
        except ValueError:
            malformed = True
            continue
        if "body" in kwargs and not found and body.strip():
            malformed = True  # oauthlib returns nothing for a body it cannot decode
        sources.append(found)

    seen: set[tuple[str, str]] = set()
    params: list[tuple[str, str]] = []
    oauth: dict[str, tuple[str, ...]] = {}
    for source in sources:
        for name, value in source:
            if name.startswith("oauth_"):
                if (name, value) in seen:
                    continue
                seen.add((name, value))
                oauth[name] = (*oauth.get(name, ()), value)
                if name == "oauth_signature":
                    continue
            params.append((name, value))
    return SignedParams(tuple(params), oauth, malformed)


def base_string_uri(request: httpx.Request) -> str:
    """Scheme, host and path as the client addressed them (no query)."""
    url = request.url
    raw_path = url.raw_path.split(b"?", 1)[0].decode("ascii", "replace") or "/"
    netloc = url.netloc.decode("ascii", "replace")
    return rfc5849.base_string_uri(f"{url.scheme}://{netloc}{raw_path}")


def normalized_parameters(signed: SignedParams) -> str:
    """RFC 5849 §3.4.1.3.2 normalised parameter string."""
    # The stubs type the argument as a dict; oauthlib takes a list of pairs.
    return rfc5849.normalize_parameters(cast("dict[str, str]", list(signed.params)))


def signature_base_string(request: httpx.Request, signed: SignedParams) -> str:
    """The signature base string the client should have signed."""
    method = cast("_HTTPMethod", request.method.upper())
    return rfc5849.signature_base_string(
        method, base_string_uri(request), normalized_parameters(signed)
    )


def verify_signature(
    request: httpx.Request,
    signed: SignedParams,
    *,
    consumer_key: str,
    consumer_secret: str,
    token: str | None = None,
    token_secret: str = "",
) -> bool:
    """Whether ``oauth_signature`` is the HMAC-SHA1 of the request's base string."""
    sent = signed.signature
    if sent is None or signed.malformed or signed.conflicting():
        return False
    client = Client(
        consumer_key,
        client_secret=consumer_secret,
        resource_owner_key=token,
        resource_owner_secret=token_secret,
    )
    expected = rfc5849.sign_hmac_sha1_with_client(signature_base_string(request, signed), client)
    return safe_string_equals(str(expected), sent)


class NonceStore:
    """Remembers ``(consumer, nonce)`` pairs for the timestamp window; thread-safe."""

    def __init__(self, clock: Callable[[], float], *, max_skew: int = 300) -> None:
        self._clock = clock
        self.max_skew = max_skew
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._next_prune = 0.0

    def check_timestamp(self, timestamp: str | None) -> None:
        """Refuse a missing, malformed or stale ``oauth_timestamp``."""
        try:
            value = int(timestamp or "")
        except ValueError:
            raise OAuthRefusedError("Timestamp out of range") from None
        if abs(value - self._clock()) > self.max_skew:
            raise OAuthRefusedError("Timestamp out of range")

    def use(self, consumer_key: str, nonce: str | None) -> None:
        """Record a nonce; refuse it if this consumer used it inside the window."""
        if not nonce:
            raise OAuthRefusedError("Nonce missing")
        now = self._clock()
        with self._lock:
            if now >= self._next_prune:
                horizon = now - 2 * self.max_skew
                self._seen = {k: t for k, t in self._seen.items() if t >= horizon}
                self._next_prune = now + self.max_skew
            key = (consumer_key, nonce)
            if key in self._seen and self._seen[key] >= now - 2 * self.max_skew:
                raise OAuthRefusedError("Nonce already used")
            self._seen[key] = now


def check_request(
    request: httpx.Request,
    signed: SignedParams,
    nonces: NonceStore,
    *,
    consumer_key: str,
    consumer_secret: str,
    token: str | None = None,
    token_secret: str = "",
) -> None:
    """Run every check of a signed request; raise :class:`OAuthRefusedError` on the first failure.

    Order: signature method, timestamp, signature, then the nonce (recorded
    only for a request whose signature is good, so forged requests cannot
    burn a client's nonces).
    """
    method = signed.get("oauth_signature_method")
    if method is None or signed.signature is None:
        raise OAuthRefusedError("Invalid signature")
    if method.upper() != "HMAC-SHA1":
        raise OAuthRefusedError(f"Unsupported signature method: {method}")
    nonces.check_timestamp(signed.get("oauth_timestamp"))
    if not verify_signature(
        request,
        signed,
        consumer_key=consumer_key,
        consumer_secret=consumer_secret,
        token=token,
        token_secret=token_secret,
    ):
        raise OAuthRefusedError("Invalid signature")
    nonces.use(consumer_key, signed.get("oauth_nonce"))
