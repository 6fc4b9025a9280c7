"""The data sheet's rules as data: loaded from ``priority_services.yaml`` and validated.

The code interprets the rules; the lists (countries, SKUs, minimums, product types) live in
the data file so that a change of coverage is an edit, not a release. Loading checks every
field and names the one at fault.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from allocation.domain.model import ProductFamily, Tier
from allocation.errors import RulebookError

__all__ = ["Rulebook", "Sku", "TierRule", "default_rulebook", "load_rulebook"]

_COUNTING = ("pcs_and_printers", "pcs")


@dataclass(frozen=True, slots=True)
class Sku:
    """What an order number (SKU) buys: a tier for a term, for one product family."""

    code: str
    tier: Tier
    term_years: int
    family: ProductFamily


@dataclass(frozen=True, slots=True)
class TierRule:
    """Eligibility facts of one tier (docs/explanation/rules.md, "Eligibility")."""

    tier: Tier
    name: str
    parts_priority: bool
    minimum_installed_base: int
    installed_base_counts: str


@dataclass(frozen=True, slots=True)
class Rulebook:
    """Every fact of the data sheet that the entitlement engine uses."""

    source: str
    tiers: Mapping[Tier, TierRule]
    terms_years: frozenset[int]
    start_days_after_purchase: int
    skus: Mapping[str, Sku]
    product_types: Mapping[str, ProductFamily]
    product_type_notes: Mapping[str, str]
    regions: Mapping[str, frozenset[str]]
    chinese_names: Mapping[str, str]
    parts_priority_excluded: frozenset[str]
    country_aliases: Mapping[str, str]
    support_languages: tuple[str, ...]

    @property
    def covered_countries(self) -> frozenset[str]:
        """All countries where Priority Services are offered (alpha-2)."""
        return frozenset().union(*self.regions.values())

    def best_tiers(
        self, customers: Iterable[object], holders: Iterable[object], skus: Iterable[object]
    ) -> list[Tier]:
        """Each customer's best Priority Services tier among its contracts: contract ``i``
        is held by ``holders[i]`` for ``skus[i]``. ``standard`` for a customer without a
        contract; an SKU the sheet does not list gives no tier (the audit reports it).

        Reports (from the service's database and from simulation runs alike) name a
        customer by this tier.

        Examples
        --------
        >>> book = default_rulebook()
        >>> " ".join(t.value for t in book.best_tiers(["A", "B"], ["A", "A"], ["U7C98E", "x"]))
        'PA standard'
        """
        best: dict[str, Tier] = {}
        for holder, code in zip(holders, skus, strict=True):
            sku = self.skus.get(str(code).upper())
            if sku is None:
                continue
            held = best.get(str(holder), Tier.STANDARD)
            best[str(holder)] = max(held, sku.tier, key=lambda t: t.rank)
        return [best.get(str(c), Tier.STANDARD) for c in customers]

    def product_type_note(self, product_type: str) -> str | None:
        """Why a type the sheet names as not covered is not (None for any other type)."""
        note = self.product_type_notes.get(product_type)
        if note is not None:
            return note
        for key, text in self.product_type_notes.items():
            if key.endswith("*") and product_type.startswith(key[:-1]):
                return text
        return None

    def knows_product_type(self, product_type: str) -> bool:
        """Whether the sheet names this type, as covered or as not covered."""
        return (
            product_type in self.product_types or self.product_type_note(product_type) is not None
        )

    def product_types_like(self, product_type: str) -> list[str]:
        """The known types closest to an unknown one, best first (for a did-you-mean).

        >>> default_rulebook().product_types_like("notebok")
        ['notebook']
        """
        known = [*self.product_types, *(k for k in self.product_type_notes if "*" not in k)]
        return difflib.get_close_matches(product_type, known, n=3, cutoff=0.6)

    def region_of(self, country: str) -> str | None:
        """The coverage region of a country, or ``None`` outside the coverage."""
        for region, members in self.regions.items():
            if country in members:
                return region
        return None


def load_rulebook(path: str | Path) -> Rulebook:
    """Load and validate a rules data file.

    Parameters
    ----------
    path : str or Path
        A YAML file shaped like the packaged ``priority_services.yaml``.

    Raises
    ------
    RulebookError
        When the file cannot be read or a field is missing or malformed; the message names it.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulebookError(f"{path}: cannot read rules file: {exc.strerror}") from exc
    return _parse(text, str(path))


@cache
def default_rulebook() -> Rulebook:
    """The rulebook shipped inside the package (the data sheet's rules)."""
    text = (
        resources.files("allocation.domain")
        .joinpath("priority_services.yaml")
        .read_text(encoding="utf-8")
    )
    return _parse(text, "priority_services.yaml")


def _parse(text: str, where: str) -> Rulebook:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulebookError(f"{where}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise RulebookError(f"{where}: expected a mapping at the top level")
    r = _Reader(raw, where)
    tiers = _parse_tiers(r)
    terms = frozenset(r.int_list("terms_years"))
    skus = _parse_skus(r, tiers, terms)
    product_types = {
        name: _family(r, f"product_types.{name}", fam)
        for name, fam in r.mapping("product_types").items()
    }
    regions: dict[str, frozenset[str]] = {}
    chinese: dict[str, str] = {}
    for region, members in r.mapping("regions").items():
        codes = r.country_map(f"regions.{region}", members)
        regions[str(region)] = frozenset(codes)
        chinese.update(codes)
    excluded = r.country_map("parts_priority_excluded", r.mapping("parts_priority_excluded"))
    covered = frozenset().union(*regions.values())
    outside = sorted(set(excluded) - covered)
    if outside:
        raise RulebookError(f"{where}: parts_priority_excluded lists uncovered countries {outside}")
    aliases = {
        str(k).casefold(): _alpha2(r, f"country_aliases.{k}", v)
        for k, v in r.mapping("country_aliases").items()
    }
    # A second spelling of an excluded country (the sheet has two for the Dominican Republic)
    # becomes an alias of the same code.
    for code, name in excluded.items():
        if chinese.get(code) != name:
            aliases[name.casefold()] = code
    start_days = r.int_value("start_days_after_purchase")
    if start_days < 0:
        raise RulebookError(f"{where}: start_days_after_purchase must be >= 0, got {start_days}")
    return Rulebook(
        source=str(raw.get("source", where)),
        tiers=tiers,
        terms_years=terms,
        start_days_after_purchase=start_days,
        skus=skus,
        product_types=product_types,
        product_type_notes={str(k): str(v) for k, v in r.mapping("product_type_notes").items()},
        regions=regions,
        chinese_names=chinese,
        parts_priority_excluded=frozenset(excluded),
        country_aliases=aliases,
        support_languages=tuple(str(x) for x in raw.get("support_languages", [])),
    )


def _parse_tiers(r: _Reader) -> dict[Tier, TierRule]:
    tiers: dict[Tier, TierRule] = {}
    for code, spec in r.mapping("tiers").items():
        field = f"tiers.{code}"
        try:
            tier = Tier(str(code))
        except ValueError:
            raise RulebookError(f"{r.where}: {field}: unknown tier {code!r}") from None
        if not isinstance(spec, dict):
            raise RulebookError(f"{r.where}: {field}: expected a mapping")
        minimum = spec.get("minimum_installed_base")
        counts = spec.get("installed_base_counts", "pcs_and_printers")
        if not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 0:
            raise RulebookError(
                f"{r.where}: {field}.minimum_installed_base must be an integer >= 0, "
                f"got {minimum!r}"
            )
        if counts not in _COUNTING:
            raise RulebookError(
                f"{r.where}: {field}.installed_base_counts must be one of {_COUNTING}, "
                f"got {counts!r}"
            )
        tiers[tier] = TierRule(
            tier=tier,
            name=str(spec.get("name", code)),
            parts_priority=bool(spec.get("parts_priority", False)),
            minimum_installed_base=minimum,
            installed_base_counts=counts,
        )
    missing = [t.value for t in Tier if t not in tiers]
    if missing:
        raise RulebookError(f"{r.where}: tiers is missing {missing}")
    return tiers


def _parse_skus(
    r: _Reader, tiers: Mapping[Tier, TierRule], terms: frozenset[int]
) -> dict[str, Sku]:
    skus: dict[str, Sku] = {}
    for code, spec in r.mapping("skus").items():
        field = f"skus.{code}"
        if not isinstance(spec, dict):
            raise RulebookError(f"{r.where}: {field}: expected a mapping")
        try:
            tier = Tier(str(spec.get("tier")))
        except ValueError:
            raise RulebookError(
                f"{r.where}: {field}.tier: unknown tier {spec.get('tier')!r}"
            ) from None
        if tier is Tier.STANDARD or tier not in tiers:
            raise RulebookError(f"{r.where}: {field}.tier: a SKU cannot sell tier {tier.value!r}")
        term = spec.get("term_years")
        if isinstance(term, bool) or term not in terms:
            raise RulebookError(
                f"{r.where}: {field}.term_years must be one of {sorted(terms)}, got {term!r}"
            )
        skus[str(code).upper()] = Sku(
            code=str(code).upper(),
            tier=tier,
            term_years=int(term),
            family=_family(r, f"{field}.family", spec.get("family")),
        )
    return skus


def _family(r: _Reader, field: str, value: object) -> ProductFamily:
    try:
        return ProductFamily(str(value))
    except ValueError:
        raise RulebookError(
            f"{r.where}: {field}: unknown product family {value!r} (use 'pc' or 'print')"
        ) from None


def _alpha2(r: _Reader, field: str, value: object) -> str:
    code = str(value)
    if len(code) != 2 or not code.isascii() or not code.isupper():
        raise RulebookError(f"{r.where}: {field}: {value!r} is not an ISO 3166-1 alpha-2 code")
    return code


class _Reader:
    """Typed access to the raw YAML mapping with errors that name the field."""

    def __init__(self, raw: dict[str, Any], where: str) -> None:
        self.raw = raw
        self.where = where

    def mapping(self, key: str) -> dict[Any, Any]:
        value = self.raw.get(key)
        if not isinstance(value, dict):
            raise RulebookError(f"{self.where}: {key}: expected a mapping, got {value!r}")
        return value

    def int_value(self, key: str) -> int:
        value = self.raw.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise RulebookError(f"{self.where}: {key}: expected an integer, got {value!r}")
        return value

    def int_list(self, key: str) -> list[int]:
        value = self.raw.get(key)
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value
        ):
            raise RulebookError(f"{self.where}: {key}: expected a list of positive integers")
        return value

    def country_map(self, field: str, members: object) -> dict[str, str]:
        if not isinstance(members, dict):
            raise RulebookError(f"{self.where}: {field}: expected a mapping of code: name")
        return {_alpha2(self, f"{field}.{k}", k): str(v) for k, v in members.items()}
