"""The objective, in one place: its levels, their scaling, the ties and the no-solve rules.

Strictly in this order, for each priority group ``g`` (0 = ``parts_priority``): units to
``g``; ``g``'s units late (ETA after the order's ``need_by``); ``g``'s hours late, in ticks;
``g``'s ETA in ticks of the policy's resolution (downtime); ``g``'s order age in
minutes (older first); after every group, money in cents; last, a tie-break that is the
same in every process, so that equally good plans never depend on batching or row order
(DESIGN.md, "Optimizer"), and that gives a tie between a unit there now and one not yet
there to the one there now (work conservation: no unit waits on a shelf while an order
waits for a receipt its ETA ticks cannot tell from the shelf). The solver
(:mod:`allocation.engine.solve`) combines the levels exactly; everything that ranks sources
or orders without it — the incremental planner's no-solve paths and the simulator's — calls
the functions here, so a new level is written once:

- :func:`fill_alone`, the lone-order rule: what an order takes when nobody competes (and
  :func:`fill_alone_lazy`, the same over a few sources in lists);
- :func:`served_from_free` and :func:`waits_behind`, when an arrival needs no solve;
- :func:`rank_members` and :func:`split_among_members`, how a node of identical orders
  hands out its units;
- :func:`serving_order`, the order in which the baselines serve orders.

Broker risk, priced
-------------------
With the policy's ``broker_risk: priced`` a broker arc's ETA is its buy's *expected* ETA
(:func:`broker_expected_eta`): the ETA when it succeeds, weighed with the time to detect a
failure and get the unit otherwise. It replaces the arc's ETA where arc ETAs are computed
(:mod:`allocation.engine.model._arcs`), before any level reads it, so units late, hours
late and ETA ticks of a broker arc are those of its expected ETA, and every other path
that ranks sources (the incremental planner's shortcuts, the simulator's exact paths, the
baselines) reads the same number. It is one more per-arc ETA in hours, rounded to integer
ticks: the levels, their bounds and the proof below are unchanged. With the default
``threshold`` no arc changes.

Response-time targets, and why the order stays exact
----------------------------------------------------
An order may have a ``need_by`` (:mod:`allocation.domain.response`). A unit from source
``s`` to order ``o`` is *late* when its ETA is after ``o``'s ``need_by`` by more than half a
second (both are compared in whole seconds, so float noise in an ETA never makes a unit
late); it is late by ``max(0, ETA − need_by)`` hours, counted in ticks of the policy's ETA
resolution and rounded half to even like ETAs (:func:`late_levels`): a unit late by less
than half a tick is late (it counts on the units-late level) by zero ticks. An order with
no ``need_by`` is never late.

Both are costs of one unit on one source→order arc: integers that depend only on the arc's
ETA and the order's ``need_by``. The solver's exactness proof
(:mod:`allocation.engine.solve._lexflow`, "How the levels are combined") holds for any list
of such integer per-arc or per-sink levels: a level changes around a simple residual cycle
by at most ``(S + 1)·spread`` (``spread`` = 1 for units late, the largest lateness in ticks
for hours late), the weights ``w_i = 1 + Σ_{j>i} w_j·B_j`` make every lexicographically
negative cycle negative in the weighted sum, and levels whose weights would overflow are
solved in later stages on the optimal face of the earlier ones. So inserting the two
levels between a group's units and its ETA makes the solve exactly lexicographic in the
new order — units, units late, hours late, ETA, age per group, then money, then the tie —
and the class order stays strict: group ``g``'s levels all come before group ``g + 1``'s
units, so no amount of a lower group buys a worse higher one.

When no order has a ``need_by`` both levels are zero everywhere and are left out
(:func:`batch_levels`), and the solve's network is the one it was before targets existed:
plans stay bit for bit what they were, at the same cost. Orders with different targets are
no longer alike, so the solver merges only orders that also share their ``need_by``
(:mod:`allocation.engine.solve._optimal`), and the tie-break keys an order by its node
mixed with its ``need_by`` (:func:`tie_node`), so that ties between such nodes are broken
the same way in any batch.

The lone-order rules rank one order's sources; for one order, "units late", "hours late"
and ETA ticks all grow with the ETA, so the three levels are one key in lexicographic order.
:func:`lone_ticks` makes that key (a dense rank of the triple), which callers pass to
:func:`fill_alone`, :func:`fill_alone_lazy` or :func:`served_from_free` in place of the ETA
ticks: the rules are then exact with targets too, and unchanged without them.

Churn penalty
-------------
With a previous plan (:class:`allocation.domain.overrides.Previous`) and the policy's
``churn_penalty`` > 0, the money level is money in cents plus :func:`churn_cents` of the
penalty per unit moved, a unit moved being what :mod:`allocation.engine._churn` counts: per
(order, source kind, origin) of the previous plan, ``max(0, before − now)``. It is the same
as a reward of ``−churn_cents`` per unit an order keeps on its previous (kind, origin), up
to the previous units, plus a constant; :mod:`allocation.engine.solve._churn_penalty` builds
that reward into the network exactly (its docstring has the proof) with
:func:`churn_rewarded_money`. Only the money level changes: every class level above it,
and so the class order, is untouched. Without a previous plan, or at penalty 0, nothing
changes, bit for bit.

Fair-share caps (:mod:`allocation.domain.fair_share`) add no level: they are capacities of
the network (cap hubs, :mod:`allocation.engine.solve._lexflow`), and the objective above is
optimised over the plans that keep them. Age still ranks within its group, before the next
group's units: without caps it never changes what a lower group gets (which orders of a
group are served and which sources serve them can be chosen independently), but a cap hub
ties the two, so under a cap an older order of a group may take the one unit a younger one
would have left to the next group. The lone-order rules do not know caps, so no
no-solve path may serve an order a cap applies to; :func:`tie_party` keys capped orders by
their party in the tie-break.

The proportional split (:mod:`allocation.domain.fair_share`) adds one level per group,
``split[g]``, right after ``g``'s units: the units within quota, ``Σ min(x_i, quota_i)``,
maximised. It ranks after units because it shares the units the group gets and must never
cost it one (nor any higher group anything: all its levels come after theirs); it ranks
before units late, hours late, ETA and age because a split that came after them would
only break their ties: the policy asks that a short class's units follow demand first, and
speed and age then decide among the plans that share them so. It is a level on order→sink
arcs: the solver gives each order of a split pool two sink arcs, its quota (cost −1) and
the rest (cost 0), to the same hub, so its spread is 1 and the bound ``(H + 1)·spread`` of
:mod:`allocation.engine.solve._lexflow` holds unchanged. The quotas depend on the units
``A`` the group gets, which depend on the levels of the groups above (their splits
included) and on nothing of the group's own; the solver reads ``A`` from a solve and
solves again until the quotas it used are those of the plan it got
(:mod:`allocation.engine.solve._optimal`). With the split off the level is absent and
plans are bit for bit what they were. No lone-order rule knows the split, so no no-solve
path may serve an order the split governs (:func:`~allocation.engine.model.split_parts`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

try:  # pandas' own SipHash of object arrays, without its checks around one element
    from pandas._libs.hashing import hash_object_array  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - a pandas that moved it: the public path below
    hash_object_array = None

__all__ = [
    "TIE_RANGE",
    "Level",
    "batch_levels",
    "broker_expected_eta",
    "broker_expected_eta_one",
    "cent",
    "churn_cents",
    "churn_rewarded_money",
    "eta_ticks",
    "fill_alone",
    "fill_alone_lazy",
    "identity_hash",
    "identity_hash_one",
    "late_levels",
    "lone_ticks",
    "money_cents",
    "node_keys",
    "one_source_identity",
    "rank_members",
    "served_from_free",
    "serving_order",
    "source_identity",
    "split_among_members",
    "tick",
    "tie_break",
    "tie_break_one",
    "tie_node",
    "tie_party",
    "waits_behind",
]

IntArray = npt.NDArray[np.int64]
TIE_RANGE = 1 << 12
"""The pseudo-random part of a tie-break cost lies in ``[0, TIE_RANGE)``; a source that is
not there now adds ``TIE_RANGE`` (:func:`tie_break`), so tie costs lie in ``[0, 2·TIE_RANGE)``."""
_HELD = "|held"
# Set in a source's identity hash when the source releases its units later than now: the
# hash itself (SipHash shifted right by 33) never reaches this bit.
_LATER = np.int64(1) << np.int64(40)
_NOW = ("|0.0", "|-0.0", f"|0.0{_HELD}", f"|-0.0{_HELD}")
# pandas' default SipHash key and encoding (``pandas.util.hash_array``'s defaults).
_HASH_KEY, _ENCODING = "0123456789123456", "utf8"
_MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class Level:
    """One level of the objective: integer costs on source→order arcs or on order→sink arcs.

    ``on`` is ``"arc"`` (``costs`` has one entry per source→order arc) or ``"order"`` (one
    per order, charged per unit through the order). ``name`` is for messages only.
    """

    name: str
    on: str
    costs: IntArray


def eta_ticks(eta_hours: npt.NDArray[np.float64], resolution: float) -> IntArray:
    """ETAs in whole ticks of ``resolution`` hours: ETAs closer than a tick are a tie."""
    ticks: IntArray = np.rint(eta_hours / resolution).astype(np.int64)
    return ticks


def money_cents(money: npt.NDArray[np.float64]) -> IntArray:
    """Money per unit in whole cents."""
    cents: IntArray = np.rint(money * 100.0).astype(np.int64)
    return cents


def churn_cents(penalty: float) -> int:
    """The churn penalty per unit moved, in whole cents (as :func:`money_cents` rounds).

    >>> churn_cents(2.5), churn_cents(0.0)
    (250, 0)
    """
    return cent(penalty)


def churn_rewarded_money(
    money: npt.NDArray[np.float64], reward_cents: int
) -> npt.NDArray[np.float64]:
    """Money per unit whose :func:`money_cents` is ``money_cents(money) − reward_cents``,
    exactly: an arc that keeps a previous unit where it was, priced on the money level.

    Whole cents ``c`` with ``|c| < 2**50`` survive ``c / 100 * 100`` within a few units
    in the last place, far less than the half a cent :func:`money_cents` rounds away.

    >>> money = np.array([0.1, 12.345, 0.0])
    >>> (money_cents(churn_rewarded_money(money, 250)) - money_cents(money)).tolist()
    [-250, -250, -250]
    """
    shifted: npt.NDArray[np.float64] = (money_cents(money) - np.int64(reward_cents)) / 100.0
    return shifted


def broker_expected_eta(
    eta: npt.NDArray[np.float64],
    success: npt.NDArray[np.float64],
    detected_hours: float | None,
    fallback_hours: float | None,
) -> npt.NDArray[np.float64]:
    """The expected ETA of broker buys that succeed with probability ``success``: what a
    broker unit costs on the ETA level when the policy prices broker risk.

    A buy placed now delivers at ``eta`` (its lead time plus the lane) with probability
    ``p``; otherwise its failure is known after ``D`` hours (``detected_hours``; None: at
    ``eta``, when the unit should have come) and the order needs a unit again:

    - with ``fallback_hours`` ``F`` the order then has one ``F`` hours later, so
      ``E = p·eta + (1 − p)·(D + F)``;
    - without it the order buys the same again, until a buy succeeds (a geometric number
      of tries, each failure costing ``D``), so ``E = eta + D·(1 − p)/p``, and an offer
      that never succeeds (``p = 0``) is never reached (``inf``).

    ``p = 1`` gives ``eta`` itself, bit for bit. The result is an ETA in hours like any
    other: rounded to ticks by :func:`eta_ticks`, so every level stays an integer per-arc
    cost and the solver's exactness proof is untouched.

    >>> eta, p = np.array([72.0, 72.0, 72.0]), np.array([1.0, 0.5, 0.0])
    >>> broker_expected_eta(eta, p, None, None).tolist()
    [72.0, 144.0, inf]
    >>> broker_expected_eta(eta, p, 96.0, 100.0).tolist()
    [72.0, 134.0, 196.0]
    """
    detected = eta if detected_hours is None else np.full(len(eta), float(detected_hours))
    if fallback_hours is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            tries = eta + (1.0 - success) / success * detected
        expected: npt.NDArray[np.float64] = np.where(success > 0, tries, np.inf)
        return expected
    priced: npt.NDArray[np.float64] = success * eta + (1.0 - success) * (
        detected + float(fallback_hours)
    )
    return priced


def broker_expected_eta_one(
    eta: float, success: float, detected_hours: float | None, fallback_hours: float | None
) -> float:
    """:func:`broker_expected_eta` of one buy, in Python's floats: the same value, bit for
    bit (the same operations in the same order), for the simulator's exact paths.

    >>> etas, ps = [72.0, 30.5, 7.25, 0.0], [0.55, 0.88, 1.0, 0.3]
    >>> for d, f in ((None, None), (96.0, None), (None, 24.0), (96.0, 120.0)):
    ...     one = [broker_expected_eta_one(e, p, d, f) for e, p in zip(etas, ps, strict=True)]
    ...     assert one == broker_expected_eta(np.array(etas), np.array(ps), d, f).tolist()
    """
    detected = eta if detected_hours is None else float(detected_hours)
    if fallback_hours is None:
        return eta + (1.0 - success) / success * detected if success > 0 else math.inf
    return success * eta + (1.0 - success) * (detected + float(fallback_hours))


def late_levels(
    eta_hours: npt.NDArray[np.float64], due_hours: npt.NDArray[np.float64], resolution: float
) -> tuple[IntArray, IntArray]:
    """Per unit of each arc: whether it is late (1) and by how many ticks.

    ``due_hours`` is the arc's order's ``need_by`` in hours from the same moment as the ETA
    (NaN: no target, never late). Late means later than ``need_by`` in whole seconds; the
    ticks are ``max(0, ETA − need_by)`` in ticks of ``resolution``, rounded half to even.

    >>> late, ticks = late_levels(np.array([1.0, 5.0, 5.0, 9.0]),
    ...                           np.array([2.0, 4.64, np.nan, 9.0001]), 0.1)
    >>> late.tolist(), ticks.tolist()
    ([0, 1, 0, 0], [0, 4, 0, 0])
    """
    over = np.nan_to_num(np.asarray(eta_hours, np.float64) - due_hours, nan=0.0)
    late: IntArray = (np.rint(over * 3600.0) > 0).astype(np.int64)
    ticks: IntArray = np.where(late > 0, np.rint(np.maximum(over, 0.0) / resolution), 0).astype(
        np.int64
    )
    return late, ticks


def lone_ticks(
    ticks: Sequence[int] | IntArray,
    late: Sequence[int] | IntArray,
    late_ticks: Sequence[int] | IntArray,
) -> list[int]:
    """One key per source of one order that ranks as (units late, hours late, ETA ticks):
    the dense rank of the triple, to pass to the lone-order rules as their ticks.

    Equal triples get equal keys, so the rules see the same ties as before.

    >>> lone_ticks([30, 31, 50], [1, 0, 1], [2, 0, 9])
    [1, 0, 2]
    """
    triples = list(zip(late, late_ticks, ticks, strict=True))
    rank = {t: i for i, t in enumerate(sorted(set(triples)))}
    return [rank[t] for t in triples]


def tick(hours: float, resolution: float) -> int:
    """One ETA in ticks, as :func:`eta_ticks` rounds it (half to even), for a single value.

    >>> tick(0.25, 0.1), tick(0.35, 0.1)
    (2, 3)
    """
    return round(hours / resolution)


def cent(money: float) -> int:
    """One amount of money in whole cents, as :func:`money_cents` rounds it."""
    return round(money * 100.0)


def node_keys(
    part_code: IntArray, country_col: IntArray, group: IntArray, class_code: IntArray
) -> IntArray:
    """Orders with the same part, country column, priority group and class get one key.

    Such orders have the same sources at the same ETAs and costs: the optimizer gives them
    one node, and the tie-break one key.
    """
    key: IntArray = ((part_code * 1024 + country_col) * 16 + group) * 4 + class_code
    return key


def source_identity(
    part: npt.NDArray[np.object_],
    origin: npt.NDArray[np.object_],
    base_label: npt.NDArray[np.object_],
    release_hours: npt.NDArray[np.float64],
    protected: npt.NDArray[np.bool_],
) -> npt.NDArray[np.object_]:
    """What identifies a source across rebuilds: part, origin, base, release, tranche.

    The protected units of a shelf (under a protection level) are a source of their own,
    marked ``|held``.
    """
    if len(part) == 0:
        return np.zeros(0, dtype=object)
    rounded = np.round(np.asarray(release_hours, dtype=np.float64), 6).tolist()
    identity = np.array(
        [
            f"{p}|{o}|{k}|{r!r}"
            for p, o, k, r in zip(
                part.tolist(), origin.tolist(), base_label.tolist(), rounded, strict=True
            )
        ],
        dtype=object,
    )
    if protected.any():
        identity[protected] = identity[protected] + _HELD
    return identity


def identity_hash(identity: npt.NDArray[np.object_]) -> IntArray:
    """A hash of source identities, the same in every process (pandas' SipHash), with a
    flag bit for a source that releases its units later than now.

    The release is the last field of an identity before its tranche mark, as
    :func:`source_identity` writes it (rounded to 1e-6 h); a source there now has ``0.0``.
    :func:`tie_break` reads the flag, so every caller that ranks sources by the tie level
    (the solver, the incremental planner's shortcuts, the simulator's exact paths) prefers
    a unit there now over one not yet there, without a new argument.

    >>> flags = identity_hash(np.array(["P|D|stock|0.0", "P|D|inbound|0.04"], dtype=object))
    >>> (flags >= 1 << 40).tolist()
    [False, True]
    """
    if len(identity) == 0:
        return np.zeros(0, dtype=np.int64)
    # Hashed one by one, not categorised first: the same values (pandas hashes a category's
    # label the same way), without building a Categorical for every call.
    hashed = (pd.util.hash_array(identity, categorize=False) >> np.uint64(33)).astype(np.int64)
    later = np.fromiter((not str(i).endswith(_NOW) for i in identity), bool, len(identity))
    flagged: IntArray = hashed | np.where(later, _LATER, np.int64(0))
    return flagged


def identity_hash_one(identity: str) -> int:
    """:func:`identity_hash` of one identity, for the simulator's exact paths: the same
    SipHash of the string and the same 64-bit mix pandas applies after it, in Python's
    integers, without pandas' checks around a one-element array.

    >>> ids = ["P|D|stock|0.0", "P|D|inbound|0.04", "P|D|stock|0.0|held", "Ü|D|broker|-0.0"]
    >>> [identity_hash_one(i) for i in ids] == identity_hash(np.array(ids, dtype=object)).tolist()
    True
    """
    if hash_object_array is None:  # pragma: no cover
        return int(identity_hash(np.array([identity], dtype=object))[0])
    h = int(hash_object_array(np.array([identity], dtype=object), _HASH_KEY, _ENCODING)[0])
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & _MASK64
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & _MASK64
    h ^= h >> 31
    return (h >> 33) | (0 if identity.endswith(_NOW) else int(_LATER))


def tie_break(node: IntArray, source_hash: IntArray) -> IntArray:
    """The last level: a pseudo-random cost per (order node, source), the same everywhere,
    plus ``TIE_RANGE`` for a source that is not there now.

    The pair is mixed through a 64-bit finaliser (splitmix64's) before it is cut to the
    range, so the cost is no sum of a node term and a source term: were it one, every plan
    giving the same units to each node and taking the same units from each source would
    cost the same, and the tie level would break none of those ties.

    A source flagged by :func:`identity_hash` as releasing later (a receipt on its way, a
    purchase with a lead time) costs ``TIE_RANGE`` more than any source there now, so of
    two sources equal on every level above — a shelf unit and a receipt landing within
    half an ETA tick — the order takes the shelf: swapping a later unit for a free unit
    there now lowers the tie level by at least ``TIE_RANGE − (TIE_RANGE − 1) = 1``. It is
    an ordinary per-unit cost, so the lexicographic proof
    (:mod:`allocation.engine.solve._lexflow`, which bounds a level by its actual spread)
    and the lone-order rule (:func:`fill_alone`) hold as they are. Sources there now keep
    exactly the costs they had before the flag existed.

    >>> now, later = np.int64(5), np.int64(5) | np.int64(1 << 40)
    >>> int(tie_break(np.array([9]), np.array([later]))[0] - tie_break(np.array([9]),
    ...     np.array([now]))[0]) == TIE_RANGE
    True
    """
    later = (source_hash & _LATER) != 0
    with np.errstate(over="ignore"):
        x = node.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        x ^= (source_hash & ~_LATER).astype(np.uint64)
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    cost: IntArray = (x % np.uint64(TIE_RANGE)).astype(np.int64)
    return cost + np.where(later, np.int64(TIE_RANGE), np.int64(0))


def tie_node(node: IntArray, need_by: npt.NDArray[np.datetime64]) -> IntArray:
    """The tie-break's key of each order: its node (:func:`node_keys`), mixed with its
    ``need_by`` when it has one.

    Orders of one node with other targets are solved as separate nodes; were their tie
    costs the same, ties between them would fall to the solver's arc order, which depends
    on batching. An order without a target keeps its node as its key, so plans without
    targets are unchanged.

    >>> node = np.array([7, 7, 7])
    >>> due = np.array(["NaT", "2026-01-01", "2026-01-02"], dtype="datetime64[ns]")
    >>> keys = tie_node(node, due).tolist()
    >>> keys[0] == 7, len(set(keys)) == 3
    (True, True)
    """
    due = need_by.astype(np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        mixed = ((due * np.uint64(0xD6E8FEB86659FD93)) >> np.uint64(1)).astype(np.int64)
    key: IntArray = np.where(np.isnat(need_by), node, node ^ mixed)
    return key


def tie_party(node: IntArray, hub: IntArray, party_key: IntArray) -> IntArray:
    """The tie-break's key of each order under fair-share caps: its key (:func:`tie_node`)
    mixed with its cap hub's party, for orders a cap applies to (``hub`` >= 0).

    Orders of one node under different caps are solved as separate nodes; as with targets,
    equal tie costs would leave ties between them to the solver's arc order, which depends
    on batching. Uncapped orders keep their key, so plans without caps are unchanged.

    >>> keys = tie_party(np.array([7, 7, 7]), np.array([-1, 0, 1]), np.array([11, 12]))
    >>> keys.tolist()[0] == 7, len(set(keys.tolist())) == 3
    (True, True)
    """
    if len(party_key) == 0:
        return node
    key = party_key[np.maximum(hub, 0)].astype(np.uint64)
    with np.errstate(over="ignore"):
        mixed = ((key * np.uint64(0x9FB21C651E98DF25)) >> np.uint64(1)).astype(np.int64)
    out: IntArray = np.where(hub >= 0, node ^ mixed, node)
    return out


def one_source_identity(
    part: str, origin: str, base_label: str, release_hours: float, protected: bool
) -> str:
    """:func:`source_identity` of one source, for the simulator's exact paths, which rank
    one order's sources at a time: the same string, without five one-element arrays.

    >>> one_source_identity("P", "D", "inbound", 0.1234567, True) == source_identity(
    ...     np.array(["P"], dtype=object), np.array(["D"], dtype=object),
    ...     np.array(["inbound"], dtype=object), np.array([0.1234567]), np.array([True]))[0]
    True
    """
    identity = f"{part}|{origin}|{base_label}|{_round_6(release_hours)!r}"
    return identity + _HELD if protected else identity


def _round_6(value: float) -> float:
    """``numpy.round(value, 6)`` of one float, bit for bit: NumPy multiplies by ``1e6``,
    rounds half to even and divides by ``1e6`` in doubles, as this does in Python's floats
    (a zero keeps the sign of ``value``, as ``rint`` keeps it).

    >>> xs = [0.1234565, 2.5e-6, -2.5e-7, -0.0, 1e300, 1e303, 123456.7890125]
    >>> [repr(_round_6(x)) for x in xs] == [repr(x) for x in np.round(np.array(xs), 6).tolist()]
    True
    """
    scaled = value * 1e6
    if not math.isfinite(scaled):
        return float(np.round(np.float64(value), 6))
    whole = round(scaled)
    return whole / 1e6 if whole else math.copysign(0.0, value)


def tie_break_one(node: int, source_hash: int) -> int:
    """:func:`tie_break` of one (order node, source) pair, in Python's integers: the same
    cost, bit for bit (the finaliser's arithmetic taken modulo 2**64), at a fraction of the
    cost of one-element arrays when the simulator ranks a lone order's sources.

    >>> pairs = [(9, 5), (9, 5 | 1 << 40), (-3, 123456789), (1 << 50, (1 << 31) - 1)]
    >>> [tie_break_one(n, h) for n, h in pairs] == tie_break(
    ...     np.array([n for n, _ in pairs]), np.array([h for _, h in pairs])).tolist()
    True
    """
    later = source_hash & int(_LATER)
    x = (node * 0x9E3779B97F4A7C15) & _MASK64
    x ^= source_hash & ~int(_LATER) & _MASK64
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & _MASK64
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & _MASK64
    x ^= x >> 31
    return x % TIE_RANGE + (TIE_RANGE if later else 0)


def batch_levels(
    order_group: IntArray,
    arc_group: IntArray,
    arc_eta_ticks: IntArray,
    order_minutes: IntArray,
    arc_cents: IntArray,
    arc_tie: IntArray,
    arc_late: IntArray | None = None,
    arc_late_ticks: IntArray | None = None,
    order_split: IntArray | None = None,
) -> list[Level]:
    """The levels of one solve, most important first, as the solver takes them.

    ``order_*`` describe the solve's orders (its sink arcs), ``arc_*`` its source→order
    arcs. Per group present, best first: units (−1 per unit), units within the
    proportional split's quotas (``order_split``: −1 on each order's quota sink arc, None
    without the split), units late and hours late
    in ticks (:func:`late_levels`; None when no order has a target), ETA ticks, age
    (minutes after the group's oldest order: a constant shift changes a level by a
    constant times its already fixed units, so a group ranks its orders alike in any
    batch); then money; then the tie-break. Levels that are zero everywhere are left out.
    """
    levels: list[Level] = []
    for g in np.unique(order_group):
        in_g = order_group == g
        levels.append(Level(f"units[{g}]", "order", -in_g.astype(np.int64)))
        if order_split is not None and np.any(order_split[in_g]):
            levels.append(Level(f"split[{g}]", "order", np.where(in_g, order_split, 0)))
        for name, cost in (("late", arc_late), ("late_ticks", arc_late_ticks)):
            if cost is not None:
                mine = np.where(arc_group == g, cost, 0)
                if np.any(mine):
                    levels.append(Level(f"{name}[{g}]", "arc", mine))
        eta = np.where(arc_group == g, arc_eta_ticks, 0)
        if np.any(eta):
            levels.append(Level(f"eta[{g}]", "arc", eta))
        age = np.where(in_g, order_minutes - order_minutes[in_g].min(), 0)
        if np.any(age):
            levels.append(Level(f"age[{g}]", "order", age))
    if np.any(arc_cents):
        levels.append(Level("money", "arc", arc_cents))
    levels.append(Level("tie", "arc", arc_tie))
    return levels


def fill_alone(
    ticks: Sequence[int] | IntArray,
    cents: Sequence[int] | IntArray,
    tie: Sequence[int] | IntArray,
    units: Sequence[int] | IntArray,
    need: int,
) -> IntArray | None:
    """Units one order takes from each of its sources when it is alone: the lone-order rule.

    Every level is a per-unit cost of the source a unit comes from, and the
    lexicographically smallest sum of ``k`` such vectors is the sum of the ``k`` smallest;
    so the optimum fills from sources sorted by (ticks, cents, tie). For an order with a
    ``need_by``, ``ticks`` are :func:`lone_ticks`, which put units late and hours late
    first. It is unique unless
    the need runs out inside a run of two or more sources equal on all three: then None
    (only a solver's arbitrary pick could say which). Sources that are equal and taken
    whole are no ambiguity.

    >>> fill_alone([3, 1, 1], [0, 5, 5], [7, 2, 9], [4, 1, 1], 3).tolist()
    [1, 1, 1]
    >>> fill_alone([1, 1], [5, 5], [2, 2], [3, 3], 4) is None
    True
    """
    ticks_a, cents_a = np.asarray(ticks, np.int64), np.asarray(cents, np.int64)
    tie_a, units_a = np.asarray(tie, np.int64), np.asarray(units, np.int64)
    order = np.lexsort((tie_a, cents_a, ticks_a))
    take = np.zeros(len(units_a), dtype=np.int64)
    left = need
    position = 0
    while position < len(order) and left > 0:
        stop = position + 1
        first = order[position]
        while stop < len(order) and (
            ticks_a[order[stop]] == ticks_a[first]
            and cents_a[order[stop]] == cents_a[first]
            and tie_a[order[stop]] == tie_a[first]
        ):
            stop += 1
        run = order[position:stop]
        having = run[units_a[run] > 0]
        total = int(units_a[run].sum())
        if total > left and len(having) > 1:
            return None
        for s in having.tolist():
            give = min(int(units_a[s]), left)
            take[s] = give
            left -= give
        position = stop
    return take


def fill_alone_lazy(
    ticks: Sequence[int],
    cents: Sequence[int],
    tie: Callable[[int], int],
    units: Sequence[int],
    need: int,
) -> list[int] | None:
    """:func:`fill_alone` over a few sources in Python's lists, reading the tie level only
    where it can decide: the same takes, for the simulator's lone orders, one per event.

    ``tie(i)`` is source ``i``'s tie cost; it is asked only of sources equal to another
    on (ticks, cents). A source unlike every other there is placed by (ticks, cents)
    alone and is a run of one, so its tie cost changes neither the order nor an
    ambiguity, and its identity need not be hashed. Sources equal on all three keep
    their input order, as :func:`fill_alone`'s stable sort keeps it. For an order with a
    ``need_by`` a caller passes :func:`lone_ticks` as ``ticks``, as to :func:`fill_alone`.

    >>> fill_alone_lazy([3, 1, 1], [0, 5, 5], [7, 2, 9].__getitem__, [4, 1, 1], 3)
    [1, 1, 1]
    >>> fill_alone_lazy([1, 1], [5, 5], [2, 2].__getitem__, [3, 3], 4) is None
    True
    """
    pairs = list(zip(ticks, cents, strict=True))
    if len(set(pairs)) == len(pairs):  # the usual case: no two sources alike, no tie asked
        keys = sorted((t, c, 0, i) for i, (t, c) in enumerate(pairs))
    else:
        alike = Counter(pairs)
        keys = sorted((*p, tie(i) if alike[p] > 1 else 0, i) for i, p in enumerate(pairs))
    take = [0] * len(keys)
    left = need
    position = 0
    while position < len(keys) and left > 0:
        level = keys[position][:3]
        stop = position + 1
        while stop < len(keys) and keys[stop][:3] == level:
            stop += 1
        run = [key[3] for key in keys[position:stop]]
        having = [s for s in run if units[s] > 0]
        if sum(units[s] for s in run) > left and len(having) > 1:
            return None
        for s in having:
            give = min(units[s], left)
            take[s] = give
            left -= give
        position = stop
    return take


def served_from_free(
    ticks: IntArray, cents: IntArray, tie: IntArray, units: IntArray, free: IntArray, need: int
) -> IntArray | None:
    """What an arriving order takes from each of its sources when it needs no solve; None
    when it needs one.

    ``units`` are each source's units, ``free`` those nobody holds. The order takes what it
    would take alone (:func:`fill_alone`); when that is its whole need and only free units,
    no other order gives anything up and the new one has its own optimum — lexicographic
    optima of separate orders add up — so the old plan plus this is optimal.
    """
    alone = fill_alone(ticks, cents, tie, units, need)
    if alone is None or int(alone.sum()) < need or np.any(alone > free):
        return None
    return alone


def waits_behind(
    minutes: IntArray, order_id: npt.NDArray[np.object_], short: npt.NDArray[np.bool_]
) -> bool:
    """Whether an arrival (the last entry) gets nothing and moves nobody, without a solve.

    The entries are the orders of one node (same part, country, priority group and class:
    the same arcs at the same ETAs and costs) and ``short`` says which were not filled. It
    is so when one of them that is short ranks before the arrival (:func:`rank_members`):
    whatever the arrival could gain, by taking a unit from another order or by drawing one
    more unit into the node, that waiting order could gain as well at no worse a cost on any
    level — and the plan had found no such gain; the node's units go out in rank order, so
    the arrival, ranked after one still short, gets none.
    """
    ahead = np.flatnonzero(short[:-1])
    if len(ahead) == 0:
        return False
    candidates = np.r_[ahead, len(minutes) - 1]
    first = rank_members(minutes[candidates], order_id[candidates])[0]
    return bool(candidates[first] != len(minutes) - 1)


def serving_order(
    strategy: str, group: IntArray, created_ns: IntArray, order_id: npt.NDArray[np.object_]
) -> IntArray:
    """The order in which a baseline serves orders: ``fifo`` oldest first, whatever the
    class; ``tier_greedy`` by priority group, then oldest first; the order id last.

    >>> serving_order("tier_greedy", np.array([1, 0]), np.array([5, 9]),
    ...               np.array(["b", "a"], dtype=object)).tolist()
    [1, 0]
    """
    ids = np.asarray(order_id, dtype=object).astype(str)
    if strategy == "fifo":
        ranked: IntArray = np.lexsort((ids, created_ns)).astype(np.int64)
    else:
        ranked = np.lexsort((ids, created_ns, group)).astype(np.int64)
    return ranked


def rank_members(minutes: IntArray, order_id: npt.NDArray[np.object_]) -> IntArray:
    """Orders in the rank a node hands out its units: older minute first, then order id."""
    ids = np.asarray(order_id, dtype=object).astype(str)
    ranked: IntArray = np.lexsort((ids, minutes)).astype(np.int64)
    return ranked


def split_among_members(
    node_of_member: IntArray,
    wanted: IntArray,
    node_units: IntArray,
    members: IntArray,
) -> IntArray:
    """Each node's units handed to its members in rank order, each filled before the next.

    The solver prices a member's age on its sink arc, so it fills older members first, but
    between members of equal age any split is optimal and the solver's pick follows the row
    order. Refilling the node's total in rank order (older first, then order id) scores the
    same on every level and makes the split independent of row order. ``members`` runs node
    by node, in rank order within each node; ``node_units`` is each node's total.
    """
    node = node_of_member[members]
    want = wanted[members]
    before = np.cumsum(want) - want
    start = np.r_[True, node[1:] != node[:-1]] if len(node) else np.zeros(0, dtype=bool)
    before -= np.maximum.accumulate(np.where(start, before, 0))
    filled = np.empty(len(wanted), dtype=np.int64)
    filled[members] = np.clip(node_units[node] - before, 0, want)
    return filled
