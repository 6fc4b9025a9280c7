"""Backup units for parts-priority broker buys (the policy's ``broker_backup``).

A broker buy may fail, and the order then waits for a re-plan after the failure is known.
With ``broker_backup`` on, a ``parts_priority`` order whose broker buy is made also *holds*
as many free shelf units as it may use — its own depot's stock, or another depot's by
transfer, protected units included, as for any of its class's decisions — so that a failed
buy ships the held units at once. Held units are neither promised, shipped nor reordered,
and no other order may take them (:attr:`WorldState.backups`); a delivered buy gives them
back to the free shelf.

Which units: the best free shelf units by the objective's lone-order rule, the rule the
world's exact paths use (:func:`simulation.world.solo.fill_optimal`: ETA ticks, then money,
then the engine's tie-break). Where that rule cannot say (the need ends inside a run of
shelves equal on all three), the first of them in the shelves' own order (nearest depot
first) is taken: a hold is the world's own bookkeeping, not a plan the engine must agree
with, and it must still be deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulation.world.solo import fill_optimal
from simulation.world.state import OrderBook
from simulation.world.supply import KIND_NAMES, Candidate, Supply

__all__ = ["BACKUP_DETAIL", "Backup", "Hold", "choose_holds"]

BACKUP_DETAIL = "backup for a failed broker buy"
"""The ``detail`` of the ``allocated`` record of a backup that ships."""


@dataclass(frozen=True)
class Hold:
    """Units held on one shelf: the part, depot, source kind for the order (``stock`` or
    ``transfer``), units, lane hours to the order and money per unit (the lane's)."""

    part: int
    depot: int
    kind: str
    units: int
    transit_hours: float
    money: float


@dataclass
class Backup:
    """The backup of one broker buy: ``units`` bought for order ``row``, and the holds that
    back them (filled once the decision that made the buy is applied)."""

    row: int
    units: int
    holds: list[Hold] = field(default_factory=list)


def choose_holds(supply: Supply, book: OrderBook, backup: Backup, now: float) -> list[Hold]:
    """The shelf units a buy's order should hold: up to the units bought, best first by the
    lone-order rule; none when no free shelf unit may serve the order."""
    row = backup.row
    part, klass, col, home = book.profile(row)
    due_ns = book.due_ns(row)
    found = supply.shelves(part, klass, col, home, backup.units, due_ns is not None)
    if not found:
        return []
    need = min(backup.units, sum(c.units for c in found))
    takes = fill_optimal(supply, found, need, book.agg_key[row], due_ns, now)
    if takes is None:
        takes = _first_of_ties(supply, found, need, book.agg_key[row])
    return [_hold(found[i], units) for i, units in takes if units > 0]


def _first_of_ties(
    supply: Supply, found: list[Candidate], need: int, agg_key: int
) -> list[tuple[int, int]]:
    """Fill by (ticks, cents, tie-break), then the shelves' own order: deterministic where
    the lone-order rule leaves the choice open."""
    ranked = sorted(
        range(len(found)),
        key=lambda i: (*supply.ticks_and_cents(found[i]), supply.tie(agg_key, found[i]), i),
    )
    takes = []
    for i in ranked:
        if need == 0:
            break
        units = min(need, found[i].units)
        takes.append((i, units))
        need -= units
    return takes


def _hold(candidate: Candidate, units: int) -> Hold:
    return Hold(
        candidate.part,
        candidate.depot,
        KIND_NAMES[candidate.kind],
        units,
        candidate.transit,
        candidate.money,
    )
