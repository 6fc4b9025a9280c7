"""Why an order is short: one stable code and one sentence per unfilled order, vectorised.

Every unfilled order gets exactly one code, in this order of precedence:

==================================  ======================================================
code                                when
==================================  ======================================================
``whole_order_unavailable``         partial fills are off and only part of it could be had
``no_route``                        no depot reaches the order's country
``held_back_by_protection``         units it could reach are kept for parts-priority
                                    orders by a protection level
``no_stock_anywhere``               no stock, receipt or supply option of its part (or a
                                    substitute) can reach it
``source_not_allowed_for_class``    the only sources are kinds its class may not use
``capped_by_fair_share``            its customer, country or region has taken all a
                                    fair-share cap lets it take of the part
``split_by_fair_share``             its class was short of the part and shared what it
                                    got in proportion to demand: it has its share
``held_by_higher_class``            the units it could use went to a class that ranks first
``held_by_same_class``              they went to orders of its own class, older or sooner
==================================  ======================================================

The sentence says the same in a planner's words, naming the part, country, depot or class.
A million unfilled orders take array operations, not a Python call each; the few that need
the sources they could never use are worked out once per kind of order (part, country,
class and home depot).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.model import SourceKind
from allocation.domain.policy import AllocationPolicy
from allocation.engine.explain._held_back import held_back, held_back_words
from allocation.engine.model import CLASSES, Problem, build_arcs, cap_hubs, split_shares

__all__ = ["CODES", "Reasons", "unfilled_reasons"]

IntArray = npt.NDArray[np.int64]
TextArray = npt.NDArray[np.object_]

WHOLE: Final = "whole_order_unavailable"
NO_ROUTE: Final = "no_route"
PROTECTED: Final = "held_back_by_protection"
NO_STOCK: Final = "no_stock_anywhere"
NOT_ALLOWED: Final = "source_not_allowed_for_class"
CAPPED: Final = "capped_by_fair_share"
SPLIT: Final = "split_by_fair_share"
HIGHER: Final = "held_by_higher_class"
SAME: Final = "held_by_same_class"
CODES: tuple[str, ...] = (
    WHOLE,
    NO_ROUTE,
    PROTECTED,
    NO_STOCK,
    NOT_ALLOWED,
    CAPPED,
    SPLIT,
    HIGHER,
    SAME,
)
"""Every code an unfilled order can get, in order of precedence."""

_SAME_WORDS = (
    "the units it could use went to orders of the same class that are older or get them sooner"
)
_NOBODY = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Reasons:
    """One code and one sentence per order row asked about."""

    code: TextArray
    reason: TextArray


def unfilled_reasons(
    problem: Problem, flow: IntArray, rows: IntArray, excluded: dict[int, str]
) -> Reasons:
    """The code and sentence of each of ``rows`` (orders that are short in the plan)."""
    rows = np.asarray(rows, dtype=np.int64)
    code = np.full(len(rows), SAME, dtype=object)
    reason = np.full(len(rows), _SAME_WORDS, dtype=object)
    if len(rows) == 0:
        return Reasons(code, reason)
    orders = problem.orders
    todo = np.ones(len(rows), dtype=bool)

    def settle(mask: npt.NDArray[np.bool_], what: str, words: TextArray | str) -> None:
        chosen = todo & mask
        code[chosen] = what
        reason[chosen] = words if isinstance(words, str) else words[chosen]
        todo[chosen] = False

    if excluded:
        said = np.array([excluded.get(r) for r in rows.tolist()], dtype=object)
        settle(np.array([r in excluded for r in rows.tolist()], dtype=bool), WHOLE, said)
    settle(
        orders.home_code[rows] < 0,
        NO_ROUTE,
        _words("no route from any depot to ", orders.country[rows]),
    )
    n_allowed = np.bincount(problem.arcs.order, minlength=len(orders))[rows]
    held = held_back(problem, flow, rows[todo])
    at = held.lookup(rows)
    has_held = at >= 0
    if has_held.any():
        free = np.where(has_held, held.free[at], 0)
        depot = np.where(has_held, held.depot[at], "")
        words = np.array(
            [
                held_back_words(int(f), str(d)) if h else None
                for h, f, d in zip(has_held.tolist(), free.tolist(), depot.tolist(), strict=True)
            ],
            dtype=object,
        )
        settle(has_held & (free > 0), PROTECTED, words)
        settle(has_held & (n_allowed == 0), HIGHER, words)
    blocked = todo & (n_allowed == 0)
    if blocked.any():
        never, words = _no_allowed_sources(problem, rows[blocked])
        full_never = np.zeros(len(rows), dtype=bool)
        full_never[blocked] = never
        full_words = np.empty(len(rows), dtype=object)
        full_words[blocked] = words
        settle(blocked & full_never, NO_STOCK, full_words)
        settle(blocked, NOT_ALLOWED, full_words)
    if problem.policy.fair_share:
        capped, words = _capped(problem, flow, rows)
        settle(capped, CAPPED, words)
    if problem.policy.fair_share.split != "off":
        split, words = _split(problem, flow, rows, excluded)
        settle(split, SPLIT, words)
    top = _best_holder_group(problem, flow, rows)
    top = np.where(has_held, 0, top)  # protected units go to parts_priority orders only
    higher = todo & (top < orders.group[rows])
    if higher.any():
        policy = problem.policy
        names = np.array(
            [
                f"the units it could use went to {AllocationPolicy.group_name(g, policy)} "
                "orders, which rank first"
                for g in range(policy.group_count)
            ],
            dtype=object,
        )
        settle(higher, HIGHER, names[np.where(higher, top, 0)])
    return Reasons(code, reason)


def _capped(
    problem: Problem, flow: IntArray, rows: IntArray
) -> tuple[npt.NDArray[np.bool_], TextArray]:
    """Which rows a fair-share cap keeps short (their party has all its cap allows of the
    part), and the words: ``capped: customer C-12 has taken its 40% of SSD-512 this week``."""
    caps = cap_hubs(problem.orders, problem.sources, problem.context)
    words = np.empty(len(rows), dtype=object)
    if caps is None:
        return np.zeros(len(rows), dtype=bool), words
    got = np.bincount(problem.arcs.order, weights=flow, minlength=len(problem.orders))
    capped = caps.hub >= 0
    taken = np.bincount(caps.hub[capped], weights=got[capped], minlength=len(caps))
    taken += caps.taken  # what the party took earlier in the period (the plan has the rest)
    hub = caps.hub[rows]
    full = (hub >= 0) & (taken[np.maximum(hub, 0)] >= caps.limit[np.maximum(hub, 0)])
    said = {h: caps.words(h) for h in set(hub[full].tolist())}
    words[full] = [said[h] for h in hub[full].tolist()]
    return full, words


def _split(
    problem: Problem, flow: IntArray, rows: IntArray, excluded: dict[int, str]
) -> tuple[npt.NDArray[np.bool_], TextArray]:
    """Which rows the proportional split keeps short (their class got less of the part than
    it needed, and they have their share), and the words: ``split: parts_priority orders of
    SSD-512 got 6 of 10 units, shared in proportion to demand; this order's share is 2``."""
    shares = split_shares(problem, flow, excluded.keys())
    words = np.empty(len(rows), dtype=object)
    if shares is None:
        return np.zeros(len(rows), dtype=bool), words
    short = shares.short(rows)
    policy = problem.policy
    for i in np.flatnonzero(short).tolist():
        row = int(rows[i])
        group = int(shares.group[shares.pool[row]])
        words[i] = shares.words(row, AllocationPolicy.group_name(group, policy))
    return short, words


def _words(prefix: str, values: TextArray, suffix: str = "") -> TextArray:
    """``prefix + value + suffix`` per value, formatted once per distinct value."""
    if len(values) == 0:
        return np.zeros(0, dtype=object)
    distinct, inverse = np.unique(values.astype(str), return_inverse=True)
    said = np.array([f"{prefix}{v}{suffix}" for v in distinct.tolist()], dtype=object)
    out: TextArray = said[inverse]
    return out


def _best_holder_group(problem: Problem, flow: IntArray, rows: IntArray) -> IntArray:
    """For each row: the best priority group among orders holding its sources' units
    (:data:`_NOBODY` where nobody holds any)."""
    arcs, groups = problem.arcs, problem.orders.group
    used = flow > 0
    best = np.full(len(rows), _NOBODY, dtype=np.int64)
    if not used.any():
        return best
    by_source = np.full(len(problem.sources), _NOBODY, dtype=np.int64)
    np.minimum.at(by_source, arcs.source[used], groups[arcs.order[used]])
    wanted = np.zeros(len(problem.orders), dtype=bool)
    wanted[rows] = True
    mine = wanted[arcs.order]
    per_order = np.full(len(problem.orders), _NOBODY, dtype=np.int64)
    np.minimum.at(per_order, arcs.order[mine], by_source[arcs.source[mine]])
    best[:] = per_order[rows]
    return best


def _no_allowed_sources(
    problem: Problem, rows: IntArray
) -> tuple[npt.NDArray[np.bool_], TextArray]:
    """For orders with no allowed arc: whether no source at all reaches them, and the words.

    The kinds of source that could reach an order if policy allowed everything depend on
    its part, country, class and home depot only: they are found once per such kind of
    order. The words then depend on the class and those kinds, or on part and country.
    """
    orders = problem.orders
    homes = len(problem.context.depot_ids) + 2
    key = (
        (
            orders.part_code[rows] * (len(problem.context.country_cols) + 1)
            + orders.country_col[rows]
        )
        * len(CLASSES)
        + orders.class_code[rows]
    ) * homes + (orders.home_code[rows] + 1)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    mask = _kinds_within_reach(problem, rows[first])[inverse.reshape(-1)]
    never = mask == 0
    words = np.empty(len(rows), dtype=object)
    if never.any():
        blocked = rows[never]
        words[never] = _pair_words(
            "no stock, receipt or supply option of ",
            orders.part_number[blocked],
            " can reach ",
            orders.country[blocked],
        )
    names = [k.value for k in SourceKind]
    said: dict[tuple[int, int], str] = {}
    klass = orders.class_code[rows]
    for c, m in set(zip(klass[~never].tolist(), mask[~never].tolist(), strict=True)):
        listed = ", ".join(sorted(names[k] for k in range(len(names)) if m >> k & 1))
        said[(c, m)] = (
            f"policy: {CLASSES[c].value} orders may not use {listed}, the only sources of this part"
        )
    for (c, m), text in said.items():
        words[~never & (klass == c) & (mask == m)] = text
    return never, words


def _pair_words(prefix: str, first: TextArray, middle: str, second: TextArray) -> TextArray:
    """``prefix + a + middle + b`` per pair, formatted once per distinct pair."""
    pairs = pd.MultiIndex.from_arrays([first, second])
    codes, distinct = pd.factorize(pairs)
    said = np.array([f"{prefix}{a}{middle}{b}" for a, b in distinct], dtype=object)
    out: TextArray = said[codes]
    return out


def _kinds_within_reach(problem: Problem, rows: IntArray) -> IntArray:
    """Per row: a bit mask of the source kinds that can reach it, allowed or not."""
    every = build_arcs(problem.orders, problem.sources, problem.context, rows, only_allowed=False)
    position = np.full(len(problem.orders), -1, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    mask = np.zeros(len(rows), dtype=np.int64)
    np.bitwise_or.at(mask, position[every.order], np.left_shift(1, every.kind.astype(np.int64)))
    return mask
