"""Territories, shops, currencies and price formatting.

Prices in the catalogue are GBP; other shops convert them with a fixed factor
and round to a ``.x9`` price point, so every country always sees the same
prices. Requests without ``country``/``shopId`` use the GB shop (id 34, the
UK shop of 7digital's stub data). ``ww`` (worldwide) prices in USD.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COUNTRIES", "SHOPS", "Currency", "Shop", "resolve_ip", "shop_for"]


@dataclass(frozen=True)
class Currency:
    """A currency and how its prices are written."""

    code: str
    symbol: str
    factor: float
    suffix: bool = False
    comma: bool = False

    def convert(self, gbp: float) -> float:
        """The local price for a GBP catalogue price."""
        if self.factor == 1.0:
            return gbp
        value = gbp * self.factor
        return round(int(value * 10) / 10 + 0.09, 2)

    def format(self, value: float) -> str:
        """``£0.99``, ``$1.29``, ``1,29€``, ``12,89 kr``."""
        number = f"{value:.2f}"
        if self.comma:
            number = number.replace(".", ",")
        if self.suffix:
            spacer = " " if len(self.symbol) > 1 else ""
            return f"{number}{spacer}{self.symbol}"
        return f"{self.symbol}{number}"


GBP = Currency("GBP", "£", 1.0)
USD = Currency("USD", "$", 1.3)
EUR = Currency("EUR", "€", 1.17, suffix=True, comma=True)
CAD = Currency("CAD", "CA$", 1.75)
AUD = Currency("AUD", "AU$", 1.9)
NZD = Currency("NZD", "NZ$", 2.1)
CHF = Currency("CHF", "CHF", 1.12, suffix=True)
SEK = Currency("SEK", "kr", 13.5, suffix=True, comma=True)
NOK = Currency("NOK", "kr", 13.5, suffix=True, comma=True)
DKK = Currency("DKK", "kr", 8.7, suffix=True, comma=True)


@dataclass(frozen=True)
class Country:
    """A territory 7digital sells in (as listed by ``countries``)."""

    code: str
    name: str
    local_name: str
    currency: Currency
    shop_id: int
    languages: tuple[tuple[str, str, str], ...]  # (name, localName, subdomain)


def _c(
    code: str,
    name: str,
    local: str,
    currency: Currency,
    shop_id: int,
    *languages: tuple[str, str, str],
) -> Country:
    return Country(code, name, local, currency, shop_id, languages)


_EN = ("English", "English")
_FR = ("French", "Français")
_DE = ("German", "Deutsch")

COUNTRIES: dict[str, Country] = {
    c.code: c
    for c in (
        _c("AT", "Austria", "Österreich", EUR, 1064, (*_DE, "at")),
        _c("AU", "Australia", "Australia", AUD, 1043, (*_EN, "au")),
        _c(
            "BE",
            "Belgium",
            "België/Belgique",
            EUR,
            1069,
            (*_FR, "fr-be"),
            ("Dutch", "Nederlands", "nl-be"),
        ),
        _c("CA", "Canada", "Canada", CAD, 1049, (*_EN, "ca"), (*_FR, "fr-ca")),
        _c("CH", "Switzerland", "Schweiz/Suisse", CHF, 1106, (*_DE, "ch"), (*_FR, "fr-ch")),
        _c("DE", "Germany", "Deutschland", EUR, 1059, (*_DE, "de")),
        _c("DK", "Denmark", "Danmark", DKK, 1084, ("Danish", "Dansk", "dk")),
        _c("ES", "Spain", "España", EUR, 1066, ("Spanish", "Español", "es")),
        _c("FI", "Finland", "Suomi", EUR, 1089, ("Finnish", "Suomi", "fi")),
        _c("FR", "France", "France", EUR, 1063, (*_FR, "fr")),
        _c("GB", "United Kingdom", "United Kingdom", GBP, 34, (*_EN, "uk")),
        _c("IE", "Ireland", "Éire", EUR, 1068, (*_EN, "ie")),
        _c("IT", "Italy", "Italia", EUR, 1080, ("Italian", "Italiano", "it")),
        _c("LU", "Luxembourg", "Lëtzebuerg", EUR, 1072, (*_FR, "lu")),
        _c("NL", "Netherlands", "Nederland", EUR, 1074, ("Dutch", "Nederlands", "nl")),
        _c("NO", "Norway", "Norge", NOK, 1086, ("Norwegian", "Norsk", "no")),
        _c("NZ", "New Zealand", "New Zealand", NZD, 1045, (*_EN, "nz")),
        _c("PT", "Portugal", "Portugal", EUR, 1078, ("Portuguese", "Português", "pt")),
        _c("SE", "Sweden", "Sverige", SEK, 1082, ("Swedish", "Svenska", "se")),
        _c("US", "United States", "United States", USD, 826, (*_EN, "us")),
    )
}


@dataclass(frozen=True)
class Shop:
    """The shop a request is served from."""

    id: int
    country: str
    currency: Currency


WORLDWIDE = Shop(2020, "WW", USD)
SHOPS: dict[int, Shop] = {
    c.shop_id: Shop(c.shop_id, c.code, c.currency) for c in COUNTRIES.values()
}
SHOPS[WORLDWIDE.id] = WORLDWIDE
DEFAULT_SHOP = SHOPS[34]


def shop_for(country: str | None, shop_id: str | None) -> Shop | None:
    """The shop for a ``country`` code or ``shopId`` (GB when both are absent); None if unknown.

    ``shopId`` wins over ``country`` when both are sent.
    """
    if shop_id:
        try:
            return SHOPS.get(int(shop_id))
        except ValueError:
            return None
    if not country:
        return DEFAULT_SHOP
    code = country.upper()
    if code == "WW":
        return WORLDWIDE
    found = COUNTRIES.get(code)
    return SHOPS[found.shop_id] if found else None


# First octet -> country, for country/resolve; private ranges resolve to GB.
_IP_COUNTRIES = ("GB", "US", "DE", "FR", "US", "GB", "NL", "SE", "ES", "IT", "CA", "AU")


def resolve_ip(ip: str) -> str | None:
    """A deterministic country code for an IPv4 address; None if it is not one."""
    parts = ip.split(".")
    if len(parts) != 4 or not all(p.isdecimal() and int(p) < 256 for p in parts):
        return None
    first = int(parts[0])
    if first in (10, 127, 192, 172, 62):
        return "GB"
    return _IP_COUNTRIES[first % len(_IP_COUNTRIES)]
