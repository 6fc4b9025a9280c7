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

from simulation.world.supply import KIND_NAMES, Candidate, Supply

__all__ = ["Commit", "commit_of", "solo"]


@dataclass(frozen=True)
class Commit:
    """Units a decision gives an order from one source.

    ``base`` is 0 shelf (ships now), 1 receipt (promised, ships when it lands), 2 expedite
    and 3 broker (bought now). ``depot`` is the depot of a shelf or receipt, ``option`` the
    supply option row, -1 where they do not apply; ``transit_hours`` the lane from the source
    to the order; ``money`` per unit (price plus lane); ``planned`` when a receipt is planned
    to land.
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

    def sort_key(self) -> tuple[int, int, int, int, int, float]:
        """Canonical order of application (purchases draw random numbers in this order)."""
        return (self.row, self.part, self.base, self.depot, self.option, self.planned)


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
    names = supply.setup.depot_ids
    suppliers = supply.options.supplier

    def key(i: int) -> tuple[float, float, int, int, str, float]:
        c = found[i]
        origin = suppliers[c.option] if c.base >= 2 else names[c.depot]
        return (c.release + c.transit, c.money, c.part, c.base, origin, c.release)

    takes = []
    for i in sorted(range(len(found)), key=key):
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
