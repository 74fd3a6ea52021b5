"""Pages outside ``/1.2``: the OAuth login page, the hosted card form, a fake PayPal
approval page, and the signed media URLs of clips and streams.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlencode

import httpx

from .._endpoints import MEDIA_FORMATS, AuthLevel
from ._catalogue import Track
from ._core import HTML_TYPE, Sandbox, text_response, web_route
from ._errors import OAuthRefusedError
from ._oauth import collect_signed_params
from ._shop import SHOPS
from ._state import AccessToken, RequestToken

__all__ = ["fake_audio"]

# Every page: one <main> with a heading, fields each with its own <label>, errors in a
# role="alert" paragraph the fields point at, and nothing that needs a mouse.
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:30em;margin:3em auto;padding:0 1em;color:#222}}
.field{{margin:1em 0}} label{{display:block;font-weight:600;margin-bottom:.25em}}
input,select{{font-size:1rem;padding:.4em;width:100%;box-sizing:border-box}}
button{{font-size:1rem;padding:.5em 1.2em;margin-right:.5em}}
:focus{{outline:3px solid #1a5fb4;outline-offset:2px}}
.error{{color:#a00;border-left:4px solid #a00;padding-left:.6em}}
.hint{{color:#555;font-size:.9em}} .sandbox{{color:#555;font-size:.85em}}
</style></head>
<body><main><h1>{title}</h1>{body}
<p class=sandbox>py7D sandbox: a local stand-in for 7digital; nothing here is real.</p>
</main></body></html>
"""


def _html(status: int, title: str, body: str) -> httpx.Response:
    page = _PAGE.format(title=html.escape(title), body=body)
    return httpx.Response(status, content=page.encode("utf-8"), headers={"content-type": HTML_TYPE})


def _redirect(url: str) -> httpx.Response:
    return httpx.Response(302, headers={"location": url, "content-type": "text/plain"})


def _field(
    name: str,
    label: str,
    *,
    kind: str = "text",
    value: str = "",
    autocomplete: str = "",
    error_id: str = "",
    extra: str = "",
) -> str:
    """A labelled ``<input>`` (``id`` = ``name``), required, pointing at an error if any."""
    e = html.escape
    described = f' aria-describedby="{error_id}" aria-invalid="true"' if error_id else ""
    auto = f' autocomplete="{autocomplete}"' if autocomplete else ""
    return (
        f'<div class=field><label for="{name}">{e(label)}</label>'
        f'<input id="{name}" name="{name}" type="{kind}" value="{e(value)}" required'
        f"{auto}{described}{extra}></div>"
    )


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
    """``/<consumerKey>/oauth/authorise``: a login form that authorises a request token.

    "Allow access" (the default of a POST) signs in and authorises; "Deny"
    (``decision=deny``) leaves the token unauthorised and says so, or returns
    to the callback with ``denied=<token>``.
    """
    form = _form(request)
    key = form.get("oauth_token", "")
    state = sandbox.state
    with state.lock:
        token = state.request_token(key)
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
                "<p class=error role=alert>This authorisation link is invalid or has expired.</p>",
            )
        callback = form.get("oauth_callback") or token.callback or ""
        if request.method != "POST":
            return _login_form(key, callback, email="", error="")
        if form.get("decision") == "deny":
            if callback and callback.lower() != "oob":
                return _redirect(_with_query(callback, denied=key))
            return _html(
                200,
                "Access denied",
                "<p>The application may not use your 7digital account. You can close this "
                "window.</p>",
            )
        email = form.get("email", "")
        user = state.check_credentials(email, form.get("password", ""))
        if user is None:
            return _login_form(
                key,
                callback,
                email=email,
                error="Wrong e-mail address or password. Check both and try again.",
            )
        state.authorise_request_token(key, user.id)
    if callback and callback.lower() != "oob":
        return _redirect(_with_query(callback, oauth_token=key, status="Authorised"))
    return _html(
        200,
        "Access granted",
        "<p>The application may now use your 7digital account. You can close this window.</p>",
    )


def _login_form(token: str, callback: str, *, email: str, error: str) -> httpx.Response:
    e = html.escape
    error_id = "login-error" if error else ""
    problem = f'<p class=error role=alert id="{error_id}">{e(error)}</p>' if error else ""
    body = (
        f"{problem}<p>An application wants to access your 7digital account. "
        "Sign in to allow it.</p>"
        '<form method="post">'
        f'<input type="hidden" name="oauth_token" value="{e(token)}">'
        f'<input type="hidden" name="oauth_callback" value="{e(callback)}">'
        + _field(
            "email",
            "E-mail address",
            kind="email",
            value=email,
            autocomplete="username",
            error_id=error_id,
            extra=" autofocus",
        )
        + _field(
            "password",
            "Password",
            kind="password",
            autocomplete="current-password",
            error_id=error_id,
        )
        + '<button type="submit" name="decision" value="allow">Allow access</button>'
        '<button type="submit" name="decision" value="deny" formnovalidate>Deny</button></form>'
    )
    return _html(200, "Sign in to 7digital (sandbox)", body)


# -- hosted card form -----------------------------------------------------------------
@web_route(lambda seg: len(seg) == 2 and seg[0].lower() == "cardregistration")
def card_form(sandbox: Sandbox, request: httpx.Request, segments: list[str]) -> httpx.Response:
    """``/cardregistration/<id>``: the payment provider's card form (POST completes it)."""
    registration_id = segments[1]
    state = sandbox.state
    with state.lock:
        registration = state.registration(registration_id)
        if registration is None or registration.status != "pending":
            return _html(404, "Card registration", "<p class=error>Unknown registration.</p>")
        if request.method == "POST":
            form = _form(request)
            state.complete_registration(
                registration_id,
                form.get("cardnumber", "").replace(" ", ""),
                form.get("cardtype", "VISA"),
                form.get("cardholdername", ""),
                form.get("cardexpirydate", ""),
            )
            return _redirect(
                _with_query(registration.redirect_url, cardRegistrationId=registration_id)
            )
    body = (
        "<p>Enter the card to store with your 7digital account.</p>"
        '<p class=hint id="card-hint">Test cards: 4111111111111111 is accepted, '
        "4012888888881881 is refused.</p>"
        '<form method="post">'
        + _field(
            "cardNumber",
            "Card number",
            value="4111111111111111",
            autocomplete="cc-number",
            extra=' inputmode="numeric" aria-describedby="card-hint" autofocus',
        )
        + '<div class=field><label for="cardType">Card type</label>'
        '<select id="cardType" name="cardType"><option>VISA</option><option>MASTERCARD</option>'
        "<option>AMEX</option><option>MAESTRO</option></select></div>"
        + _field("cardHolderName", "Name on card", autocomplete="cc-name")
        + _field(
            "cardExpiryDate",
            "Expiry month (yyyyMM)",
            value="203012",
            extra=' inputmode="numeric" pattern="[0-9]{6}"',
        )
        + '<button type="submit">Register card</button></form>'
    )
    return _html(200, "Register a card", body)


# -- fake PayPal --------------------------------------------------------------------------
@web_route(lambda seg: [s.lower() for s in seg] == ["paypal", "checkout"])
def paypal_page(sandbox: Sandbox, request: httpx.Request, segments: list[str]) -> httpx.Response:
    """``/paypal/checkout?token=EC-…``: the approval page; approving (a POST with
    ``decision=approve``) returns to the success URL with ``token`` and ``PayerID``,
    cancelling to the cancel URL with ``token``."""
    form = _form(request)
    token = form.get("token", "")
    basket = sandbox.state.basket_by_paypal_token(token) if token else None
    urls = basket.paypal_urls if basket else None
    if basket is None or urls is None:
        return _html(
            404,
            "PayPal checkout",
            "<p class=error role=alert>This PayPal checkout link is unknown or has expired.</p>",
        )
    if request.method == "POST":
        if form.get("decision") == "approve":
            return _redirect(_with_query(urls[0], token=token, PayerID="SANDBOXPAYER"))
        return _redirect(_with_query(urls[1], token=token))
    e = html.escape
    currency = SHOPS[basket.shop_id].currency
    body = (
        f"<p>Pay <strong>{e(currency.format(basket.due))}</strong> to 7digital for "
        f"{len(basket.items)} item(s)?</p>"
        '<form method="post">'
        f'<input type="hidden" name="token" value="{e(token)}">'
        '<button type="submit" name="decision" value="approve" autofocus>Pay with PayPal</button>'
        '<button type="submit" name="decision" value="cancel">Cancel and return</button>'
        "</form>"
    )
    return _html(200, "PayPal checkout", body)


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
    consumer = sandbox.consumer_for(request, signed)
    if consumer is None:  # metered routes only run for known keys; kept for safety
        raise OAuthRefusedError("Access to resource denied")
    # CONSUMER/USER levels refuse a request without a signature.
    token = sandbox.verify_oauth(request, signed, consumer, level)
    assert token is None or isinstance(token, AccessToken)
    if not track_id or not track_id.isdecimal():
        return text_response(400, "Missing or invalid trackId")
    # Streams take 7digital's streaming formats (26) as well as the download formats.
    if format_id is not None and (not format_id.isdecimal() or int(format_id) not in MEDIA_FORMATS):
        return text_response(400, "Missing or invalid formatId")
    track = sandbox.catalogue.track(int(track_id))
    if track is None:
        return text_response(404, "Track not found")
    return track, token


def _owns(sandbox: Sandbox, token: AccessToken | RequestToken | None, track: Track) -> bool:
    if not isinstance(token, AccessToken):
        return False
    return sandbox.state.owns(token.user_id, track.id)


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
        sandbox,
        request,
        level,
        params.get("trackid"),
        params.get("formatid") or "",
    )
    if isinstance(found, httpx.Response):
        return found
    track, token = found
    if locker and not _owns(sandbox, token, track):
        return text_response(403, "Track is not in the user's locker")
    return _audio(fake_audio(track.id, 16384), request)
