"""Country names at the boundary; ISO 3166-1 alpha-2 inside.

Accepted: alpha-2 and alpha-3 codes, English names, official and common names (pycountry's
ISO 3166 data), the rulebook's aliases ("UK", "Turkey"), the data sheet's Chinese names and
both Chinese spellings of the Dominican Republic. Anything else is an
:class:`~allocation.errors.UnknownCountryError` naming the value.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import pycountry

from allocation.domain.rulebook import Rulebook, default_rulebook
from allocation.errors import UnknownCountryError

__all__ = ["country_name", "normalize_country"]


def normalize_country(value: object, rulebook: Rulebook | None = None) -> str:
    """Return the ISO 3166-1 alpha-2 code for a country code or name.

    Parameters
    ----------
    value : object
        What a user typed: ``"UY"``, ``"URY"``, ``"Uruguay"``, ``"乌拉圭"``, ``"uk"``.
    rulebook : Rulebook, optional
        Supplies the Chinese names and aliases; the packaged rules by default.

    Raises
    ------
    UnknownCountryError
        When the value matches no country; the message names the value.

    Examples
    --------
    >>> normalize_country("Dominican Republic"), normalize_country("多明尼加共和国")
    ('DO', 'DO')
    >>> normalize_country("deu")
    'DE'
    """
    if not isinstance(value, str):
        raise UnknownCountryError(value)
    book = rulebook or default_rulebook()
    code = _lookup(value.strip(), book)
    if code is None:
        raise UnknownCountryError(value)
    return code


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    """The English short name of an alpha-2 code, for messages ("Uruguay")."""
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)


def _lookup(text: str, book: Rulebook) -> str | None:
    if not text:
        return None
    folded = text.casefold()
    for code, name in book.chinese_names.items():
        if name == text:
            return code
    alias = book.country_aliases.get(folded)
    if alias is not None:
        return alias
    return _iso_lookup(text)


@lru_cache(maxsize=4096)
def _iso_lookup(text: str) -> str | None:
    key = _fold(text)
    code = _iso_index().get(key)
    if code is not None:
        return code
    try:
        matches = pycountry.countries.search_fuzzy(text)
    except LookupError:
        return None
    # Fuzzy search is a last resort: only an unambiguous answer whose name contains the text
    # ("Russia" -> Russian Federation), never a guess between several ("UK").
    if len(matches) == 1:
        match = matches[0]
        names = [getattr(match, a, "") or "" for a in ("name", "official_name", "common_name")]
        if any(key in _fold(n) for n in names):
            return str(match.alpha_2)
    return None


@lru_cache(maxsize=1)
def _iso_index() -> dict[str, str]:
    """Codes and names of ISO 3166-1, case- and accent-folded, mapped to alpha-2."""
    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                index.setdefault(_fold(value), str(country.alpha_2))
    return index


def _fold(text: str) -> str:
    return _strip_accents(text).casefold().replace("’", "'").strip()


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
