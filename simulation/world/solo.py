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

The numbers come from :class:`~simulation.world.supply.Supply`, which computes them with the
engine's arithmetic, so this path and the engine agree exactly; a test runs worlds both ways
and compares every record.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation.world.state import OrderBook
from simulation.world.supply import KIND_NAMES, Candidate, Supply

__all__ = ["Commit", "commit_of", "in_sequence", "one_node", "solo"]


@dataclass(frozen=True)
class Commit:
    """Units a decision gives an order from one source.

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
    return Commit(
        row=row,
        base=candidate.base,
        kind=KIND_NAMES[candidate.kind],
        part=candidate.part,
        depot=candidate.depot,
        option=candidate.option,
        quantity=quantity,
        transit_hours=candidate.transit,
        money=candidate.money,
        planned=candidate.planned,
        protected=candidate.protected,
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
) -> list[Commit] | None:
    """What the engine would give a single order: its commitments, ``[]`` for nothing, or
    None when the engine's answer is not unique and only the engine can say."""
    found = supply.candidates(part, klass, col, home, need, rank, now, pre_empts)
    if not found:
        return []
    if not partial_fills and sum(c.units for c in found) < need:
        return []
    if strategy == "optimal":
        takes = _fill_optimal(supply, found, need, agg_key)
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


def _fill_optimal(
    supply: Supply, found: list[Candidate], need: int, agg_key: int
) -> list[tuple[int, int]] | None:
    resolution = supply.resolution
    keys = [(round((c.release + c.transit) / resolution), round(c.money * 100.0)) for c in found]
    order = sorted(range(len(found)), key=keys.__getitem__)
    takes: list[tuple[int, int]] = []
    start = 0
    while start < len(order) and need > 0:
        stop = start
        while stop < len(order) and keys[order[stop]] == keys[order[start]]:
            stop += 1
        tied = order[start:stop]
        units = sum(found[i].units for i in tied)
        if units <= need or len(tied) == 1:
            for i in tied:
                take = min(found[i].units, need)
                takes.append((i, take))
                need -= take
        else:
            split = _split_by_tie(supply, found, tied, need, agg_key)
            if split is None:
                return None
            takes += split
            need = 0
        start = stop
    return takes


def _split_by_tie(
    supply: Supply, found: list[Candidate], tied: list[int], need: int, agg_key: int
) -> list[tuple[int, int]] | None:
    """Fill ``need`` from sources equal in ticks and cents by the engine's tie-break."""
    ties = {i: supply.tie(agg_key, found[i]) for i in tied}
    ranked = sorted(tied, key=ties.__getitem__)
    takes = []
    for position, i in enumerate(ranked):
        if need == 0:
            break
        take = min(found[i].units, need)
        later = ranked[position + 1] if position + 1 < len(ranked) else None
        if later is not None and ties[later] == ties[i]:
            return None  # two sources equal on every level and the need splits them
        takes.append((i, take))
        need -= take
    return takes


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
    orders by minute then id, units by ticks, cents, tie-break and source). When the units
    run out inside a minute shared by several orders, the engine's choice among them is
    arbitrary: the path declines.
    """
    first = rows[0]
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
    )
    if not found:
        return []
    takes = _fill_optimal(supply, found, need, book.agg_key[first])
    if takes is None:
        return None
    members = sorted(rows, key=lambda r: (book.minute(r), book.order_id[r]))
    flows = _member_flows(book, members, sum(units for _, units in takes))
    if flows is None:
        return None
    agg_key = book.agg_key[first]
    ranked = sorted(
        ((i, units) for i, units in takes if units > 0),
        key=lambda t: (
            *_key(supply, found[t[0]]),
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


def _member_flows(book: OrderBook, members: list[int], units: int) -> list[int] | None:
    """Units per member, oldest minute first; None when orders of one minute share the last
    units (the engine prices their ages alike and may split them either way)."""
    flows = []
    for row in members:
        give = min(book.need[row], units)
        flows.append(give)
        units -= give
    by_minute: dict[int, list[int]] = {}
    for position, row in enumerate(members):
        by_minute.setdefault(book.minute(row), []).append(position)
    for positions in by_minute.values():
        given = sum(flows[p] for p in positions)
        wanted = sum(book.need[members[p]] for p in positions)
        if len(positions) > 1 and 0 < given < wanted:
            return None
    return flows


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
    if strategy == "fifo":
        ordered = sorted(rows, key=lambda r: (book.created_ns[r], book.order_id[r]))
    else:
        ordered = sorted(rows, key=lambda r: (book.rank[r], book.created_ns[r], book.order_id[r]))
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


def _key(supply: Supply, c: Candidate) -> tuple[int, int]:
    return (round((c.release + c.transit) / supply.resolution), round(c.money * 100.0))


def _origin(supply: Supply, c: Candidate) -> str:
    return supply.options.supplier[c.option] if c.base >= 2 else supply.setup.depot_ids[c.depot]


def _position(supply: Supply, c: Candidate) -> tuple[int, int, str, float, bool]:
    """Where the source sits in the engine's sources table: part, base, origin, release,
    then a shelf's free units before its protected ones."""
    return (c.part, c.base, _origin(supply, c), c.release, c.protected)


def _greedy_key(supply: Supply, c: Candidate) -> tuple[float, float, int, int, str, float, bool]:
    return (c.release + c.transit, c.money, *_position(supply, c))
