"""What-if edits of a snapshot: each returns a new, validated snapshot; the old one is unchanged.

Analysts ask "what if Depot US goes down?", "what if demand doubles?", "what if we buy 200
units from a broker?", "what if this customer had Priority Management, or sat in Uruguay?".
Each question is one function here. They copy the tables they change, validate the result
like a loaded snapshot, and chain: ``scale_demand(take_depot_offline(s, "D-US"), 1.5)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from fractions import Fraction
from numbers import Real

import numpy as np
import pandas as pd

from allocation.adapters.snapshot import load_snapshot
from allocation.domain.countries import normalize_country
from allocation.domain.model import ProductFamily, Tier
from allocation.domain.rulebook import default_rulebook
from allocation.domain.snapshot import Snapshot
from allocation.errors import InputError, UnknownIdError
from allocation.whatif.outcomes import order_sites

__all__ = [
    "add_broker_capacity",
    "move_customer",
    "scale_demand",
    "set_tier",
    "take_depot_offline",
]

_MAX_FACTOR = 1000
_TERM_YEARS = 5


def take_depot_offline(snapshot: Snapshot, depot_id: str) -> Snapshot:
    """The snapshot with a depot out of service for the whole plan.

    The depot, its stock, the receipts landing there and every lane from or to it leave the
    snapshot: nothing ships from it, nothing passes through it, and the countries it served
    are served by the next-fastest depot (their new home depot).

    Parameters
    ----------
    snapshot : Snapshot
    depot_id : str
        A depot of the snapshot; at least one other depot must remain.

    Returns
    -------
    Snapshot

    Raises
    ------
    UnknownIdError
        ``depot_id`` is not a depot of the snapshot.
    InputError
        It is the only depot.

    Examples
    --------
    >>> from allocation import load_snapshot
    >>> before = load_snapshot("scenarios/example")
    >>> after = take_depot_offline(before, "D-US")
    >>> sorted(after.depots["depot_id"]), "D-US" in set(before.stock["depot_id"])
    (['D-BR', 'D-DE', 'D-JP', 'D-SG'], True)
    """
    depots = snapshot.depots
    _known(depot_id, depots["depot_id"], "depot")
    if len(depots) == 1:
        raise InputError(f"cannot take {depot_id!r} offline: it is the only depot")
    lanes = snapshot.lanes
    return _edited(
        snapshot,
        depots=depots[depots["depot_id"] != depot_id],
        stock=snapshot.stock[snapshot.stock["depot_id"] != depot_id],
        inbound=snapshot.inbound[snapshot.inbound["depot_id"] != depot_id],
        lanes=lanes[(lanes["origin"] != depot_id) & (lanes["destination"] != depot_id)],
    )


def scale_demand(
    snapshot: Snapshot,
    factor: float,
    *,
    parts: Iterable[str] | None = None,
    customers: Iterable[str] | None = None,
    countries: Iterable[str] | None = None,
) -> Snapshot:
    """The snapshot with ``factor`` times as many order lines (all, or those selected).

    Demand grows by *copies* of order lines — same customer, part, quantity, product and
    creation time — not by bigger quantities: a repair order is mostly one unit, and a
    surge is more units going down. Quantities stay whole numbers. Selected orders, oldest
    first, get ``floor((i + 1)·f) − floor(i·f)`` lines each (the original counts as one), so
    there are exactly ``floor(n·f)`` of them: with ``f = 1.5`` every second order gets a
    copy, with ``f = 0.5`` every second order is dropped. Copy ``k`` of order ``O-1`` is
    ``O-1~k`` (``k`` from 2).

    Parameters
    ----------
    snapshot : Snapshot
    factor : float
        From 0 to 1000.
    parts, customers, countries : iterable of str, optional
        Scale only orders for these parts, of these customers, or whose site (ship-to, else
        the customer's country) is in these countries; all orders when none is given.

    Returns
    -------
    Snapshot

    Raises
    ------
    InputError
        A bad factor, or a copy's id that is already an order id.
    UnknownIdError
        An unknown part or customer; :class:`UnknownCountryError` for an unknown country.

    Examples
    --------
    >>> from allocation import load_snapshot
    >>> before = load_snapshot("scenarios/example")
    >>> after = scale_demand(before, 2, parts=["SSD-512"])
    >>> len(before.orders), len(after.orders), "O-1001~2" in set(after.orders["order_id"])
    (16, 23, True)
    """
    f = _factor(factor)
    orders = snapshot.orders
    chosen = _selected(snapshot, parts, customers, countries)
    rows = np.flatnonzero(chosen)
    sequence = rows[
        np.lexsort(
            (orders["order_id"].to_numpy(dtype=str)[rows], orders["created_at"].to_numpy()[rows])
        )
    ]
    i = np.arange(len(sequence))
    lines = np.array(
        [math.floor((k + 1) * f) - math.floor(k * f) for k in i.tolist()], dtype=np.int64
    )
    copies = np.ones(len(orders), dtype=np.int64)
    copies[sequence] = lines
    repeated = orders.loc[orders.index.repeat(copies)].copy()
    rank = repeated.groupby("order_id", sort=False).cumcount().to_numpy() + 1
    ids = repeated["order_id"].to_numpy(dtype=object)
    new_ids = np.where(rank > 1, [f"{o}~{r}" for o, r in zip(ids, rank, strict=True)], ids)
    clash = sorted(set(new_ids[rank > 1]) & set(orders["order_id"]))
    if clash:
        raise InputError(f"cannot scale demand: copy id {clash[0]!r} is already an order id")
    repeated["order_id"] = new_ids
    return _edited(snapshot, orders=repeated.reset_index(drop=True))


def add_broker_capacity(
    snapshot: Snapshot,
    part_number: str,
    capacity: int,
    *,
    lead_time_hours: float,
    unit_cost: float,
    supplier_id: str,
    success_probability: float = 1.0,
    delivers_to: str | None = None,
) -> Snapshot:
    """The snapshot with ``capacity`` more units of a part on offer from a broker.

    Parameters
    ----------
    snapshot : Snapshot
    part_number : str
        A part of the snapshot.
    capacity : int
        Units on offer, > 0.
    lead_time_hours, unit_cost : float
        Hours until the broker releases the units, and the price of one.
    supplier_id : str
        The broker. A supplier of the snapshot keeps its lanes; a new one needs
        ``delivers_to``. If it already offers the part on the same terms, its capacity
        grows; on other terms, name another supplier.
    success_probability : float
        Chance the buy succeeds (brokers can fail), from 0 to 1.
    delivers_to : str, optional
        A depot id or country the broker delivers to: a lane from the broker to it, 0 h and
        0 money (its lead time and price include the delivery).

    Returns
    -------
    Snapshot

    Examples
    --------
    >>> from allocation import load_snapshot
    >>> before = load_snapshot("scenarios/example")
    >>> after = add_broker_capacity(
    ...     before, "SSD-512", 200, lead_time_hours=48, unit_cost=250.0,
    ...     supplier_id="BRK-ASIA", delivers_to="D-SG")
    >>> int(after.supply_options["capacity"].sum() - before.supply_options["capacity"].sum())
    200
    """
    _known(part_number, snapshot.parts["part_number"], "part")
    units = _count(capacity, "capacity")
    hours = _number(lead_time_hours, "lead_time_hours", 0, 1e5)
    price = _number(unit_cost, "unit_cost", 0, 1e9)
    chance = _number(success_probability, "success_probability", 0, 1)
    if not isinstance(supplier_id, str) or not supplier_id.strip():
        raise InputError(f"supplier_id must be a non-empty text, got {supplier_id!r}")
    if supplier_id in set(snapshot.depots["depot_id"]):
        raise InputError(
            f"supplier_id {supplier_id!r} is a depot id; suppliers need ids of their own"
        )
    options = snapshot.supply_options.copy()
    same = (
        (options["part_number"] == part_number)
        & (options["source"] == "broker")
        & (options["supplier_id"] == supplier_id)
    ).to_numpy()
    if same.any():
        row = options[same].iloc[0]
        terms = (float(row["lead_time_hours"]), float(row["unit_cost"]), _chance(row))
        if terms != (hours, price, chance):
            raise InputError(
                f"{supplier_id} already offers {part_number} at {terms[0]:g} h and "
                f"{terms[1]:.2f} (success {terms[2]:g}); name another supplier_id for other terms"
            )
        options.loc[same, "capacity"] = options.loc[same, "capacity"] + units
    else:
        offer = {
            "part_number": part_number,
            "source": "broker",
            "supplier_id": supplier_id,
            "capacity": units,
            "lead_time_hours": hours,
            "unit_cost": price,
            "success_probability": chance,
        }
        options = pd.concat([options, pd.DataFrame([offer])], ignore_index=True)
    lanes = _delivery_lane(snapshot, supplier_id, delivers_to)
    return _edited(snapshot, supply_options=options, lanes=lanes)


def set_tier(
    snapshot: Snapshot,
    customer_id: str,
    tier: Tier | str,
    families: Iterable[ProductFamily | str] | None = None,
) -> Snapshot:
    """The snapshot with a customer under contracts of another tier.

    The customer's contracts for the given product families (both by default) are replaced
    by one contract per family of ``tier`` with the longest term (5 years), active from the
    day of the snapshot's earliest order; ``standard`` removes them. The tier's other rules
    still apply (docs/explanation/rules.md, "Eligibility": installed base minimums, an IT help
    desk, covered
    and non-excluded countries): the entitlement engine may still say ``standard``, and
    says why.

    Parameters
    ----------
    snapshot : Snapshot
    customer_id : str
    tier : Tier or str
        ``standard``, ``PA``, ``PA+`` or ``PM``.
    families : iterable of ProductFamily or str, optional
        ``pc`` and/or ``print``.

    Returns
    -------
    Snapshot

    Examples
    --------
    >>> from allocation import load_snapshot
    >>> after = set_tier(load_snapshot("scenarios/example"), "C-NORD", "PM")
    >>> after.contracts[after.contracts["customer_id"] == "C-NORD"]["sku"].tolist()
    ['U1PV9E', 'U4ZX9E']
    """
    _known(customer_id, snapshot.customers["customer_id"], "customer")
    wanted = _tier(tier)
    kinds = _families(families)
    book = default_rulebook()
    family_of = snapshot.contracts["sku"].map(lambda sku: book.skus[sku].family)
    contracts = snapshot.contracts[
        ~((snapshot.contracts["customer_id"] == customer_id) & family_of.isin(kinds))
    ]
    if wanted is not Tier.STANDARD:
        start = _first_day(snapshot)
        added = [
            {
                "contract_id": _new_contract_id(contracts, customer_id, wanted, family),
                "customer_id": customer_id,
                "sku": _sku(wanted, family),
                "purchase_date": start,
                "activation_date": start,
            }
            for family in kinds
        ]
        contracts = pd.concat([contracts, pd.DataFrame(added)], ignore_index=True)
    return _edited(snapshot, contracts=contracts.reset_index(drop=True))


def move_customer(snapshot: Snapshot, customer_id: str, country: str) -> Snapshot:
    """The snapshot with a customer, and its sites in its old country, in another country.

    The customer's country changes; so does the ship-to country of its orders that named
    the old country. Orders with a blank ship-to follow the customer; orders shipping to
    other countries (other sites) stay where they are.

    Parameters
    ----------
    snapshot : Snapshot
    customer_id : str
    country : str
        An ISO code, an English name or the data sheet's Chinese name.

    Returns
    -------
    Snapshot

    Examples
    --------
    >>> from allocation import load_snapshot
    >>> after = move_customer(load_snapshot("scenarios/example"), "C-ACME", "Uruguay")
    >>> after.customers.set_index("customer_id").loc["C-ACME", "country"]
    'UY'
    """
    _known(customer_id, snapshot.customers["customer_id"], "customer")
    code = normalize_country(country)
    customers = snapshot.customers.copy()
    mine = customers["customer_id"] == customer_id
    old = customers.loc[mine, "country"].iloc[0]
    customers.loc[mine, "country"] = code
    orders = snapshot.orders.copy()
    moved = (orders["customer_id"] == customer_id) & (orders["ship_to_country"] == old)
    orders.loc[moved, "ship_to_country"] = code
    return _edited(snapshot, customers=customers, orders=orders)


# -- helpers -------------------------------------------------------------------------------
def _edited(snapshot: Snapshot, **tables: pd.DataFrame) -> Snapshot:
    """The snapshot with tables replaced, validated again; same moment, source label and
    planner overrides (an override of an order an edit removed names nothing, and is idle)."""
    current = snapshot.tables() | {k: v.reset_index(drop=True) for k, v in tables.items()}
    fresh = load_snapshot(current, as_of=snapshot.as_of)
    return replace(fresh, source=snapshot.source, overrides=snapshot.overrides)


def _known(value: object, known: pd.Series, what: str) -> None:
    if value not in set(known):
        shown = ", ".join(sorted(map(str, known))[:10])
        raise UnknownIdError(
            f"unknown {what} {value!r} (known: {shown}{', ...' if len(known) > 10 else ''})"
        )


def _factor(value: object) -> Fraction:
    number = _number(value, "factor", 0, _MAX_FACTOR)
    return Fraction(number).limit_denominator(1_000_000)


def _number(value: object, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise InputError(f"{name} must be a number, got {value!r}")
    if not low <= float(value) <= high:
        raise InputError(f"{name} must be from {low:g} to {high:g}, got {value!r}")
    return float(value)


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise InputError(f"{name} must be a whole number of units > 0, got {value!r}")
    if value > 1_000_000_000:
        raise InputError(f"{name} must be at most 1,000,000,000, got {value!r}")
    return int(value)


def _chance(row: pd.Series) -> float:
    value = row["success_probability"]
    return 1.0 if value is None or pd.isna(value) else float(value)


def _selected(
    snapshot: Snapshot,
    parts: Iterable[str] | None,
    customers: Iterable[str] | None,
    countries: Iterable[str] | None,
) -> np.ndarray:
    orders = snapshot.orders
    chosen = np.ones(len(orders), dtype=bool)
    if parts is not None:
        wanted = list(parts)
        for part in wanted:
            _known(part, snapshot.parts["part_number"], "part")
        chosen &= orders["part_number"].isin(wanted).to_numpy()
    if customers is not None:
        wanted = list(customers)
        for customer in wanted:
            _known(customer, snapshot.customers["customer_id"], "customer")
        chosen &= orders["customer_id"].isin(wanted).to_numpy()
    if countries is not None:
        codes = {normalize_country(c) for c in countries}
        chosen &= order_sites(snapshot)["country"].isin(codes).to_numpy()
    return chosen


def _delivery_lane(snapshot: Snapshot, supplier_id: str, delivers_to: str | None) -> pd.DataFrame:
    lanes = snapshot.lanes
    has_lanes = bool((lanes["origin"] == supplier_id).any())
    if delivers_to is None:
        if not has_lanes:
            raise InputError(
                f"supplier {supplier_id!r} has no lanes: give delivers_to (a depot or country) "
                "or name a supplier of the snapshot"
            )
        return lanes
    depots = set(snapshot.depots["depot_id"])
    target = delivers_to if delivers_to in depots else normalize_country(delivers_to)
    if ((lanes["origin"] == supplier_id) & (lanes["destination"] == target)).any():
        raise InputError(f"a lane from {supplier_id} to {target} exists already; omit delivers_to")
    lane = {
        "origin": supplier_id,
        "destination": target,
        "transit_hours": 0.0,
        "cost_per_unit": 0.0,
    }
    return pd.concat([lanes, pd.DataFrame([lane])], ignore_index=True)


def _tier(value: Tier | str) -> Tier:
    try:
        return Tier(value)
    except ValueError:
        raise InputError(
            f"unknown tier {value!r} (use one of {', '.join(t.value for t in Tier)})"
        ) from None


def _families(values: Iterable[ProductFamily | str] | None) -> list[ProductFamily]:
    if values is None:
        return list(ProductFamily)
    out = []
    for value in values:
        try:
            out.append(ProductFamily(value))
        except ValueError:
            raise InputError(f"unknown product family {value!r} (use pc or print)") from None
    return sorted(set(out), key=list(ProductFamily).index)


def _sku(tier: Tier, family: ProductFamily) -> str:
    for code, sku in sorted(default_rulebook().skus.items()):
        if sku.tier is tier and sku.family is family and sku.term_years == _TERM_YEARS:
            return code
    raise InputError(f"the rules name no {_TERM_YEARS}-year {tier.value} SKU for {family.value}")


def _first_day(snapshot: Snapshot) -> date:
    created = snapshot.orders["created_at"]
    moment = created.min() if len(created) else pd.Timestamp(snapshot.as_of)
    return pd.Timestamp(moment).date()


def _new_contract_id(
    contracts: pd.DataFrame, customer_id: str, tier: Tier, family: ProductFamily
) -> str:
    base = f"{customer_id}/{tier.value}/{family.value}"
    taken = set(contracts["contract_id"])
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}/{n}"
    return candidate
