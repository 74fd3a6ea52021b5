"""File names from titles: one safe segment on every common filesystem, collisions resolved."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from py7D._filenames import MAX_NAME_BYTES, NameSpace, safe_name


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("../../Where Are You? (Paris/Tokyo Mix)", "Where Are You_ (Paris_Tokyo Mix)"),
        ("..", "_"),
        (".", "_"),
        ("", "_"),
        ("...hidden", "hidden"),
        ("Takk...", "Takk"),
        ("AC/DC", "AC_DC"),
        ("back\\slash", "back_slash"),
        ('a<b>c:d"e|f?g*h', "a_b_c_d_e_f_g_h"),
        ("tab\there\nnew\x00line\x7f", "tab here new_line_"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("Com1", "_Com1"),
        ("Console", "Console"),
        ("  spaced   out  ", "spaced out"),
    ],
)
def test_safe_name(title: str, expected: str) -> None:
    assert safe_name(title) == expected


def test_long_names_are_cut_on_a_character_boundary_and_keep_the_suffix() -> None:
    name = safe_name("ö" * 300, suffix=".flac")
    assert name.endswith(".flac")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    name.encode("utf-8").decode("utf-8")  # no broken character


def test_unicode_is_normalised_to_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Sigur Rós")
    assert safe_name(decomposed) == "Sigur Rós"


@given(st.text(max_size=400), st.sampled_from(["", ".mp3", ".flac"]))
def test_any_title_gives_one_harmless_segment(title: str, suffix: str) -> None:
    name = safe_name(title, suffix=suffix)
    assert "/" not in name
    assert "\\" not in name
    assert name not in (".", "..")
    assert not name.startswith(".")
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in name)
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert name.endswith(suffix)
    stem = name[: len(name) - len(suffix)] if suffix else name
    assert not stem.endswith((".", " "))


def test_case_collisions_get_a_number_and_owners_keep_their_name() -> None:
    space = NameSpace()
    assert space.claim("Pink", "artist-3", suffix="") == "Pink"
    assert space.claim("PINK", "artist-9") == "PINK (2)"
    assert space.claim("pink", "artist-10") == "pink (3)"
    assert space.claim("Pink", "artist-3") == "Pink"  # the same owner, the same name
    tracks = NameSpace()
    assert tracks.claim("01 - Intro", 1, suffix=".mp3") == "01 - Intro.mp3"
    assert tracks.claim("01 - INTRO", 2, suffix=".mp3") == "01 - INTRO (2).mp3"
    nfd = unicodedata.normalize("NFD", "01 - Ágætis")
    assert tracks.claim("01 - Ágætis", 3, suffix=".mp3") == "01 - Ágætis.mp3"
    assert tracks.claim(nfd, 4, suffix=".mp3").endswith("(2).mp3")
    assert tracks.reserve("01 - Intro.mp3", 1)
    assert not tracks.reserve("01 - intro.MP3", 5)
