"""OAuth 1.0 signing (HMAC-SHA1) as an ``httpx.Auth``, through oauthlib.

7digital signs "2-legged" calls with the consumer key and secret, and
"3-legged" calls with a user's access token as well. The signature covers the
query string and a form-encoded body, so :class:`OAuth1Auth` asks httpx for
the body before signing (``requires_request_body``). One generator serves both
``httpx.Client`` and ``httpx.AsyncClient``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, Union
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

from ._exceptions import APIClientException

if TYPE_CHECKING:
    from oauthlib import oauth1

__all__ = ["KeyAndSecret", "OAuth1Auth", "Token", "TokenLike", "sign_url"]

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Token:
    """An OAuth token: ``key`` is public, ``secret`` is never shown.

    Request tokens and access tokens are both tokens; the original py7D's
    ``oauth.Token`` had the same ``.key`` / ``.secret`` attributes.
    """

    key: str
    secret: str

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not isinstance(self.secret, str):
            raise APIClientException("a token's key and secret must be strings")
        if not self.key:
            raise APIClientException("a token needs a non-empty key")

    def __repr__(self) -> str:
        return f"Token(key={self.key!r}, secret='***')"

    @classmethod
    def coerce(cls, value: TokenLike) -> Token:
        """Accept a :class:`Token`, a ``(key, secret)`` pair or an object with key/secret."""
        if isinstance(value, Token):
            return value
        if isinstance(value, tuple) and len(value) == 2:
            # No str() here: it would turn (None, None) into a token keyed 'None'.
            return cls(value[0], value[1])
        key, secret = getattr(value, "key", None), getattr(value, "secret", None)
        if isinstance(key, str) and isinstance(secret, str):
            return cls(key, secret)
        raise APIClientException(
            "access_token must be a py7D.Token(key, secret) or a (key, secret) tuple, "
            f"not {type(value).__name__}"
        )


class KeyAndSecret(Protocol):
    """A token object with ``key`` and ``secret`` strings (oauthlib's, the original py7D's)."""

    @property
    def key(self) -> str: ...

    @property
    def secret(self) -> str: ...


#: What ``access_token=`` takes: a :class:`Token`, a ``(key, secret)`` pair or a token object.
TokenLike = Union[Token, "tuple[str, str]", KeyAndSecret]


def default_nonce() -> str:
    return secrets.token_hex(16)


class OAuth1Auth(httpx.Auth):
    """Signs each request with OAuth 1.0 HMAC-SHA1 (``Authorization: OAuth ...`` header).

    ``token`` makes it 3-legged. ``clock`` and ``nonce`` are injectable so that
    tests can reproduce published known-answer signatures.
    """

    requires_request_body = True

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        token: Token | None = None,
        *,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = default_nonce,
    ) -> None:
        self.consumer_key = consumer_key
        self._consumer_secret = consumer_secret
        self.token = token
        self._clock = clock
        self._nonce = nonce

    def __repr__(self) -> str:
        token = self.token.key if self.token else None
        return f"OAuth1Auth(consumer_key={self.consumer_key!r}, token={token!r})"

    def _client(self, *, in_query: bool) -> oauth1.Client:
        from oauthlib import oauth1  # here: a program making only unsigned calls never loads it

        if in_query:
            signature_type = oauth1.SIGNATURE_TYPE_QUERY
        else:
            signature_type = oauth1.SIGNATURE_TYPE_AUTH_HEADER
        return oauth1.Client(
            self.consumer_key,
            client_secret=self._consumer_secret,
            resource_owner_key=self.token.key if self.token else None,
            resource_owner_secret=self.token.secret if self.token else None,
            signature_method=oauth1.SIGNATURE_HMAC_SHA1,
            signature_type=signature_type,
            nonce=self._nonce(),
            timestamp=str(int(self._clock())),
        )

    def sign_request(self, request: httpx.Request) -> None:
        """Add the ``Authorization`` header to ``request`` in place."""
        body: str | None = None
        headers: dict[str, str] = {}
        content_type = request.headers.get("content-type", "")
        if content_type.split(";")[0].strip().lower() == FORM_CONTENT_TYPE and request.content:
            # Form parameters are part of the base string; other bodies are not.
            body = request.content.decode("utf-8")
            headers["Content-Type"] = FORM_CONTENT_TYPE
        try:
            method: Any = request.method
            _, signed_headers, _ = self._client(in_query=False).sign(
                str(request.url),
                method,
                body=body,
                headers=headers,
            )
        except ValueError as exc:  # oauthlib refuses some malformed URIs/bodies
            raise APIClientException(f"cannot sign this request: {exc}") from None
        request.headers["Authorization"] = signed_headers["Authorization"]

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign_request(request)
        yield request

    def sign_url(self, url: str, params: Mapping[str, str] | None = None) -> str:
        """Return ``url`` (plus ``params``) signed as a GET with the OAuth parameters in the query.

        For media fetched by URL (previews, streams), where a player cannot send headers.
        """
        if params:
            parts = urlsplit(url)
            extra = urlencode(list(params.items()))
            query = f"{parts.query}&{extra}" if parts.query else extra
            url = urlunsplit(parts._replace(query=query))
        try:
            signed, _, _ = self._client(in_query=True).sign(url, "GET")
        except ValueError as exc:
            raise APIClientException(f"cannot sign this URL: {exc}") from None
        return str(signed)


def sign_url(
    url: str,
    consumer_key: str,
    consumer_secret: str,
    token: Token | None = None,
    params: Mapping[str, str] | None = None,
    *,
    clock: Callable[[], float] = time.time,
    nonce: Callable[[], str] = default_nonce,
) -> str:
    """Sign a media URL (preview clip, stream) with the OAuth parameters in its query string."""
    auth = OAuth1Auth(consumer_key, consumer_secret, token, clock=clock, nonce=nonce)
    return auth.sign_url(url, params)
