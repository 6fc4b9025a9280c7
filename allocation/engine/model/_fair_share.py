"""Fair-share caps in the engine's arrays: one *cap hub* per (capped party, part).

The policy's caps (:mod:`allocation.domain.fair_share`) become capacities of the flow the
optimizer solves. Every order of a capped (party, part) sends its units to the sink through
one hub, and the hub's arc to the sink carries at most the cap less what the party already
took (:attr:`CapHubs.room`). Nothing else of the network changes, so the units a cap holds
back go to whoever the objective ranks next, level by level, exactly.

Orders of one solver node must share their hub: the solver splits a node wherever the hub
changes (:mod:`allocation.engine.solve._optimal`), and the tie-break keys capped orders by
their party too (:func:`~allocation.engine.objective.tie_party`).

The proportional split adds no capacity: it is a level of the objective, on quota sink arcs
the solver builds per batch (:mod:`allocation.engine.solve._optimal`). This module says
which parts it governs (:func:`split_parts`: whole substitution groups) and works out a
plan's pools and quotas afterwards, for the explanations (:func:`split_shares`), with the
domain's rule (:func:`~allocation.domain.fair_share.largest_remainder`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.fair_share import Cap, largest_remainder, party_of
from allocation.engine.model._context import Context
from allocation.engine.model._orders import OrderColumns
from allocation.engine.model._problem import Problem
from allocation.engine.model._sources import SourceColumns

__all__ = [
    "CapHubs",
    "Held",
    "SplitShares",
    "cap_hubs",
    "capped_parts",
    "split_parts",
    "split_pools",
    "split_shares",
]

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


def split_parts(context: Context) -> npt.NDArray[np.bool_] | None:
    """Per part code: whether the proportional split governs it; None when it governs none.

    A part the policy names brings its whole substitution group along: the units a group
    gets of a substitution group are fixed by its units level, how they fall to the group's
    parts is not, so only the substitution group has a fixed number of units to share.
    """
    rules = context.policy.fair_share
    if rules.split == "off":
        return None
    named = np.array([rules.splits(p) for p in context.part_numbers], dtype=bool)
    governed = np.isin(context.part_group, context.part_group[named])
    return governed if governed.any() else None


def split_pools(group: IntArray, part_group: IntArray) -> tuple[IntArray, IntArray]:
    """Each order's pool (its priority group and substitution group), numbered from 0 in
    order of (group, part group), and each pool's priority group."""
    key = group * (int(part_group.max(initial=0)) + 1) + part_group
    distinct, pool = np.unique(key, return_inverse=True)
    span = int(part_group.max(initial=0)) + 1
    return pool.astype(np.int64).reshape(-1), (distinct // span).astype(np.int64)


@dataclass(frozen=True)
class SplitShares:
    """A plan's split pools: per order its pool (-1: none), quota and the units planned for
    it beyond any firmed; per pool the units it got, what its orders needed, its priority
    group and the parts its orders ask for.

    Only pools that got less than they needed (``got < need``) were split; in the others
    every order's quota is its need.
    """

    pool: IntArray
    quota: IntArray
    planned: IntArray
    got: IntArray
    need: IntArray
    group: IntArray
    parts: TextArray

    def short(self, rows: IntArray) -> npt.NDArray[np.bool_]:
        """Which of ``rows`` the split keeps short: their pool got some units but not all it
        needed, and they got exactly their quota, below their need (a pool that got nothing
        shared nothing: what kept it short is something else)."""
        pool = self.pool[rows]
        at = np.maximum(pool, 0)
        split = (pool >= 0) & (self.got[at] > 0) & (self.got[at] < self.need[at])
        short: npt.NDArray[np.bool_] = split & (self.planned[rows] == self.quota[rows])
        return short

    def words(self, row: int, group_name: str) -> str:
        """``split: parts_priority orders of SSD-512 got 6 of 10 units, shared in proportion
        to demand; this order's share is 2``."""
        p = int(self.pool[row])
        return (
            f"split: {group_name} orders of {self.parts[p]} got {self.got[p]} of "
            f"{self.need[p]} units, shared in proportion to demand; "
            f"this order's share is {self.quota[row]}"
        )


def split_shares(
    problem: Problem, flow: IntArray, excluded: Collection[int] = ()
) -> SplitShares | None:
    """The split pools and quotas of a plan (``flow`` on ``problem``'s arcs), as the solver
    set them; None when the split governs none of its orders.

    Firmed units stay out of it, as they stay out of the solve: a pool shares what the
    solve planned, among the orders some unit can reach, in proportion to what each still
    needed. Orders ``excluded`` from the last solve (whole orders only) are in no pool.
    """
    governed = split_parts(problem.context)
    orders, arcs = problem.orders, problem.arcs
    if governed is None or len(orders) == 0:
        return None
    firm = problem.firm()
    firm = np.zeros(len(arcs), dtype=np.int64) if firm is None else firm
    supply = problem.sources.quantity - np.bincount(
        arcs.source, weights=firm, minlength=len(problem.sources)
    ).astype(np.int64)
    need = orders.quantity - np.bincount(arcs.order, weights=firm, minlength=len(orders)).astype(
        np.int64
    )
    need[np.fromiter(excluded, dtype=np.int64, count=len(excluded))] = 0
    got = np.bincount(arcs.order, weights=flow - firm, minlength=len(orders)).astype(np.int64)
    reached = np.zeros(len(orders), dtype=bool)
    reached[arcs.order[supply[arcs.source] > 0]] = True
    rows = np.flatnonzero(governed[orders.part_code] & reached & (need > 0))
    if len(rows) == 0:
        return None
    pool_of, pool_group = split_pools(
        orders.group[rows], problem.context.part_group[orders.part_code[rows]]
    )
    n_pools = len(pool_group)
    pool_need = np.zeros(n_pools, dtype=np.int64)
    np.add.at(pool_need, pool_of, need[rows])
    pool_got = np.zeros(n_pools, dtype=np.int64)
    np.add.at(pool_got, pool_of, got[rows])
    ids = orders.order_id[rows].astype(str)
    rank = np.empty(len(rows), dtype=np.int64)
    rank[np.lexsort((ids, orders.created_minutes()[rows]))] = np.arange(len(rows))
    pool = np.full(len(orders), -1, dtype=np.int64)
    pool[rows] = pool_of
    quota = need.copy()
    quota[rows] = largest_remainder(pool_got, need[rows], pool_of, rank)
    names: list[set[str]] = [set() for _ in range(n_pools)]
    for p, part in zip(pool_of.tolist(), orders.part_number[rows].tolist(), strict=True):
        names[p].add(str(part))
    parts = np.array([", ".join(sorted(n)) for n in names], dtype=object)
    return SplitShares(pool, quota, got, pool_got, pool_need, pool_group, parts)


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
    units in both, and those taken earlier in the period (the context's
    ``taken_earlier``); what a party holds, or took earlier in the period, counts against
    its cap.
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
    earlier = context.taken_earlier
    for part, taken_units in earlier.by_part.items():  # the period's supply they were part of
        code = context.part_code.get(part)
        if code is not None:
            by_part[code] += taken_units
    limit = np.array(
        [
            cap.limit(int(by_part[c]))
            for cap, c in zip(hub_caps, hub_code.tolist(), strict=True)
            if cap is not None
        ],
        dtype=np.int64,
    )
    taken = np.array(
        [
            earlier.by_party.get((str(p), str(q)), 0)
            for p, q in zip(hub_part, hub_party, strict=True)
        ],
        dtype=np.int64,
    )
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
        countries = orders.country[rows][region]
        names = {c: party_of("region", "", c) for c in set(countries.tolist())}
        party[region] = np.array([names[c] for c in countries.tolist()], dtype=object)
    return party.astype(str).astype(object)
