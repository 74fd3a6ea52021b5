"""What ``Sandbox(seeded_locker=True)`` puts in alice's locker, ready to download.

Three earlier purchases: Keane's "Night Train" single (the whole release), a
track whose title holds ``../`` and ``/`` (so downloaders must make file names
safe), and a track whose title ends in dots (which Windows drops).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from ._catalogue import Catalogue
from ._state import LockerEntry

__all__ = ["SEEDED_LOCKER", "seeded_locker"]

_UTC = dt.timezone.utc

#: (release id, track ids or None for the whole release, purchase date).
SEEDED_LOCKER: tuple[tuple[int, tuple[int, ...] | None, dt.datetime], ...] = (
    (100003, None, dt.datetime(2019, 3, 1, 12, 0, tzinfo=_UTC)),
    (100013, (1000140,), dt.datetime(2019, 6, 1, 12, 0, tzinfo=_UTC)),
    (100015, (1000152,), dt.datetime(2019, 9, 1, 12, 0, tzinfo=_UTC)),
)


def seeded_locker(
    catalogue: Catalogue, user_id: int, new_purchase_id: Callable[[], int]
) -> list[LockerEntry]:
    """The locker entries of :data:`SEEDED_LOCKER` for ``user_id``, one purchase id each."""
    entries: list[LockerEntry] = []
    for release_id, track_ids, when in SEEDED_LOCKER:
        release = catalogue.releases[release_id]
        purchase_id = new_purchase_id()
        whole = track_ids is None
        for track_id in track_ids or release.track_ids:
            entries.append(LockerEntry(user_id, release_id, track_id, purchase_id, when, whole))
    return entries
