"""The policy file: YAML whose sections set the engine's configurable interpretations.

::

    entitlement:
      site_country: ship_to            # or: customer
      pa_plus_installed_base_counts: pcs_and_printers   # or: pcs
      start_days_after_purchase: 30
      require_it_helpdesk: true
      enforce_installed_base: true

    allocation:
      allowed_sources:                 # source kinds each class may use
        parts_priority: [stock, transfer, inbound, expedite, broker]
        standard: [stock, inbound]
      preemption: true
      partial_fills: true
      substitutes: true
      rank_tiers_within_standard: false
      eta_resolution_hours: 0.1
      min_success_probability: 0.0
      broker_risk: threshold           # or: priced (a broker unit at its expected ETA)
      broker_failure_detected_hours: 96   # priced: when a failed buy is known (default: its ETA)
      broker_fallback_hours: 120       # priced: then a unit from elsewhere (default: buy again)
      protection:                      # units held back for parts-priority orders
        default: 0
        levels: protection.csv         # depot_id, part_number, level; or a list of rows
      currency: EUR                    # ISO 4217 code of the snapshot's money (default USD)
      response_hours:                  # need_by = created_at + the shortest that applies
        tier: {PM: 8, PA+: 48}         # standard, PA, PA+, PM
        product_type: {workstation: 12}
        country: {DE: 6}               # ISO code or name
      fair_share:                      # caps on what one party takes of a part
        caps:
          - {by: customer, part: SSD-512, share: 0.4, period: week}
          - {by: country, part: "*", units: 50, period: day}
        split: proportional            # a short class's units shared by demand (default off)
        split_parts: ["*"]             # the parts split (default every part)
      churn_penalty: 5.0               # money per unit moved from a previous plan (default 0)
      broker_backup: false             # hold a shelf unit for each parts-priority broker buy

Unknown sections and keys are errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import yaml

from allocation.adapters.protection_file import protection_from
from allocation.domain.countries import normalize_country
from allocation.domain.entitlement import EntitlementPolicy
from allocation.domain.fair_share import PARTIES, PERIODS, SPLITS, Cap, FairShare
from allocation.domain.model import PriorityClass, SourceKind, Tier
from allocation.domain.policy import AllocationPolicy, default_allowed_sources, is_currency
from allocation.domain.response import ResponseTimes
from allocation.domain.rulebook import default_rulebook
from allocation.errors import PolicyError, UnknownCountryError

__all__ = [
    "KNOWN_SECTIONS",
    "allocation_policy_from",
    "entitlement_policy_from",
    "fair_share_from",
    "load_policy_sections",
    "response_times_from",
]

KNOWN_SECTIONS = ("entitlement", "allocation")


def load_policy_sections(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read a policy file into its sections, each a mapping; raises :class:`PolicyError`."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read policy file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from exc
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise PolicyError(f"{path}: expected a mapping with sections {KNOWN_SECTIONS}")
    sections: dict[str, dict[str, Any]] = {}
    for name, body in raw.items():
        if name not in KNOWN_SECTIONS:
            raise PolicyError(
                f"{path}: unknown section {name!r} (known: {', '.join(KNOWN_SECTIONS)})"
            )
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise PolicyError(f"{path}: section {name!r} must be a mapping")
        sections[str(name)] = body
    return sections


def entitlement_policy_from(section: dict[str, Any], where: str = "policy") -> EntitlementPolicy:
    """Build an :class:`EntitlementPolicy` from a section, naming any unknown key."""
    known = {f.name for f in dataclasses.fields(EntitlementPolicy)}
    for key in section:
        if key not in known:
            raise PolicyError(
                f"{where}: entitlement.{key} is not an option (known: {', '.join(sorted(known))})"
            )
    try:
        return EntitlementPolicy(**section)
    except PolicyError as exc:
        raise PolicyError(f"{where}: {exc}") from None


def allocation_policy_from(
    section: dict[str, Any], where: str = "policy", base_dir: Path | None = None
) -> AllocationPolicy:
    """Build an :class:`AllocationPolicy` from a section, naming any bad key or value.

    ``base_dir`` is where a table named by ``protection.levels`` is looked for (the policy
    file's folder); the working directory when omitted.
    """
    known = {f.name for f in dataclasses.fields(AllocationPolicy)}
    values = dict(section)
    for key in values:
        if key not in known:
            raise PolicyError(
                f"{where}: allocation.{key} is not an option (known: {', '.join(sorted(known))})"
            )
    if "allowed_sources" in values:
        values["allowed_sources"] = _allowed_sources(values["allowed_sources"], where)
    if "protection" in values:
        values["protection"] = protection_from(values["protection"], where, base_dir)
    if "currency" in values:
        values["currency"] = _currency(values["currency"], where)
    if "response_hours" in values:
        values["response_hours"] = response_times_from(values["response_hours"], where)
    if "fair_share" in values:
        values["fair_share"] = fair_share_from(values["fair_share"], where)
    for flag in (
        "preemption",
        "partial_fills",
        "substitutes",
        "rank_tiers_within_standard",
        "broker_backup",
    ):
        if flag in values and not isinstance(values[flag], bool):
            raise PolicyError(
                f"{where}: allocation.{flag} must be true or false, got {values[flag]!r}"
            )
    for number in ("eta_resolution_hours", "min_success_probability", "churn_penalty"):
        if number in values and (
            isinstance(values[number], bool) or not isinstance(values[number], int | float)
        ):
            raise PolicyError(
                f"{where}: allocation.{number} must be a number, got {values[number]!r}"
            )
    for hours in ("broker_failure_detected_hours", "broker_fallback_hours"):
        if (
            hours in values
            and values[hours] is not None
            and (isinstance(values[hours], bool) or not isinstance(values[hours], int | float))
        ):
            raise PolicyError(
                f"{where}: allocation.{hours} must be a number of hours, got {values[hours]!r}"
            )
    if "broker_risk" in values and not isinstance(values["broker_risk"], str):
        raise PolicyError(
            f"{where}: allocation.broker_risk must be threshold or priced, "
            f"got {values['broker_risk']!r}"
        )
    try:
        return AllocationPolicy(**values)
    except PolicyError as exc:
        raise PolicyError(f"{where}: {exc}") from None


def _currency(raw: object, where: str) -> str:
    """An ISO 4217 code in capitals (``eur`` is ``EUR``), or an error naming the field."""
    code = raw.strip().upper() if isinstance(raw, str) else raw
    if not is_currency(code):
        raise PolicyError(
            f"{where}: allocation.currency: {raw!r} is not an ISO 4217 currency code "
            "(e.g. USD, EUR, JPY)"
        )
    return str(code)


def _allowed_sources(raw: object, where: str) -> dict[PriorityClass, frozenset[SourceKind]]:
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: allocation.allowed_sources must map classes to lists of kinds")
    allowed = default_allowed_sources()
    for klass, kinds in raw.items():
        try:
            key = PriorityClass(str(klass))
        except ValueError:
            raise PolicyError(
                f"{where}: allocation.allowed_sources.{klass}: unknown class "
                f"(use {', '.join(c.value for c in PriorityClass)})"
            ) from None
        if not isinstance(kinds, list):
            raise PolicyError(f"{where}: allocation.allowed_sources.{klass} must be a list")
        parsed = set()
        for kind in kinds:
            try:
                parsed.add(SourceKind(str(kind)))
            except ValueError:
                raise PolicyError(
                    f"{where}: allocation.allowed_sources.{klass}: unknown source kind {kind!r} "
                    f"(use {', '.join(k.value for k in SourceKind)})"
                ) from None
        allowed[key] = frozenset(parsed)
    return allowed


_RESPONSE_KEYS = ("tier", "product_type", "country")


def response_times_from(raw: object, where: str = "policy") -> ResponseTimes:
    """The ``response_hours`` option: hours by tier, product type and country.

    Tiers are ``standard``, ``PA``, ``PA+`` and ``PM``; product types those the data sheet
    names; countries any code or name :func:`~allocation.domain.countries.normalize_country`
    reads. Hours must be positive and finite; every bad key or value is named.

    >>> response_times_from({"tier": {"PM": 8}, "country": {"Germany": 4}}).country
    {'DE': 4.0}
    """
    name = f"{where}: allocation.response_hours"
    if raw is None:
        return ResponseTimes()
    if not isinstance(raw, dict):
        raise PolicyError(f"{name} must map tier, product_type or country to hours")
    for key in raw:
        if key not in _RESPONSE_KEYS:
            raise PolicyError(f"{name}.{key} is not an option (known: {', '.join(_RESPONSE_KEYS)})")
    tables = {key: _hours_table(raw.get(key), f"{name}.{key}") for key in _RESPONSE_KEYS}
    tiers: dict[Tier, float] = {}
    for key, hours in tables["tier"].items():
        try:
            tiers[Tier(key)] = hours
        except ValueError:
            raise PolicyError(
                f"{name}.tier: unknown tier {key!r} (use {', '.join(t.value for t in Tier)})"
            ) from None
    book = default_rulebook()
    types: dict[str, float] = {}
    for key, hours in tables["product_type"].items():
        kind = key.strip().lower().replace(" ", "_").replace("-", "_")
        if not book.knows_product_type(kind):
            like = book.product_types_like(kind)
            hint = f" (did you mean {', '.join(like)}?)" if like else ""
            raise PolicyError(f"{name}.product_type: unknown product type {key!r}{hint}")
        types[kind] = hours
    countries: dict[str, float] = {}
    for key, hours in tables["country"].items():
        try:
            countries[normalize_country(key)] = hours
        except UnknownCountryError:
            raise PolicyError(f"{name}.country: unknown country {key!r}") from None
    try:
        return ResponseTimes(tier=tiers, product_type=types, country=countries)
    except PolicyError as exc:
        raise PolicyError(f"{where}: {exc}") from None


def _hours_table(raw: object, name: str) -> dict[str, float]:
    """A mapping of names to a positive, finite number of hours, or an error naming it."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise PolicyError(f"{name} must map names to hours")
    table: dict[str, float] = {}
    for key, hours in raw.items():
        if (
            isinstance(hours, bool)
            or not isinstance(hours, int | float)
            or not math.isfinite(hours)
            or hours <= 0
        ):
            raise PolicyError(f"{name}.{key}: must be a positive number of hours, got {hours!r}")
        table[str(key)] = float(hours)
    return table


_FAIR_KEYS = ("caps", "split", "split_parts")
_CAP_KEYS = ("by", "part", "units", "share", "period")


def fair_share_from(raw: object, where: str = "policy") -> FairShare:
    """The ``fair_share`` option: a list of caps, each naming who, which part, how much and
    for which period, and the split (``split: proportional``, limited to ``split_parts``);
    every bad key or value is named with the cap's position or the key.

    >>> fair_share_from({"caps": [{"by": "customer", "part": "SSD", "share": 0.4}]}).caps[0]
    Cap(by='customer', part='SSD', units=None, share=0.4, period='week')
    >>> fair_share_from({"caps": [{"by": "customer", "part": "SSD"}]})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    allocation.errors.PolicyError: policy: allocation.fair_share.caps[0]: needs units or share ...
    """
    name = f"{where}: allocation.fair_share"
    if raw is None:
        return FairShare()
    if not isinstance(raw, dict):
        raise PolicyError(f"{name} must be a mapping with {', '.join(_FAIR_KEYS)}")
    for key in raw:
        if key not in _FAIR_KEYS:
            raise PolicyError(f"{name}.{key} is not an option (known: {', '.join(_FAIR_KEYS)})")
    entries = raw.get("caps") or []
    if not isinstance(entries, list):
        raise PolicyError(f"{name}.caps must be a list of caps")
    caps = [_cap(entry, f"{name}.caps[{i}]") for i, entry in enumerate(entries)]
    split, split_parts = _split(raw, name)
    try:
        return FairShare(tuple(caps), split, split_parts)
    except PolicyError as exc:
        raise PolicyError(f"{where}: {exc}") from None


def _split(raw: dict[str, Any], name: str) -> tuple[str, tuple[str, ...]]:
    """``split`` and ``split_parts``, or an error naming the key; YAML reads a bare ``off``
    as false, which means off too."""
    split = raw.get("split", "off")
    if split is False:
        split = "off"
    if split not in SPLITS:
        raise PolicyError(f"{name}.split: {split!r} is not one of {', '.join(SPLITS)}")
    parts = raw.get("split_parts", ["*"])
    if (
        not isinstance(parts, list)
        or not parts
        or not all(isinstance(p, str) and p.strip() for p in parts)
    ):
        raise PolicyError(
            f"{name}.split_parts: must be a list of part numbers or '*', got {parts!r}"
        )
    return str(split), tuple(p.strip() for p in parts)


def _cap(entry: object, name: str) -> Cap:
    """One cap entry, or an error naming the entry and its bad key."""
    if not isinstance(entry, dict):
        raise PolicyError(f"{name} must be a mapping of {', '.join(_CAP_KEYS)}")
    for key in entry:
        if key not in _CAP_KEYS:
            raise PolicyError(f"{name}.{key} is not an option (known: {', '.join(_CAP_KEYS)})")
    by, part = entry.get("by"), entry.get("part")
    if by not in PARTIES:
        raise PolicyError(f"{name}.by: {by!r} is not one of {', '.join(PARTIES)}")
    if not isinstance(part, str) or not part.strip():
        raise PolicyError(f"{name}.part: must be a part number or '*', got {part!r}")
    period = entry.get("period", "week")
    if period not in PERIODS:
        raise PolicyError(f"{name}.period: {period!r} is not one of {', '.join(PERIODS)}")
    units, share = entry.get("units"), entry.get("share")
    if (units is None) == (share is None):
        raise PolicyError(f"{name}: needs units or share (just one)")
    if units is not None and (isinstance(units, bool) or not isinstance(units, int) or units < 0):
        raise PolicyError(f"{name}.units: must be a whole number of units >= 0, got {units!r}")
    if share is not None and (
        isinstance(share, bool)
        or not isinstance(share, int | float)
        or not math.isfinite(share)
        or not 0 < share <= 1
    ):
        raise PolicyError(f"{name}.share: must be above 0 and at most 1, got {share!r}")
    try:
        return Cap(
            by=str(by),
            part=part.strip(),
            units=units,
            share=None if share is None else float(share),
            period=str(period),
        )
    except PolicyError as exc:
        raise PolicyError(f"{name}: {exc}") from None
