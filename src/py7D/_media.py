"""Signed media URLs: preview clips, streams and downloads carry OAuth in their query."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ._auth import OAuth1Auth
from ._config import Settings, is_live_api
from ._exceptions import ValidationError
from ._request import encode_value

__all__ = ["PREVIEW_CLIP_URL", "preview_clip_url", "sign_media_url"]

PREVIEW_CLIP_URL = "http://previews.7digital.com/clip"


def sign_media_url(signer: OAuth1Auth, url: str, params: Mapping[str, Any]) -> str:
    """``url`` with ``params`` (encoded as API values; None and empty left out), signed."""
    extra = {k: v for k, v in ((k, encode_value(k, v)) for k, v in params.items()) if v}
    return signer.sign_url(url, extra)


def preview_clip_url(settings: Settings, track_id: int | str, signer: OAuth1Auth | None) -> str:
    """The 30-second clip URL of ``track_id``, signed; unsigned ``track/preview`` without a signer.

    Against the real API the clip host is ``previews.7digital.com``; against
    any other base URL (the sandbox) the ``/clip`` path of that host.
    """
    track = str(track_id)
    if not (track.isascii() and track.isdigit()):
        raise ValidationError(f"track_id must be numeric, got {track_id!r}")
    if signer is None:
        key = settings.require_key()
        return str(
            httpx.URL(
                f"{settings.api_url}/track/preview",
                params={"oauth_consumer_key": key, "trackid": track},
            )
        )
    if is_live_api(settings.api_url):
        base = PREVIEW_CLIP_URL
    else:
        url = httpx.URL(settings.api_url)
        base = f"{url.scheme}://{url.netloc.decode('ascii')}/clip"
    params = {"country": settings.country} if settings.country else {}
    return signer.sign_url(f"{base}/{track}", params)
