"""Pages outside ``/1.2``: the OAuth login page, the hosted card form, a fake PayPal
approval page, and the signed media URLs of clips and streams.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlencode

import httpx

from .._endpoints import AuthLevel
from ._catalogue import FORMATS, Track
from ._core import HTML_TYPE, Sandbox, text_response, web_route
from ._errors import OAuthRefusedError
from ._oauth import collect_signed_params
from ._state import AccessToken, RequestToken

__all__ = ["fake_audio"]

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:28em;margin:3em auto}}
label{{display:block;margin:.6em 0}} .error{{color:#b00}}</style></head>
<body><h1>{title}</h1>{body}</body></html>
"""


def _html(status: int, title: str, body: str) -> httpx.Response:
    page = _PAGE.format(title=html.escape(title), body=body)
    return httpx.Response(status, content=page.encode("utf-8"), headers={"content-type": HTML_TYPE})


def _redirect(url: str) -> httpx.Response:
    return httpx.Response(302, headers={"location": url, "content-type": "text/plain"})


def _with_query(url: str, **params: str) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


def _form(request: httpx.Request) -> dict[str, str]:
    pairs = parse_qsl(request.url.query.decode("ascii", "replace"), keep_blank_values=True)
    if request.method == "POST":
        pairs += parse_qsl(request.content.decode("utf-8", "replace"), keep_blank_values=True)
    out: dict[str, str] = {}
    for key, value in pairs:
        out.setdefault(key.lower(), value)
    return out


# -- OAuth authorisation page -----------------------------------------------------------
def _is_authorise(seg: list[str]) -> bool:
    return (
        len(seg) == 3 and seg[1].lower() == "oauth" and seg[2].lower() in ("authorise", "authorize")
    )


@web_route(_is_authorise)
def authorise_page(sandbox: Sandbox, request: httpx.Request, segments: list[str]) -> httpx.Response:
    """``/<consumerKey>/oauth/authorise``: a login form that authorises a request token."""
    form = _form(request)
    key = form.get("oauth_token", "")
    with sandbox._lock:
        token = sandbox._request_tokens.get(key)
        valid = (
            token is not None
            and not token.used
            and sandbox.clock() <= token.expires
            and segments[0] in (token.consumer_key, "web")
        )
        if not valid or token is None:
            return _html(
                400,
                "Authorisation failed",
                "<p class=error>This authorisation link is invalid or has expired.</p>",
            )
        callback = form.get("oauth_callback") or token.callback or ""
        if request.method != "POST":
            return _login_form(key, callback, error="")
        user = sandbox._check_credentials(form.get("email", ""), form.get("password", ""))
        if user is None:
            return _login_form(key, callback, error="Wrong e-mail address or password.")
        token.user_id = user.id
    if callback and callback.lower() != "oob":
        return _redirect(_with_query(callback, oauth_token=key, status="Authorised"))
    return _html(
        200,
        "Access granted",
        "<p>The application may now use your 7digital account. You can close this window.</p>",
    )


def _login_form(token: str, callback: str, *, error: str) -> httpx.Response:
    e = html.escape
    problem = f"<p class=error>{e(error)}</p>" if error else ""
    body = (
        f"{problem}<p>An application wants to access your 7digital sandbox account.</p>"
        '<form method="post">'
        f'<input type="hidden" name="oauth_token" value="{e(token)}">'
        f'<input type="hidden" name="oauth_callback" value="{e(callback)}">'
        '<label>E-mail <input name="email" type="email" autocomplete="username"></label>'
        '<label>Password <input name="password" type="password" '
        'autocomplete="current-password"></label>'
        '<button type="submit">Allow access</button></form>'
    )
    return _html(200, "Sign in to 7digital (sandbox)", body)


# -- hosted card form -----------------------------------------------------------------
@web_route(lambda seg: len(seg) == 2 and seg[0].lower() == "cardregistration")
def card_form(sandbox: Sandbox, request: httpx.Request, segments: list[str]) -> httpx.Response:
    """``/cardregistration/<id>``: the payment provider's card form (POST completes it)."""
    registration_id = segments[1]
    with sandbox._lock:
        registration = sandbox._registrations.get(registration_id)
        if registration is None or registration.status != "pending":
            return _html(404, "Card registration", "<p class=error>Unknown registration.</p>")
        if request.method == "POST":
            form = _form(request)
            sandbox._complete_registration(
                registration_id,
                form.get("cardnumber", "").replace(" ", ""),
                form.get("cardtype", "VISA"),
                form.get("cardholdername", ""),
                form.get("cardexpirydate", ""),
            )
            return _redirect(
                _with_query(registration.redirect_url, cardRegistrationId=registration_id)
            )
    e = html.escape
    body = (
        '<form method="post">'
        '<label>Card number <input name="cardNumber" value="4111111111111111"></label>'
        '<label>Type <select name="cardType"><option>VISA</option><option>MASTERCARD</option>'
        "<option>AMEX</option><option>MAESTRO</option></select></label>"
        '<label>Name on card <input name="cardHolderName"></label>'
        '<label>Expiry (yyyyMM) <input name="cardExpiryDate" value="203012"></label>'
        f'<button type="submit">Register card {e(registration_id[:8])}</button></form>'
    )
    return _html(200, "Register a card", body)


# -- fake PayPal --------------------------------------------------------------------------
@web_route(lambda seg: [s.lower() for s in seg] == ["paypal", "checkout"])
def paypal_page(sandbox: Sandbox, request: httpx.Request, segments: list[str]) -> httpx.Response:
    """``/paypal/checkout?token=EC-…``: approves at once and returns to the success URL."""
    token = _form(request).get("token", "")
    with sandbox._lock:
        basket = next((b for b in sandbox._baskets.values() if b.paypal_token == token), None)
        urls = basket.paypal_urls if basket else None
    if not token or urls is None:
        return text_response(404, "Unknown PayPal token")
    return _redirect(_with_query(urls[0], token=token, PayerID="SANDBOXPAYER"))


# -- media ----------------------------------------------------------------------------------
def fake_audio(track_id: int, size: int) -> bytes:
    """Deterministic bytes that start like an MP3 file (ID3 tag, then frame headers)."""
    frame = b"\xff\xfb\x90\x64" + bytes((track_id + i) % 251 for i in range(413))
    header = b"ID3\x04\x00\x00\x00\x00\x00\x00"
    body = header + frame * (size // len(frame) + 1)
    return body[:size]


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _audio(data: bytes, request: httpx.Request) -> httpx.Response:
    """Serve ``data`` as audio/mpeg, honouring a single ``Range: bytes=a-b``."""
    headers = {"content-type": "audio/mpeg", "accept-ranges": "bytes"}
    wanted = request.headers.get("range")
    match = _RANGE.match(wanted.strip()) if wanted else None
    if wanted is None or match is None or match.group(0) == "bytes=-":
        return httpx.Response(200, content=data, headers=headers)
    size = len(data)
    first, last = match.groups()
    if first == "":
        start, end = max(0, size - int(last)), size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        return httpx.Response(416, headers={**headers, "content-range": f"bytes */{size}"})
    return httpx.Response(
        206,
        content=data[start : end + 1],
        headers={**headers, "content-range": f"bytes {start}-{end}/{size}"},
    )


def _media_track(
    sandbox: Sandbox,
    request: httpx.Request,
    level: AuthLevel,
    track_id: str | None,
    format_id: str | None,
) -> tuple[Track, AccessToken | None] | httpx.Response:
    signed = collect_signed_params(request)
    consumer = sandbox._consumer_for(request, signed)
    if consumer is None:  # metered routes only run for known keys; kept for safety
        raise OAuthRefusedError("Access to resource denied")
    # CONSUMER/USER levels refuse a request without a signature.
    token = sandbox.verify_oauth(request, signed, consumer, level)
    assert token is None or isinstance(token, AccessToken)
    if not track_id or not track_id.isdecimal():
        return text_response(400, "Missing or invalid trackId")
    if format_id is not None and (not format_id.isdecimal() or int(format_id) not in FORMATS):
        return text_response(400, "Missing or invalid formatId")
    track = sandbox.catalogue.track(int(track_id))
    if track is None:
        return text_response(404, "Track not found")
    return track, token


def _owns(sandbox: Sandbox, token: AccessToken | RequestToken | None, track: Track) -> bool:
    if not isinstance(token, AccessToken):
        return False
    with sandbox._lock:
        return any(e.track_id == track.id for e in sandbox._lockers.get(token.user_id, []))


@web_route(lambda seg: len(seg) == 2 and seg[0].lower() == "clip", metered=True)
def clip(sandbox: Sandbox, request: httpx.Request, segments: list[str]) -> httpx.Response:
    """``/clip/<trackId>``: a 30-second preview (2-legged, signed in the query)."""
    found = _media_track(sandbox, request, AuthLevel.CONSUMER, segments[1], None)
    if isinstance(found, httpx.Response):
        return found
    return _audio(fake_audio(found[0].id, 4096), request)


@web_route(
    lambda seg: [s.lower() for s in seg] in (["stream", "catalogue"], ["stream", "locker"]),
    metered=True,
)
def stream(sandbox: Sandbox, request: httpx.Request, segments: list[str]) -> httpx.Response:
    """``/stream/catalogue`` (2-legged) and ``/stream/locker`` (3-legged); locker downloads
    are served by ``_media_download``."""
    params = _form(request)
    locker = segments[1].lower() == "locker"
    level = AuthLevel.USER if locker else AuthLevel.CONSUMER
    found = _media_track(
        sandbox, request, level, params.get("trackid"), params.get("formatid") or ""
    )
    if isinstance(found, httpx.Response):
        return found
    track, token = found
    if locker and not _owns(sandbox, token, track):
        return text_response(403, "Track is not in the user's locker")
    return _audio(fake_audio(track.id, 16384), request)
