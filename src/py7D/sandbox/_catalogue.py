"""The sandbox's deterministic, generated catalogue.

``Catalogue(seed)`` builds a few thousand artists with releases and tracks
from ``random.Random(seed)``: the same seed always gives the same ids, names,
prices and charts. A handful of real-looking artists are fixed (ids 1-7):
Keane, Pink Floyd, Pink (P!nk), Pink Martini, Sigur Rós, Simon & Garfunkel
and Björk, so ``artist/search?q=pink`` has well-known answers and names with
``&`` and non-ASCII characters are always present.

Id ranges: artists from 1, releases from 100001, tracks from 1000001. A
release's tracks have consecutive ids.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import gc
import hashlib
import pickle
import random
import re
import threading
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

from .._endpoints import MEDIA_FORMATS

__all__ = [
    "FORMATS",
    "PACKAGES",
    "TAGS",
    "Artist",
    "Catalogue",
    "Release",
    "Track",
    "slugify",
]

RELEASE_ID_BASE = 100_000
TRACK_ID_BASE = 1_000_000

# download format id -> (description, legacy fileFormat, bitRate), from the table's formats
FORMATS: dict[int, tuple[str, str, int]] = {
    f.id: (f.description, f.file_format, f.bit_rate)
    for f in MEDIA_FORMATS.values()
    if not f.streaming and f.bit_rate is not None
}
# package id -> (description, formats, price uplift over the standard package in GBP)
PACKAGES: dict[int, tuple[str, tuple[int, ...], float]] = {
    2: ("standard", (17, 33), 0.0),
    9: ("premium", (45,), 2.0),
    12: ("deluxe tier 1", (52,), 4.0),
}

# (slug, display text)
TAGS: tuple[tuple[str, str], ...] = (
    ("pop", "pop"),
    ("rock", "rock"),
    ("electronic", "electronic"),
    ("dance", "dance"),
    ("jazz", "jazz"),
    ("hip-hop-rap", "hip hop/rap"),
    ("randb-soul", "r&b/soul"),
    ("indie-rock", "indie rock"),
    ("classical", "classical"),
    ("folk", "folk"),
    ("country", "country"),
    ("metal", "metal"),
    ("world", "world"),
    ("blues", "blues"),
    ("reggae", "reggae"),
    ("soundtrack", "soundtrack"),
    ("ambient", "ambient"),
    ("punk", "punk"),
    ("singer-songwriter", "singer-songwriter"),
    ("alternative", "alternative"),
    ("progressive-rock", "progressive rock"),
    ("psychedelic", "psychedelic"),
    ("lounge", "lounge"),
    ("1960s", "1960s"),
    ("1970s", "1970s"),
    ("1980s", "1980s"),
    ("1990s", "1990s"),
    ("2000s", "2000s"),
    ("2010s", "2010s"),
    ("2020s", "2020s"),
)
_GENRES = tuple(slug for slug, _ in TAGS if not slug[0].isdecimal())

LABELS: tuple[tuple[int, str], ...] = (
    (77, "EMI UK"),
    (973, "Roadrunner Records"),
    (3295, "Universal Music International Div."),
    (15788, "Island Records"),
    (417638, "Exile Productions/RCA Records"),
    (5001, "Harvest"),
    (5002, "Columbia"),
    (5003, "LaFace Records"),
    (5004, "Heinz Records"),
    (5005, "Smekkleysa"),
    (5006, "One Little Independent"),
    (5007, "Warp Records"),
    (5008, "Ninja Tune"),
    (5009, "Domino Recording Co"),
    (5010, "Rough Trade"),
    (5011, "Blue Note"),
    (5012, "Def Jam"),
    (5013, "Sub Pop"),
    (5014, "4AD"),
    (5015, "XL Recordings"),
)
LICENSORS: tuple[tuple[int, str], ...] = (
    (1, "Universal"),
    (2, "Sony Music"),
    (18, "Warner"),
    (68, "The Orchard"),
    (317, "Believe"),
    (400, "Merlin"),
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


LABEL_NAMES = dict(LABELS)
LICENSOR_NAMES = dict(LICENSORS)

_ADJ = _words(
    "Silver Velvet Electric Golden Broken Midnight Crimson Quiet Wild Hollow Neon Lunar Paper "
    "Frozen Burning Lost Northern Static Gentle Violent Sleepy Restless Hidden Empty Atomic "
    "Cosmic Rusty Lonely Savage Glass Iron Crystal Blue Scarlet Amber Ivory Emerald Shadow"
)
_NOUN = _words(
    "Wolf Tiger Harbour River Machine Garden Engine Signal Mirror Ocean Lantern Comet Falcon "
    "Orchard Canyon Valley Station Circuit Desert Forest Meadow Thunder Feather Anchor Arrow "
    "Beacon Crown Echo Ember Glacier Horizon Island Jungle Kingdom Monsoon Nebula Pilot Prism "
    "Raven Satellite Temple Tide Voyage Whisper Parade Rocket Harvest Siren"
)
_FIRST = _words(
    "Anna Ben Chloé Daniel Elena Felix Grace Hugo Iris Jonas Karin Leo Maya Nils Olivia Pablo "
    "Rosa Samuel Tara Ugo Vera William Zoë Amélie Björn Chiara Dagny Émile Freya Ines José"
)
_LAST = _words(
    "Andersson Baker Carter Dubois Evans Fischer García Hughes Ivanova Jensen Kowalski Larsen "
    "Moreau Nakamura O'Brien Petrov Quinn Rossi Schmidt Taylor Ueda Vidal Walsh Young "
    "Zimmermann Müller Sørensen Núñez"
)
_TITLE_WORDS = _words(
    "love night light heart fire rain dream summer city road home time star sky river heaven "
    "stone blood gold shadow dance ghost wave storm morning window letter secret paradise glory "
    "silence island echo memory thunder diamond highway winter spring autumn mirror machine "
    "garden angel honey velvet wonder fever"
)
_VERSIONS = ("", "", "", "", "", "Remastered", "Deluxe Edition", "Live", "Radio Edit", "UK Album")

_ISRC_COUNTRIES = ("GB", "US", "FR", "DE", "SE", "IS", "NL")
_REGISTRANTS = ("UM7", "SM1", "WB9", "EMI", "BLV", "ORC", "XLR", "DOM", "WRP", "NTN")
_MASK64 = (1 << 64) - 1


@functools.lru_cache(maxsize=1)
def _title_pool() -> tuple[str, ...]:
    """Every one- and two-word title plus a few featuring credits (picked by index: fast)."""
    titles = [w.title() for w in _TITLE_WORDS]
    titles += [f"{a} {b}".title() for a in _TITLE_WORDS for b in _TITLE_WORDS if a != b]
    titles += [f"{w.title()} (feat. {name})" for w in _TITLE_WORDS for name in _FIRST[:4]]
    return tuple(titles)


@dataclass(slots=True)
class Artist:
    """One artist."""

    id: int
    name: str
    sort_name: str
    slug: str
    popularity: float
    tags: tuple[str, ...]
    bio: str
    appears_as: str = ""
    release_ids: list[int] = field(default_factory=list)

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # Pickled as the constructor's arguments: the kept catalogue loads several times faster.
        return type(self), tuple(getattr(self, name) for name in self.__slots__)


@dataclass(slots=True)
class Release:
    """One release (album or single); its tracks are ``track_ids``."""

    id: int
    artist_id: int
    title: str
    version: str
    type: str
    barcode: str
    release_date: dt.date
    added_date: dt.date
    explicit: bool
    streaming_date: dt.date | None  # None: not licensed for streaming (written xsi:nil)
    slug: str
    label_id: int
    licensor_id: int
    popularity: float
    tags: tuple[str, ...]
    first_track_id: int
    track_count: int
    price: float
    rrp: float
    packages: tuple[int, ...]
    cline: str
    pline: str
    review: str

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # Pickled as the constructor's arguments: the kept catalogue loads several times faster.
        return type(self), tuple(getattr(self, name) for name in self.__slots__)

    @property
    def track_ids(self) -> range:
        """Ids of the release's tracks, in track-number order."""
        return range(self.first_track_id, self.first_track_id + self.track_count)

    @property
    def year(self) -> int:
        """Release year."""
        return self.release_date.year


@dataclass(slots=True)
class Track:
    """One track of a release."""

    id: int
    release_id: int
    artist_id: int
    title: str
    version: str
    number: int
    disc: int
    duration: int
    isrc: str
    explicit: bool
    popularity: float
    price: float
    rrp: float


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A search result: the id, its score and the popularity used to break ties."""

    id: int
    score: float
    popularity: float


@dataclass(frozen=True, slots=True)
class ChartEntry:
    """One chart position."""

    position: int
    change: str
    id: int


# Fixed artists: (name, sortName, appearsAs, popularity, tags, releases)
# release: (title, type, year, [track titles])
_FIXED: tuple[
    tuple[str, str, str, float, tuple[str, ...], tuple[tuple[str, str, int, tuple[str, ...]], ...]],
    ...,
] = (
    (
        "Keane",
        "Keane",
        "Keane",
        0.68,
        ("rock", "pop", "2000s"),
        (
            (
                "Hopes and Fears",
                "Album",
                2004,
                (
                    "Somewhere Only We Know",
                    "This Is the Last Time",
                    "Bend and Break",
                    "We Might as Well Be Strangers",
                    "Everybody's Changing",
                    "Your Eyes Open",
                    "She Has No Time",
                    "Can't Stop Now",
                    "Sunshine",
                    "Untitled 1",
                    "On a Day Like Today",
                    "Bedshaped",
                ),
            ),
            (
                "Perfect Symmetry",
                "Album",
                2008,
                (
                    "Spiralling",
                    "The Lovers Are Losing",
                    "Better Than This",
                    "You Haven't Told Me Anything",
                    "Perfect Symmetry",
                    "You Don't See Me",
                    "Again and Again",
                    "Playing Along",
                    "Pretend That You're Alone",
                    "Black Burning Heart",
                    "Love Is the End",
                ),
            ),
            ("Night Train", "Single", 2010, ("Stop for a Minute", "Clear Skies", "Your Love")),
        ),
    ),
    (
        "Pink Floyd",
        "Pink Floyd",
        "Pink Floyd",
        0.95,
        ("rock", "progressive-rock", "psychedelic", "1970s"),
        (
            (
                "The Dark Side of the Moon",
                "Album",
                1973,
                (
                    "Speak to Me",
                    "Breathe (In the Air)",
                    "On the Run",
                    "Time",
                    "The Great Gig in the Sky",
                    "Money",
                    "Us and Them",
                    "Any Colour You Like",
                    "Brain Damage",
                    "Eclipse",
                ),
            ),
            (
                "Wish You Were Here",
                "Album",
                1975,
                (
                    "Shine On You Crazy Diamond (Pts. 1-5)",
                    "Welcome to the Machine",
                    "Have a Cigar",
                    "Wish You Were Here",
                    "Shine On You Crazy Diamond (Pts. 6-9)",
                ),
            ),
            (
                "Animals",
                "Album",
                1977,
                (
                    "Pigs on the Wing (Part One)",
                    "Dogs",
                    "Pigs (Three Different Ones)",
                    "Sheep",
                    "Pigs on the Wing (Part Two)",
                ),
            ),
            (
                "The Wall",
                "Album",
                1979,
                (
                    "In the Flesh?",
                    "The Thin Ice",
                    "Another Brick in the Wall, Pt. 1",
                    "The Happiest Days of Our Lives",
                    "Another Brick in the Wall, Pt. 2",
                    "Mother",
                    "Goodbye Blue Sky",
                    "Empty Spaces",
                    "Young Lust",
                    "One of My Turns",
                    "Don't Leave Me Now",
                    "Another Brick in the Wall, Pt. 3",
                    "Goodbye Cruel World",
                    "Hey You",
                    "Is There Anybody Out There?",
                    "Nobody Home",
                    "Vera",
                    "Bring the Boys Back Home",
                    "Comfortably Numb",
                    "The Show Must Go On",
                    "In the Flesh",
                    "Run Like Hell",
                    "Waiting for the Worms",
                    "Stop",
                    "The Trial",
                    "Outside the Wall",
                ),
            ),
            (
                "Meddle",
                "Album",
                1971,
                (
                    "One of These Days",
                    "A Pillow of Winds",
                    "Fearless",
                    "San Tropez",
                    "Seamus",
                    "Echoes",
                ),
            ),
        ),
    ),
    (
        "Pink",
        "Pink",
        "P!nk",
        0.9,
        ("pop", "rock", "2000s"),
        (
            (
                "Missundaztood",
                "Album",
                2001,
                (
                    "Missundaztood",
                    "Don't Let Me Get Me",
                    "Just Like a Pill",
                    "Get the Party Started",
                    "Respect",
                    "18 Wheeler",
                    "Family Portrait",
                    "Misery",
                    "Dear Diary",
                    "Eventually",
                    "Lonely Girl",
                    "Numb",
                    "Gone to California",
                    "My Vietnam",
                ),
            ),
            (
                "Funhouse",
                "Album",
                2008,
                (
                    "So What",
                    "Sober",
                    "I Don't Believe You",
                    "One Foot Wrong",
                    "Please Don't Leave Me",
                    "Bad Influence",
                    "Funhouse",
                    "Crystal Ball",
                    "Mean",
                    "It's All Your Fault",
                    "Ave Mary A",
                    "Glitter in the Air",
                ),
            ),
            (
                "The Truth About Love",
                "Album",
                2012,
                (
                    "Are We All We Are",
                    "Blow Me (One Last Kiss)",
                    "Try",
                    "Just Give Me a Reason",
                    "True Love",
                    "How Come You're Not Here",
                    "Slut Like You",
                    "The Truth About Love",
                    "Beam Me Up",
                    "Walk of Shame",
                    "Here Comes the Weekend",
                    "Where Did the Beat Go?",
                    "The Great Escape",
                ),
            ),
        ),
    ),
    (
        "Pink Martini",
        "Pink Martini",
        "Pink Martini",
        0.62,
        ("lounge", "jazz", "world"),
        (
            (
                "Sympathique",
                "Album",
                1997,
                (
                    "Amado Mio",
                    "No Hay Problema",
                    "Sympathique",
                    "Qué Sera Sera",
                    "Andalucía",
                    "La Soledad",
                    "Never on Sunday",
                    "Donde Estas, Yolanda?",
                    "Brazil",
                    "Lullaby",
                    "Song of the Black Lizard",
                    "Bolero",
                ),
            ),
            (
                "Hang On Little Tomato",
                "Album",
                2004,
                (
                    "Let's Never Stop Falling in Love",
                    "Anna (El Negro Zumbon)",
                    "Hang On Little Tomato",
                    "Aspettami",
                    "Veronique",
                    "Dansez-vous",
                    "Una Notte a Napoli",
                    "Clementine",
                    "U Plavu Zoru",
                    "Kikuchiyo to Mohshimasu",
                    "../../Where Are You? (Paris/Tokyo Mix)",  # unsafe as a file name, on purpose
                    "Lilly",
                ),
            ),
        ),
    ),
    (
        "Sigur Rós",
        "Sigur Rós",
        "Sigur Rós",
        0.55,
        ("ambient", "alternative", "2000s"),
        (
            (
                "Ágætis byrjun",
                "Album",
                1999,
                (
                    "Intro",
                    "Svefn-g-englar",
                    "Starálfur",
                    "Flugufrelsarinn",
                    "Ný batterí",
                    "Hjartað hamast (bamm bamm bamm)",
                    "Viðrar vel til loftárása",
                    "Olsen Olsen",
                    "Ágætis byrjun",
                    "Avalon",
                ),
            ),
            (
                "Takk...",
                "Album",
                2005,
                (
                    "Takk...",
                    "Glósóli",
                    "Hoppípolla",
                    "Með blóðnasir",
                    "Sé lest",
                    "Sæglópur",
                    "Mílanó",
                    "Gong",
                    "Andvari",
                    "Svo hljótt",
                    "Heysátan",
                ),
            ),
        ),
    ),
    (
        "Simon & Garfunkel",
        "Simon & Garfunkel",
        "Simon & Garfunkel",
        0.7,
        ("folk", "1960s", "singer-songwriter"),
        (
            (
                "Bridge over Troubled Water",
                "Album",
                1970,
                (
                    "Bridge over Troubled Water",
                    "El Condor Pasa (If I Could)",
                    "Cecilia",
                    "Keep the Customer Satisfied",
                    "So Long, Frank Lloyd Wright",
                    "The Boxer",
                    "Baby Driver",
                    "The Only Living Boy in New York",
                    "Why Don't You Write Me",
                    "Bye Bye Love",
                    "Song for the Asking",
                ),
            ),
            (
                "Sounds of Silence",
                "Album",
                1966,
                (
                    "The Sound of Silence",
                    "Leaves That Are Green",
                    "Blessed",
                    "Kathy's Song",
                    "Somewhere They Can't Find Me",
                    "Anji",
                    "Richard Cory",
                    "A Most Peculiar Man",
                    "April Come She Will",
                    "We've Got a Groovy Thing Goin'",
                    "I Am a Rock",
                ),
            ),
        ),
    ),
    (
        "Björk",
        "Björk",
        "Björk",
        0.6,
        ("electronic", "alternative", "1990s"),
        (
            (
                "Homogenic",
                "Album",
                1997,
                (
                    "Hunter",
                    "Jóga",
                    "Unravel",
                    "Bachelorette",
                    "All Neon Like",
                    "5 Years",
                    "Immature",
                    "Alarm Call",
                    "Pluto",
                    "All Is Full of Love",
                ),
            ),
            (
                "Post",
                "Album",
                1995,
                (
                    "Army of Me",
                    "Hyperballad",
                    "The Modern Things",
                    "It's Oh So Quiet",
                    "Enjoy",
                    "You've Been Flirting Again",
                    "Isobel",
                    "Possibly Maybe",
                    "I Miss You",
                    "Cover Me",
                    "Headphones",
                ),
            ),
        ),
    ),
)


@functools.lru_cache(maxsize=8192)
def slugify(text: str) -> str:
    """``'Simon & Garfunkel'`` -> ``'simon-and-garfunkel'``; accents are dropped."""
    text = unicodedata.normalize("NFKD", text.replace("&", " and "))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "untitled"


def fold(text: str) -> str:
    """Case- and accent-insensitive form used by search and browse."""
    if text.isascii():  # nothing to decompose or strip
        return text.casefold()
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def _ean13(rng: random.Random) -> str:
    digits = f"{rng.getrandbits(40) % 10**12:012d}"
    weighted = sum(map(int, digits[0::2])) + 3 * sum(map(int, digits[1::2]))
    return f"{digits}{(10 - weighted % 10) % 10}"


def _round_price(value: float) -> float:
    return round(int(value * 10) / 10 + 0.09, 2)


_RELEASES_LOCK = threading.Lock()


def unpickle(data: bytes) -> object:
    """``pickle.loads`` of a kept catalogue (py7D's own file), the garbage collector paused.

    Loading creates tens of thousands of objects and none of them is garbage:
    collecting meanwhile would only slow it down.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(data)  # noqa: S301 - written by py7D, private to the user
    finally:
        if collecting:
            gc.enable()


class Catalogue:
    """All artists, releases and tracks of one seed, plus search, tags and charts."""

    def __init__(self, seed: int = 7, *, artists: int = 3000) -> None:
        self.seed = seed
        self.artists: dict[int, Artist] = {}
        self._releases: dict[int, Release] = {}
        self._releases_pickle: bytes | None = None
        self._track_titles: list[str] = []
        self._release_firsts: list[int] = []
        self._release_order: list[int] = []
        self._search_cache: dict[str, list[tuple[int, str]]] = {}
        self._chart_cache: dict[tuple[str, str, dt.date], list[ChartEntry]] = {}
        self._slug_index: dict[str, int] | None = None
        self._build(artists)

    @property
    def releases(self) -> dict[int, Release]:
        """Every release by id (read back on first use when the catalogue was unpickled)."""
        if self._releases_pickle is not None:
            with _RELEASES_LOCK:
                if self._releases_pickle is not None:
                    self._releases = cast("dict[int, Release]", unpickle(self._releases_pickle))
                    self._releases_pickle = None
        return self._releases

    def __getstate__(self) -> dict[str, object]:
        # The releases are most of the catalogue: they are pickled on their own and
        # read back only when asked for, so a call about artists does not wait for
        # them. The search, slug and chart caches are rebuilt when needed.
        return {
            **self.__dict__,
            "_releases": {},
            "_releases_pickle": pickle.dumps(self.releases, protocol=pickle.HIGHEST_PROTOCOL),
            "_search_cache": {},
            "_chart_cache": {},
            "_slug_index": None,
        }

    # -- generation ---------------------------------------------------------
    def _build(self, n_artists: int) -> None:
        rng = random.Random(self.seed)
        pool = _title_pool()
        rand, size = rng.random, len(pool)
        used_slugs: dict[str, int] = {}
        for name, sort_name, appears_as, pop, tags, releases in _FIXED:
            artist = self._add_artist(rng, name, sort_name, pop, tags, used_slugs, appears_as)
            for title, rtype, year, tracks in releases:
                self._add_release(rng, artist, title, rtype, year, list(tracks))
        while len(self.artists) < n_artists:
            name, sort_name = self._artist_name(rng)
            pop = round(rng.random() ** 3 * 0.85, 2)
            tags = tuple(rng.sample(_GENRES, rng.randint(1, 3)))
            artist = self._add_artist(rng, name, sort_name, pop, tags, used_slugs, name)
            for _ in range(rng.choice((1, 2, 3, 3, 4, 5))):
                bits = rng.getrandbits(32)
                single = bits % 10 < 3
                count = 1 + bits // 10 % 4 if single else 6 + bits // 10 % 9
                year = 1962 + bits // 1000 % 63
                # Indexing a precomputed pool is much faster than building titles.
                titles = [pool[int(rand() * size)] for _ in range(count)]
                title = titles[0] if single else pool[int(rand() * size)]
                self._add_release(rng, artist, title, "Single" if single else "Album", year, titles)
        self._release_order = sorted(self.releases)

    def _artist_name(self, rng: random.Random) -> tuple[str, str]:
        kind = rng.randrange(6)
        if kind == 0:
            name = f"The {rng.choice(_ADJ)} {rng.choice(_NOUN)}s"
            return name, name[4:] + ", The"
        if kind == 1:
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            return f"{first} {last}", f"{last}, {first}"
        if kind == 2:
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            name = f"{first} {last} & The {rng.choice(_NOUN)}s"
            return name, name
        if kind == 3:
            name = f"DJ {rng.choice(_NOUN)}"
            return name, name
        name = f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}"
        return name, name

    def _add_artist(
        self,
        rng: random.Random,
        name: str,
        sort_name: str,
        popularity: float,
        tags: tuple[str, ...],
        used_slugs: dict[str, int],
        appears_as: str,
    ) -> Artist:
        artist_id = len(self.artists) + 1
        base = slugify(name)
        n = used_slugs.get(base, 0) + 1
        used_slugs[base] = n
        slug = base if n == 1 else f"{base}-({n})"
        bio = f"{name} is an artist in the py7D sandbox catalogue, best known for {tags[0]}."
        artist = Artist(artist_id, name, sort_name, slug, popularity, tags, bio, appears_as)
        self.artists[artist_id] = artist
        return artist

    def _add_release(
        self,
        rng: random.Random,
        artist: Artist,
        title: str,
        rtype: str,
        year: int,
        track_titles: list[str],
    ) -> None:
        release_id = RELEASE_ID_BASE + len(self.releases) + 1
        first_track = TRACK_ID_BASE + len(self._track_titles) + 1
        self._track_titles.extend(track_titles)
        self._release_firsts.append(first_track)
        # One draw feeds most attributes: the build must stay well under 0.5 s.
        bits = rng.getrandbits(64)
        bits, month = divmod(bits, 12)
        bits, day_of_month = divmod(bits, 28)
        bits, added_days = divmod(bits, 400)
        bits, price_roll = divmod(bits, 12)
        bits, package_roll = divmod(bits, 20)
        bits, label_index = divmod(bits, len(LABELS))
        bits, licensor_index = divmod(bits, len(LICENSORS))
        bits, version_index = divmod(bits, len(_VERSIONS))
        bits, pop_roll = divmod(bits, 50)
        bits, adj_index = divmod(bits, len(_ADJ))
        bits, stream_roll = divmod(bits, 20)
        day = dt.date(year, month + 1, day_of_month + 1)
        added = max(day, dt.date(2005, 1, 1)) + dt.timedelta(days=added_days)
        prices = (0.99, 1.49, 1.99) if rtype == "Single" else (4.99, 5.99, 7.99, 9.99)
        price = prices[price_roll % len(prices)]
        rrp = _round_price(price * 1.3) if price_roll < 2 else price
        packages = (9, 12, 2) if package_roll < 2 else (9, 2) if package_roll < 7 else (2,)
        decade = f"{year // 10 * 10}s"
        tags = tuple(dict.fromkeys((*artist.tags[:2], decade)))
        label_id, label_name = LABELS[label_index]
        licensor_id = LICENSORS[licensor_index][0]
        release = Release(
            id=release_id,
            artist_id=artist.id,
            title=title,
            version=_VERSIONS[version_index] if artist.id > len(_FIXED) else "",
            type=rtype,
            barcode=_ean13(rng),
            release_date=day,
            added_date=added,
            explicit=bits % 12 == 0,
            streaming_date=None if stream_roll == 0 else day,
            slug=slugify(title),
            label_id=label_id,
            licensor_id=licensor_id,
            popularity=round(min(1.0, artist.popularity * (0.6 + pop_roll / 100)), 2),
            tags=tags,
            first_track_id=first_track,
            track_count=len(track_titles),
            price=price,
            rrp=rrp,
            packages=packages,
            cline=f"(C) {year} {label_name}",
            pline=f"(P) {year} {label_name}",
            review=f"{title} finds {artist.name} at their most {_ADJ[adj_index].lower()}.",
        )
        self.releases[release_id] = release
        artist.release_ids.append(release_id)

    # -- lookups ------------------------------------------------------------
    def artist(self, artist_id: int) -> Artist | None:
        """The artist with that id, or None."""
        return self.artists.get(artist_id)

    def release(self, release_id: int) -> Release | None:
        """The release with that id, or None."""
        return self.releases.get(release_id)

    def track(self, track_id: int) -> Track | None:
        """The track with that id (built on demand from its release), or None."""
        index = track_id - TRACK_ID_BASE - 1
        if not 0 <= index < len(self._track_titles):
            return None
        pos = bisect.bisect_right(self._release_firsts, track_id) - 1
        release_id = RELEASE_ID_BASE + pos + 1
        first = self._release_firsts[pos]
        release = self.releases.get(release_id)
        if release is None:
            return None
        h = self._hash(track_id)
        number = track_id - first + 1
        explicit = (h >> 20) % 13 == 0 or (release.explicit and number == 1)
        country = _ISRC_COUNTRIES[h % len(_ISRC_COUNTRIES)]
        price = (0.69, 0.99, 0.99, 0.99, 1.29)[(h >> 8) % 5]
        return Track(
            id=track_id,
            release_id=release_id,
            artist_id=release.artist_id,
            title=self._track_titles[index],
            version=release.version if release.version == "Remastered" else "",
            number=number,
            disc=1,
            duration=_duration(h),
            isrc=f"{country}{_REGISTRANTS[(h >> 4) % 10]}{h % 97:02d}{track_id % 10**7:07d}",
            explicit=explicit,
            popularity=round(release.popularity * (0.5 + ((h >> 30) % 50) / 100), 2),
            price=price,
            rrp=price,
        )

    def duration(self, release: Release) -> int:
        """Total duration of a release's tracks in seconds."""
        return sum(_duration(self._hash(t)) for t in release.track_ids)

    def _hash(self, track_id: int) -> int:
        # splitmix64: cheap, well mixed and the same on every platform.
        z = (self.seed * 0x2545F4914F6CDD1D + track_id * 0x9E3779B97F4A7C15) & _MASK64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        return z ^ (z >> 31)

    @property
    def track_count(self) -> int:
        """Number of tracks in the catalogue."""
        return len(self._track_titles)

    def tracks_of(self, release: Release) -> list[Track]:
        """The release's tracks in order."""
        return [t for t in map(self.track, release.track_ids) if t is not None]

    def artist_by_slug(self, slug: str) -> Artist | None:
        """The artist with that web slug."""
        if self._slug_index is None:
            self._slug_index = {a.slug: a.id for a in self.artists.values()}
        artist_id = self._slug_index.get(slug.lower())
        return self.artists.get(artist_id) if artist_id is not None else None

    def release_by_slug(self, slug: str, artist: Artist | None = None) -> Release | None:
        """The most popular release with that slug (restricted to ``artist`` if given)."""
        pool: Iterable[int] = artist.release_ids if artist else self._release_order
        matches = [self.releases[r] for r in pool if self.releases[r].slug == slug.lower()]
        return max(matches, key=lambda r: (r.popularity, -r.id)) if matches else None

    # -- ids from elsewhere ---------------------------------------------------
    def mbid(self, kind: str, item_id: int) -> str:
        """A stable MusicBrainz-style GUID for an item; its last 12 hex digits are the id."""
        digest = hashlib.blake2b(f"{self.seed}:{kind}:{item_id}".encode(), digest_size=10).digest()
        return str(uuid.UUID(bytes=digest + item_id.to_bytes(6, "big")))

    def from_mbid(self, kind: str, mbid: str) -> int | None:
        """The id behind a GUID made by :meth:`mbid`, or None."""
        try:
            item_id = int(uuid.UUID(mbid).hex[-12:], 16)
        except ValueError:
            return None
        return item_id if self.mbid(kind, item_id) == mbid.lower() else None

    # -- tags ---------------------------------------------------------------
    def tag_counts(self) -> list[tuple[str, int]]:
        """(tag slug, number of tagged releases), most used first."""
        counts = dict.fromkeys((slug for slug, _ in TAGS), 0)
        for release in self.releases.values():
            for tag in release.tags:
                counts[tag] += 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    def related_tags(self, tags: Sequence[str]) -> list[tuple[str, int]]:
        """Tags that co-occur with ``tags`` on releases, by co-occurrence count."""
        wanted = set(tags)
        counts: dict[str, int] = {}
        for release in self.releases.values():
            if wanted & set(release.tags):
                for tag in release.tags:
                    if tag not in wanted:
                        counts[tag] = counts.get(tag, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    def artists_tagged(self, tags: Sequence[str]) -> list[Artist]:
        """Artists carrying all ``tags``, most popular first."""
        wanted = set(tags)
        found = [a for a in self.artists.values() if wanted <= set(a.tags)]
        return sorted(found, key=lambda a: (-a.popularity, a.id))

    def releases_tagged(self, tags: Sequence[str], *, newest: bool) -> list[Release]:
        """Releases carrying all ``tags``: newest first or most popular first."""
        wanted = set(tags)
        found = [r for r in self.releases.values() if wanted <= set(r.tags)]
        if newest:
            return sorted(found, key=lambda r: (r.release_date, r.id), reverse=True)
        return sorted(found, key=lambda r: (-r.popularity, r.id))

    # -- relations ------------------------------------------------------------
    def similar_artists(self, artist: Artist) -> list[Artist]:
        """Artists sharing tags with ``artist``: most shared tags, then popularity."""
        mine = set(artist.tags)
        scored = [
            (len(mine & set(other.tags)), other)
            for other in self.artists.values()
            if other.id != artist.id and mine & set(other.tags)
        ]
        scored.sort(key=lambda so: (-so[0], -so[1].popularity, so[1].id))
        return [other for _, other in scored[:100]]

    def recommended_releases(self, release: Release) -> list[Release]:
        """Releases by artists similar to the release's artist."""
        artist = self.artists[release.artist_id]
        out: list[Release] = []
        for other in self.similar_artists(artist)[:20]:
            out.extend(self.releases[r] for r in other.release_ids[:2])
        return out

    def top_tracks(self, artist: Artist) -> list[Track]:
        """The artist's tracks, most popular first."""
        tracks = [t for r in artist.release_ids for t in self.tracks_of(self.releases[r])]
        return sorted(tracks, key=lambda t: (-t.popularity, t.id))

    def browse(self, letter: str) -> list[Artist]:
        """Artists whose name (ignoring a leading "The ") starts with ``letter``."""
        prefix = fold(letter)
        found = [
            a
            for a in self.artists.values()
            if fold(a.name).startswith(prefix) or fold(a.sort_name).startswith(prefix)
        ]
        return sorted(found, key=lambda a: (fold(a.sort_name), a.id))

    def releases_between(self, start: dt.date | None, end: dt.date | None) -> list[Release]:
        """Releases dated within [start, end], newest first."""
        found = [
            r
            for r in self.releases.values()
            if (start is None or r.release_date >= start) and (end is None or r.release_date <= end)
        ]
        return sorted(found, key=lambda r: (r.release_date, r.id), reverse=True)

    # -- search -------------------------------------------------------------
    def _index(self, kind: str) -> list[tuple[int, str]]:
        cached = self._search_cache.get(kind)
        if cached is not None:
            return cached
        if kind == "artist":
            index = [(a.id, fold(a.name)) for a in self.artists.values()]
        elif kind == "release":
            index = [
                (r.id, fold(f"{r.title} {self.artists[r.artist_id].name}"))
                for r in self.releases.values()
            ]
        else:
            index = []
            for r in self.releases.values():
                artist_name = fold(self.artists[r.artist_id].name)
                for offset, track_id in enumerate(r.track_ids):
                    title = self._track_titles[track_id - TRACK_ID_BASE - 1]
                    index.append((r.first_track_id + offset, f"{fold(title)} {artist_name}"))
        self._search_cache[kind] = index
        return index

    def search(self, kind: str, query: str) -> list[SearchHit]:
        """Case- and accent-insensitive search of ``artist``, ``release`` or ``track`` names.

        Every query word must occur in the name (for releases and tracks: title
        plus artist name). The score rewards exact and whole-word matches;
        results are sorted by score, then popularity.
        """
        q = " ".join(fold(query).split())
        words = q.split()
        if not words:
            return []
        hits: list[SearchHit] = []
        for item_id, text in self._index(kind):
            if words[0] not in text:
                continue
            score = _score(q, words, text, self._primary(kind, item_id))
            if score > 0:
                hits.append(SearchHit(item_id, score, self._popularity(kind, item_id)))
        hits.sort(key=lambda h: (-h.score, -h.popularity, h.id))
        return hits

    def _primary(self, kind: str, item_id: int) -> str:
        if kind == "artist":
            return fold(self.artists[item_id].name)
        if kind == "release":
            return fold(self.releases[item_id].title)
        return fold(self._track_titles[item_id - TRACK_ID_BASE - 1])

    def _popularity(self, kind: str, item_id: int) -> float:
        if kind == "artist":
            return self.artists[item_id].popularity
        if kind == "release":
            return self.releases[item_id].popularity
        track = self.track(item_id)
        return track.popularity if track else 0.0

    # -- charts -------------------------------------------------------------
    def chart(self, kind: str, period: str, end: dt.date) -> list[ChartEntry]:
        """The chart of ``kind`` (artist|release|track) for the period ending on ``end``."""
        key = (kind, period, end)
        cached = self._chart_cache.get(key)
        if cached is None:
            step = {"day": 1, "week": 7, "month": 30}[period]
            current = self._ranking(kind, period, end)
            previous = self._ranking(kind, period, end - dt.timedelta(days=step))
            before = {item: pos for pos, item in enumerate(previous, 1)}
            cached = []
            for pos, item in enumerate(current, 1):
                old = before.get(item)
                change = (
                    "New" if old is None else "Up" if old > pos else "Down" if old < pos else "Same"
                )
                cached.append(ChartEntry(pos, change, item))
            if len(self._chart_cache) > 256:
                self._chart_cache.clear()
            self._chart_cache[key] = cached
        return cached

    def _ranking(self, kind: str, period: str, end: dt.date) -> list[int]:
        rng = random.Random(f"{self.seed}:{kind}:{period}:{end.isoformat()}")
        if kind == "artist":
            pool = sorted(self.artists.values(), key=lambda a: -a.popularity)[:80]
            scored = [(a.popularity + rng.random() * 0.3, a.id) for a in pool]
        elif kind == "release":
            pool_r = sorted(self.releases.values(), key=lambda r: -r.popularity)[:80]
            scored = [(r.popularity + rng.random() * 0.3, r.id) for r in pool_r]
        else:
            pool_r = sorted(self.releases.values(), key=lambda r: -r.popularity)[:40]
            scored = []
            for release in pool_r:
                for track in self.tracks_of(release)[:3]:
                    scored.append((track.popularity + rng.random() * 0.3, track.id))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [item for _, item in scored[:50]]


def _duration(h: int) -> int:
    return 120 + h % 300


def _score(q: str, words: list[str], text: str, primary: str) -> float:
    if primary == q:
        return 10.0
    tokens = set(text.split())
    score = 0.0
    for word in words:
        if word in tokens:
            score += 2.0
        elif word in text:
            score += 1.0
        else:
            return 0.0
    if primary.startswith(q):
        score += 2.0
    # Shorter names that match fully rank above longer ones.
    return round(score + len(q) / max(len(primary), len(q)), 6)
