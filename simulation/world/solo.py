"""The exact no-solve path: one order alone in a decision gets what the engine would give it.

When a decision concerns a single order, every strategy of the engine reduces to ranking
that order's sources and filling its need from the best ones:

- ``optimal`` minimises, lexicographically, (units short, ETA ticks, age, money in cents,
  tie-break) summed over the units. Every term is a per-unit cost of the source a unit comes
  from, and the lexicographically smallest sum of ``k`` such vectors is the sum of the ``k``
  smallest (replace a chosen vector by a smaller unchosen one and the sum decreases), so
  filling from sources sorted by (ticks, cents, tie) is optimal. When two sources tie on all
  three and the need splits between them, the optimum is not unique and the engine's choice
  cannot be known without it: the path declines and the engine decides.
- ``fifo`` and ``tier_greedy`` take each order's sources by (ETA hours, money, position in
  the engine's sources table), which is (part code, base, origin, release); never a tie.
- **Response-time targets.** For an order with a ``need_by``, ``optimal`` ranks units late,
  then hours late, before ETA ticks; for one order all three grow with the ETA, so the
  lone-order rule holds with the three as one key
  (:func:`allocation.engine.objective.lone_ticks`), and the tie-break keys the order by
  its node and its ``need_by`` (:func:`~allocation.engine.objective.tie_node`). Orders of
  one node with different targets are no longer one node to the engine: the path
  declines them. The baselines ignore targets, as the engine's do.

The numbers come from :class:`~simulation.world.supply.Supply`, which computes them with the
engine's arithmetic, so this path and the engine agree exactly; a test runs worlds both ways
and compares every record.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from allocation.engine import objective
from simulation.world.state import OrderBook
from simulation.world.supply import KIND_NAMES, Candidate, Supply

__all__ = ["Commit", "commit_of", "fill_optimal", "in_sequence", "one_node", "solo"]


class Commit(NamedTuple):
    """Units a decision gives an order from one source (a named tuple: made on every
    decision that gives units, and a tuple is made fastest).

    ``base`` is 0 shelf (ships now), 1 receipt (promised, ships when it lands), 2 expedite
    and 3 broker (bought now). ``depot`` is the depot of a shelf or receipt, ``option`` the
    supply option row, -1 where they do not apply; ``transit_hours`` the lane from the source
    to the order; ``money`` per unit (price plus lane); ``planned`` when a receipt is expected
    to land; ``protected`` whether shelf units come from under the protection level.
    """

    row: int
    base: int
    kind: str
    part: int
    depot: int
    option: int
    quantity: int
    transit_hours: float
    money: float
    planned: float
    protected: bool = False

    def sort_key(self) -> tuple[int, int, int, int, bool, int, float]:
        """Canonical order of application (purchases draw random numbers in this order)."""
        return (
            self.row,
            self.part,
            self.base,
            self.depot,
            self.protected,
            self.option,
            self.planned,
        )


def commit_of(row: int, candidate: Candidate, quantity: int) -> Commit:
    """The commitment of ``quantity`` units of a candidate source to an order."""
    # Positionally, in the fields' order: (row, base, kind, part, depot, option, quantity,
    # transit_hours, money, planned, protected).
    return Commit(
        row,
        candidate.base,
        KIND_NAMES[candidate.kind],
        candidate.part,
        candidate.depot,
        candidate.option,
        quantity,
        candidate.transit,
        candidate.money,
        candidate.planned,
        candidate.protected,
    )


def solo(
    supply: Supply,
    strategy: str,
    *,
    row: int,
    part: int,
    klass: int,
    col: int,
    home: int,
    agg_key: int,
    need: int,
    rank: int,
    now: float,
    pre_empts: bool,
    partial_fills: bool,
    due_ns: int | None = None,
) -> list[Commit] | None:
    """What the engine would give a single order: its commitments, ``[]`` for nothing, or
    None when the engine's answer is not unique and only the engine can say.

    ``due_ns`` is the order's ``need_by`` (nanoseconds since the epoch; None: no target),
    which ``optimal`` ranks sources by; the baselines ignore it, as the engine's do."""
    if strategy != "optimal":
        due_ns = None
    found = supply.candidates(
        part, klass, col, home, need, rank, now, pre_empts, due_ns is not None
    )
    if not found:
        return []
    if not partial_fills and sum(c.units for c in found) < need:
        return []
    if strategy == "optimal":
        takes = fill_optimal(supply, found, need, agg_key, due_ns, now)
        if takes is None:
            return None
    else:
        takes = _fill_greedy(supply, found, need)
    return [commit_of(row, found[i], units) for i, units in takes if units > 0]


def _fill_greedy(supply: Supply, found: list[Candidate], need: int) -> list[tuple[int, int]]:
    takes = []
    for i in sorted(range(len(found)), key=lambda i: _greedy_key(supply, found[i])):
        if need == 0:
            break
        units = min(need, found[i].units)
        takes.append((i, units))
        need -= units
    return takes


def fill_optimal(
    supply: Supply,
    found: list[Candidate],
    need: int,
    agg_key: int,
    due_ns: int | None = None,
    now: float = 0.0,
) -> list[tuple[int, int]] | None:
    """The engine's lone-order rule (:func:`allocation.engine.objective.fill_alone_lazy`)
    over the candidates; None where only a solver's pick could say. A candidate's tie cost
    is computed only where its ticks and cents tie another's. With a ``need_by``, the
    ticks are the keys that put units late and hours late first (:meth:`Supply.lone_keys`)
    and the tie-break keys the order by its node and target, as the engine does.

    Mostly one source is best alone on (ticks, cents) and holds the whole need: the rule
    then fills the need from it, and nothing else (its run of equal keys is itself, so
    no tie is read and nothing is ambiguous) — answered here without the general rule."""
    keys = supply.keys_of(found)
    if due_ns is None:
        best = min(range(len(found)), key=keys.__getitem__)
        if 0 < need <= found[best].units and keys.count(keys[best]) == 1:
            return [(best, need)]
    ticks = [k[0] for k in keys]
    node = agg_key
    if due_ns is not None:
        ticks = supply.lone_keys(found, due_ns, now)
        node = supply.tie_node(agg_key, due_ns)
    take = objective.fill_alone_lazy(
        ticks,
        [k[1] for k in keys],
        lambda i: supply.tie(node, found[i]),
        [c.units for c in found],
        need,
    )
    if take is None:
        return None
    # By (keys, position): a stable sort of the positions keeps equal keys in order.
    ranked = sorted(range(len(found)), key=keys.__getitem__)
    return [(i, take[i]) for i in ranked if take[i] > 0]


def one_node(
    supply: Supply,
    book: OrderBook,
    rows: list[int],
    *,
    rank: int,
    now: float,
    pre_empts: bool,
) -> list[Commit] | None:
    """What ``optimal`` gives several orders of one node (same part, country, rank, class).

    The engine merges such orders into one node: its units are chosen as for one order of
    their total need (see :func:`solo`), go to the oldest orders first (the age level, in
    whole minutes) and, among them, the fastest units to the oldest (the engine's split:
    orders by minute then id, units by ticks, cents, tie-break and source). With targets
    the engine merges only orders that share their ``need_by``; orders with several are
    left to it (None).
    """
    first = rows[0]
    due_ns = book.due_ns(first)
    if book.targets and any(book.need_by_ns[r] != due_ns for r in rows):
        return None
    need = sum(book.need[r] for r in rows)
    found = supply.candidates(
        book.part[first],
        book.klass[first],
        book.country_col[first],
        book.home[first],
        need,
        rank,
        now,
        pre_empts,
        due_ns is not None,
    )
    if not found:
        return []
    takes = fill_optimal(supply, found, need, book.agg_key[first], due_ns, now)
    if takes is None:
        return None
    members, flows = _member_flows(book, rows, sum(units for _, units in takes))
    agg_key = supply.tie_node(book.agg_key[first], due_ns)
    ranked = sorted(
        ((i, units) for i, units in takes if units > 0),
        key=lambda t: (
            *supply.ticks_and_cents(found[t[0]]),
            supply.tie(agg_key, found[t[0]]),
            _position(supply, found[t[0]]),
        ),
    )
    commits: list[Commit] = []
    queue = [[i, units] for i, units in ranked]
    for row, flow in zip(members, flows, strict=True):
        while flow > 0:
            i, units = queue[0]
            give = min(units, flow)
            commits.append(commit_of(row, found[i], give))
            flow -= give
            queue[0][1] -= give
            if queue[0][1] == 0:
                queue.pop(0)
    return commits


def _member_flows(book: OrderBook, rows: list[int], units: int) -> tuple[list[int], list[int]]:
    """The members in the engine's rank (older minute first, then order id) and the units
    each gets, each filled before the next (the engine's split of a node's units)."""
    minutes = np.array([book.minute(r) for r in rows], dtype=np.int64)
    ids = np.array([book.order_id[r] for r in rows], dtype=object)
    ranked = objective.rank_members(minutes, ids)
    wanted = np.array([book.need[r] for r in rows], dtype=np.int64)
    flows = objective.split_among_members(
        np.zeros(len(rows), dtype=np.int64), wanted, np.array([units], dtype=np.int64), ranked
    )
    return [rows[i] for i in ranked.tolist()], flows[ranked].tolist()


def in_sequence(
    supply: Supply,
    strategy: str,
    book: OrderBook,
    rows: list[int],
    *,
    rank: int,
    now: float,
    pre_empts: bool,
) -> list[Commit]:
    """What ``fifo`` or ``tier_greedy`` gives several orders: in the strategy's order (age,
    or rank then age; the order id last), each takes its best sources with units left."""
    sequence = objective.serving_order(
        strategy,
        np.array([book.rank[r] for r in rows], dtype=np.int64),
        np.array([book.created_ns[r] for r in rows], dtype=np.int64),
        np.array([book.order_id[r] for r in rows], dtype=object),
    )
    ordered = [rows[i] for i in sequence.tolist()]
    need = sum(book.need[r] for r in rows)
    taken: dict[tuple[int, int, int, int, float, bool], int] = {}
    seen: dict[tuple[int, int, int, int], list[Candidate]] = {}
    commits = []
    for row in ordered:
        kind = book.profile(row)
        found = seen.get(kind)
        if found is None:
            found = seen[kind] = sorted(
                supply.candidates(*kind, need, rank, now, pre_empts),
                key=lambda c: _greedy_key(supply, c),
            )
        want = book.need[row]
        for c in found:
            if want == 0:
                break
            source = (c.base, c.part, c.depot, c.option, c.planned, c.protected)
            give = min(want, c.units - taken.get(source, 0))
            if give > 0:
                taken[source] = taken.get(source, 0) + give
                commits.append(commit_of(row, c, give))
                want -= give
    return commits


def _position(supply: Supply, c: Candidate) -> tuple[int, int, str, float, bool]:
    """Where the source sits in the engine's sources table: part, base, origin, release,
    then a shelf's free units before its protected ones."""
    return (c.part, c.base, supply.origin(c), c.release, c.protected)


def _greedy_key(supply: Supply, c: Candidate) -> tuple[float, float, int, int, str, float, bool]:
    return (c.eta, c.money, *_position(supply, c))
