"""Fair-share caps in the engine's arrays: one *cap hub* per (capped party, part).

The policy's caps (:mod:`allocation.domain.fair_share`) become capacities of the flow the
optimizer solves. Every order of a capped (party, part) sends its units to the sink through
one hub, and the hub's arc to the sink carries at most the cap less what the party already
took (:attr:`CapHubs.room`). Nothing else of the network changes, so the units a cap holds
back go to whoever the objective ranks next, level by level, exactly.

Orders of one solver node must share their hub: the solver splits a node wherever the hub
changes (:mod:`allocation.engine.solve._optimal`), and the tie-break keys capped orders by
their party too (:func:`~allocation.engine.objective.tie_party`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.fair_share import Cap
from allocation.domain.rulebook import default_rulebook
from allocation.engine.model._context import Context
from allocation.engine.model._orders import OrderColumns
from allocation.engine.model._sources import SourceColumns

__all__ = ["CapHubs", "Held", "cap_hubs", "capped_parts"]

IntArray = npt.NDArray[np.int64]
TextArray = npt.NDArray[np.object_]


@dataclass(frozen=True)
class CapHubs:
    """The caps of a problem: each order's hub (-1: uncapped) and each hub's cap.

    Hubs are sorted by (part number, party), so their numbering never depends on row
    order. ``limit`` is the cap in units, ``taken`` what the party's orders of the part hold
    outside the solve (firmed, or kept from a previous plan): ``room`` is what the solve
    may still give them.
    """

    hub: IntArray
    limit: IntArray
    taken: IntArray
    caps: tuple[Cap, ...]
    party: TextArray
    part: TextArray

    def __len__(self) -> int:
        return len(self.limit)

    @property
    def room(self) -> IntArray:
        """Units the solve may still give each hub's orders."""
        room: IntArray = np.maximum(self.limit - self.taken, 0)
        return room

    def party_key(self) -> IntArray:
        """A hash of each hub's party and part, the same in every process."""
        text = np.array(
            [f"{c.by}|{p}|{q}" for c, p, q in zip(self.caps, self.party, self.part, strict=True)],
            dtype=object,
        )
        if len(text) == 0:
            return np.zeros(0, dtype=np.int64)
        key: IntArray = (pd.util.hash_array(text, categorize=False) >> np.uint64(2)).astype(
            np.int64
        )
        return key

    def words(self, hub: int) -> str:
        """Why an order of this hub is short: ``capped: customer C-12 has taken its 40% of
        SSD-512 this week``."""
        cap = self.caps[hub]
        return (
            f"capped: {cap.by} {self.party[hub]} has taken its {cap.words()} of "
            f"{self.part[hub]} this {cap.period}"
        )


@dataclass(frozen=True)
class Held:
    """Units held outside a solve (firmed, or kept from a previous plan), per order and per
    source: they count against the orders' caps and in a share's supply."""

    orders: IntArray
    sources: IntArray

    @classmethod
    def of(
        cls, arc_order: IntArray, arc_source: IntArray, flow: IntArray, shape: tuple[int, int]
    ) -> Held:
        """What ``flow`` on arcs ``(arc_order, arc_source)`` holds; ``shape`` is (orders,
        sources)."""
        by_order = np.bincount(arc_order, weights=flow, minlength=shape[0]).astype(np.int64)
        by_source = np.bincount(arc_source, weights=flow, minlength=shape[1]).astype(np.int64)
        return cls(by_order, by_source)


def capped_parts(context: Context) -> npt.NDArray[np.bool_] | None:
    """Per part code: whether a cap applies to it; None when the policy caps nothing."""
    rules = context.policy.fair_share
    if not rules:
        return None
    return np.array([rules.cap_of(p) is not None for p in context.part_numbers], dtype=bool)


def cap_hubs(
    orders: OrderColumns,
    sources: SourceColumns,
    context: Context,
    supply: IntArray | None = None,
    held: Held | None = None,
) -> CapHubs | None:
    """The cap hubs of these orders; None when no cap applies to any of them.

    ``supply`` is what the solve plans of each source (default: its quantity); ``held``
    the units orders and sources hold outside the solve. A share's supply is a part's
    units in both; what a party holds counts against its cap.
    """
    capped = capped_parts(context)
    if capped is None or len(orders) == 0:
        return None
    mine = capped[orders.part_code]
    if not mine.any():
        return None
    rules = context.policy.fair_share
    cap_of_part = [rules.cap_of(p) for p in context.part_numbers]
    rows = np.flatnonzero(mine)
    party = _parties(orders, rows, [cap_of_part[int(p)] for p in orders.part_code[rows]])
    keys = pd.MultiIndex.from_arrays([orders.part_number[rows], party])
    codes, distinct = pd.factorize(keys, sort=True)
    hub = np.full(len(orders), -1, dtype=np.int64)
    hub[rows] = codes
    hub_part = np.array([p for p, _ in distinct], dtype=object)
    hub_party = np.array([q for _, q in distinct], dtype=object)
    hub_code = np.array([context.part_code[p] for p in hub_part.tolist()], dtype=np.int64)
    hub_caps = tuple(cap_of_part[int(c)] for c in hub_code)
    units = sources.quantity if supply is None else supply
    if held is not None:
        units = units + held.sources
    by_part = np.bincount(
        sources.part_code, weights=units, minlength=len(context.part_numbers)
    ).astype(np.int64)
    limit = np.array(
        [
            cap.limit(int(by_part[c]))
            for cap, c in zip(hub_caps, hub_code.tolist(), strict=True)
            if cap is not None
        ],
        dtype=np.int64,
    )
    taken = np.zeros(len(distinct), dtype=np.int64)
    if held is not None:
        np.add.at(taken, codes, held.orders[rows])
    return CapHubs(
        hub=hub,
        limit=limit,
        taken=taken,
        caps=tuple(c for c in hub_caps if c is not None),
        party=hub_party,
        part=hub_part,
    )


def _parties(orders: OrderColumns, rows: IntArray, caps: list[Cap | None]) -> TextArray:
    """Each row's party under its part's cap: customer id, site country or region."""
    by = np.array([c.by if c is not None else "" for c in caps], dtype=object)
    party = np.empty(len(rows), dtype=object)
    party[by == "customer"] = orders.customer_id[rows][by == "customer"]
    party[by == "country"] = orders.country[rows][by == "country"]
    region = by == "region"
    if region.any():
        book = default_rulebook()
        countries = orders.country[rows][region]
        names = {c: book.region_of(c) or c for c in set(countries.tolist())}
        party[region] = np.array([names[c] for c in countries.tolist()], dtype=object)
    return party.astype(str).astype(object)
