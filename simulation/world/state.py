"""The moving state of a simulated world: orders, shelves, receipts on their way, promises.

All of it lives in objects handed to the processes (nothing global), so replications in one
process never share anything. Stock is a ``[part][depot]`` grid of integers; a unit leaves a
shelf only through :meth:`WorldState.take`, which refuses to go below zero.

A **promise** is a unit of a depot's incoming receipts reserved for an order. Each depot and
part keeps its receipts in the order they are planned to land and a queue of the orders
promised them; the queue's first holders own the first units to land, whatever receipt
brings them (a late truck does not strand the order promised it when another lands first).
Queue order is (rank, join order): with pre-emption, an order of a higher rank joins ahead
of lower ranks, which is exactly the engine's rule that units allocated but not shipped to a
lower class may be re-assigned to a higher one.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.engine import OrderColumns
from simulation.errors import ConservationError

__all__ = ["DepotInbound", "OptionBook", "OrderBook", "Promise", "Receipt", "WorldState"]


@dataclass
class Receipt:
    """Units on their way to a depot's shelf (a scheduled receipt or a factory reorder)."""

    key: int
    part: int
    depot: int
    quantity: int
    planned_hours: float
    kind: str
    since: float | None = None


#: ``(mean lead time, hours since release) -> expected lead time given it has not landed``.
Estimate = Callable[[float, float], float]


@dataclass
class Promise:
    """Units of a depot's incoming receipts promised to an order (one queue entry)."""

    rank: int
    seq: int
    row: int
    units: int
    kind: str
    money: float
    transit_hours: float


@dataclass
class DepotInbound:
    """Receipts of one part on their way to one depot, and the queue of orders promised them.

    ``receipts`` holds ``(planned hours, key, units)`` sorted by planned landing; ``queue``
    holds promises sorted by ``(rank, seq)``. The queue's promises own the first ``held``
    units in landing order; the rest are free.

    A receipt with a random lead time (a factory reorder) is planned at its release plus
    the mean lead time, and ``since`` keeps its release. It may land later than planned;
    until it lands, :meth:`landing` re-estimates it as its release plus the expected lead
    time given that it has not landed yet, so a late receipt is never shown as landing in
    the past (a planner would otherwise promise units that are not there).

    Examples
    --------
    One unit lands at 10 h and one at 20 h; a standard order (rank 1) was promised the
    first. A parts-priority order (rank 0) joins ahead of it, and the standard order now
    owns the unit landing at 20 h; nothing is left for a third order:

    >>> inbound = DepotInbound()
    >>> inbound.add(10.0, 0, 1)
    >>> inbound.add(20.0, 1, 1)
    >>> inbound.join(Promise(1, 0, row=7, units=1, kind="inbound", money=0.0, transit_hours=0.0))
    >>> inbound.free_after(inbound.held_through(0), 1, margin=0.2)
    [(10.0, 1)]
    >>> inbound.join(Promise(0, 1, row=8, units=1, kind="inbound", money=0.0, transit_hours=0.0))
    >>> [p.row for p in inbound.queue], inbound.free_after(inbound.held, 1, margin=0.2)
    ([8, 7], [])
    >>> [(p.row, units) for p, units in inbound.serve(1)]
    [(8, 1)]
    """

    receipts: list[tuple[float, int, int]] = field(default_factory=list)
    units: int = 0
    queue: list[Promise] = field(default_factory=list)
    held: int = 0
    since: dict[int, float] = field(default_factory=dict)
    # Units the queue holds per rank (what :meth:`held_through` sums, asked on every
    # decision that reads the pipeline; the queue itself may be long).
    _held_by_rank: dict[int, int] = field(default_factory=dict, repr=False, compare=False)
    # At one moment: the receipts whose expected landing is known, sorted, how many of
    # ``receipts`` (in planned order) that covers, and their units.
    _seen: tuple[float, list[tuple[float, int, int]], int, int] | None = field(
        default=None, repr=False, compare=False
    )

    def add(self, planned: float, key: int, units: int, since: float | None = None) -> None:
        """A receipt joins the pipeline (``since``: its release, for a random lead time)."""
        bisect.insort(self.receipts, (planned, key, units))
        self.units += units
        if since is not None:
            self.since[key] = since
        self._seen = None

    def remove(self, planned: float, key: int, units: int) -> None:
        """A receipt leaves the pipeline (it landed)."""
        index = bisect.bisect_left(self.receipts, (planned, key, units))
        if index >= len(self.receipts) or self.receipts[index][1] != key:
            raise ConservationError(f"receipt {key} is not in the pipeline it lands from")
        del self.receipts[index]
        self.units -= units
        self.since.pop(key, None)
        self._seen = None

    def landing(
        self, now: float, estimate: Estimate, need: int | None = None, margin: float = 0.0
    ) -> list[tuple[float, int, int]]:
        """The receipts as ``(expected landing, key, units)``, soonest first, at ``now``.

        A receipt with a fixed time lands when planned. One with a random lead time that
        was released at ``since`` and has not landed is expected at
        ``since + estimate(planned − since, now − since)``: the expected lead time given
        that it is still out (see :func:`simulation.world.sampling.expected_lead_time`),
        which is its planned time until it is released and later than ``now`` once it is
        overdue. The first ``held`` units of this order are the promised ones.

        With ``need``, only as many receipts as the first ``need`` units and those landing
        less than ``margin`` hours after them (what :meth:`free_after` reads); the rest of
        the list is left out, not wrong.

        Examples
        --------
        A receipt planned at 10 h (released at 0 h) is overdue at 12 h: with a memoryless
        lead time it is now expected 10 hours from now, after the one planned at 20 h:

        >>> inbound = DepotInbound()
        >>> inbound.add(10.0, 0, 1, since=0.0)
        >>> inbound.add(20.0, 1, 1)
        >>> inbound.landing(12.0, lambda mean, elapsed: elapsed + mean)
        [(20.0, 1, 1), (22.0, 0, 1)]
        """
        if not self.since:
            return self.receipts
        cached = self._seen
        if cached is None or cached[0] != now:
            seen: list[tuple[float, int, int]] = []
            done = total = 0
        else:
            _, seen, done, total = cached
        receipts, since_of, insort = self.receipts, self.since, bisect.insort
        # Unit ``need`` is among the receipts seen once ``total`` reaches ``limit`` (never
        # without a ``need``: every receipt is read).
        limit = math.inf if need is None else need
        # When unit ``need`` lands among the receipts seen, once they hold it; a receipt
        # seen later changes it only if it lands before it.
        unit_lands: float | None = None
        for planned, key, units in receipts[done:] if done else receipts:
            # An expected landing is never before the planned one, so once a receipt is
            # planned more than ``margin`` past the landing of unit ``need``, none after it
            # can matter. One planned exactly there can: receipts landing together are read
            # in key order, and it may come first.
            if total >= limit:
                if unit_lands is None:
                    unit_lands = _unit_time(seen, limit)
                if planned > unit_lands + margin:
                    break
            since = since_of.get(key)
            if since is not None and now > since:
                expected = since + estimate(planned - since, now - since)
                if expected > planned:  # max(planned, expected), without the call
                    planned = expected
            if not seen or planned > seen[-1][0]:  # the usual case: it lands last so far
                seen.append((planned, key, units))
            else:
                insort(seen, (planned, key, units))
            if unit_lands is not None and planned < unit_lands:
                unit_lands = None
            done += 1
            total += units
        self._seen = (now, seen, done, total)
        return seen

    def held_through(self, rank: int) -> int:
        """Units promised to ranks up to ``rank`` (what an order of that rank cannot have)."""
        total = 0
        for r, units in self._held_by_rank.items():  # a few ranks
            if r <= rank:
                total += units
        return total

    def _hold(self, rank: int, units: int) -> None:
        """The queue's promises of ``rank`` hold ``units`` more (fewer, if negative)."""
        held = self._held_by_rank
        held[rank] = held.get(rank, 0) + units
        self.held += units

    def free_after(
        self,
        skip: int,
        units: int,
        margin: float,
        landing: list[tuple[float, int, int]] | None = None,
    ) -> list[tuple[float, int]]:
        """The next ``units`` units after the first ``skip``, plus any landing less than
        ``margin`` hours after the last of them, as ``(planned hours, units)`` portions;
        receipts landing at the same planned time are merged. ``landing`` is the receipts
        in the order and at the times expected now (:meth:`landing`; default: as planned)."""
        portions: list[tuple[float, int]] = []
        if units <= 0:
            return portions
        seen, last = 0, None
        for planned, _, count in self.receipts if landing is None else landing:
            if seen + count <= skip:
                seen += count
                continue
            if units <= 0 and (last is None or planned >= last + margin):
                break
            take = count - max(skip - seen, 0)
            seen += count
            if units > 0:
                last = planned
            units -= take
            if portions and portions[-1][0] == planned:
                portions[-1] = (planned, portions[-1][1] + take)
            else:
                portions.append((planned, take))
        return portions

    def join(self, promise: Promise) -> None:
        """A promise enters the queue after every promise of its rank or a better one."""
        key, queue = (promise.rank, promise.seq), self.queue
        position = len(queue)  # usually the end: scan back over the few it goes ahead of
        while position and (queue[position - 1].rank, queue[position - 1].seq) > key:
            position -= 1
        queue.insert(position, promise)
        self._hold(promise.rank, promise.units)

    def trim(self) -> list[tuple[Promise, int]]:
        """Withdraw units promised beyond what is on its way, last promises first.

        A promise of a higher rank joins ahead of lower ranks; when nothing is left beyond
        the queue, the lowest-ranked, latest promises lose units (pre-emption). Returns
        (promise, units withdrawn).
        """
        trimmed: list[tuple[Promise, int]] = []
        excess = self.held - self.units
        while excess > 0:
            tail = self.queue[-1]
            cut = min(tail.units, excess)
            trimmed.append((tail, cut))
            tail.units -= cut
            self._hold(tail.rank, -cut)
            excess -= cut
            if tail.units == 0:
                self.queue.pop()
        return trimmed

    def serve(self, units: int) -> list[tuple[Promise, int]]:
        """The first holders take up to ``units`` units: (promise, units taken) in queue order."""
        served: list[tuple[Promise, int]] = []
        while units > 0 and self.queue:
            head = self.queue[0]
            take = min(head.units, units)
            served.append((head, take))
            head.units -= take
            self._hold(head.rank, -take)
            units -= take
            if head.units == 0:
                self.queue.pop(0)
        return served

    def release(self, row: int) -> list[Promise]:
        """Withdraw every promise of an order; returns them."""
        kept: list[Promise] = []
        gone: list[Promise] = []
        for promise in self.queue:
            (gone if promise.row == row else kept).append(promise)
        self.queue = kept
        for promise in gone:
            self._hold(promise.rank, -promise.units)
        return gone


@dataclass
class OrderBook:
    """Every order of a replication (the backlog first, then arrivals), by row.

    ``columns`` are the engine's order columns for all of them; the lists are those the
    event path reads (``created_ns``: the engine's ``created_at`` in nanoseconds); ``info`` is
    (customer, country, class, tier, lost code or None) for the records. ``targets`` says
    whether the world carries response-time targets; then ``need_by_ns`` is each order's
    ``need_by`` (the engine's, in nanoseconds since the epoch; None: no target), else empty,
    and every path without them runs as before. Per order:
    ``need`` units are neither committed nor promised,
    ``held`` are promised, ``committed`` were shipped or bought (net of failed buys),
    ``delivered`` arrived, ``lost`` were never served (lost sales); ``profiles`` holds each
    order's :meth:`profile`, which never changes. ``open`` keeps, per
    part group, the rows that have entered and still need units, in arrival order;
    ``open_ranked`` the same rows per group and rank, in the same order, and
    ``open_profiles`` the same rows per group, rank and :meth:`profile`: a decision asks
    whether any kind of open order could take a unit, and a backlog of thousands is a
    handful of kinds, so a group with nothing to give is passed over without reading its
    rows, and one where a few kinds can reads only theirs. ``opened`` numbers each row's
    latest entry into the open sets, which puts rows gathered from several kinds back in
    the order ``open`` and ``open_ranked`` keep them. ``kind_revision`` counts, per group and
    rank (and per group, under rank -1), the kinds that came into or left its open sets:
    what is known of the kinds of a group's open orders holds until it changes;
    ``kind_log`` lists, under the same keys, the kinds that came in, in the order they did
    (a kind that left and came back is listed again): what came in since a moment is the
    end of the list, read without reading the kinds that were there already.
    """

    columns: OrderColumns
    order_id: list[str]
    part: list[int]
    group: list[int]
    rank: list[int]
    klass: list[int]
    country_col: list[int]
    home: list[int]
    quantity: list[int]
    created: list[float]
    agg_key: list[int]
    created_ns: list[int]
    info: list[tuple[str, str, str, str, str | None]]
    targets: bool = False
    need_by_ns: list[int | None] = field(default_factory=list)
    need: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    committed: list[int] = field(default_factory=list)
    delivered: list[int] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)
    profiles: list[tuple[int, int, int, int]] = field(default_factory=list)
    open: dict[int, dict[int, None]] = field(default_factory=dict)
    open_ranked: dict[int, dict[int, dict[int, None]]] = field(default_factory=dict)
    open_profiles: dict[int, dict[int, dict[tuple[int, int, int, int], dict[int, None]]]] = field(
        default_factory=dict
    )
    opened: list[int] = field(default_factory=list)
    kind_revision: dict[tuple[int, int], int] = field(default_factory=dict)
    kind_log: dict[tuple[int, int], list[tuple[int, int, int, int]]] = field(default_factory=dict)
    _entries: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        self.need = list(self.quantity)
        self.held = [0] * len(self.quantity)
        self.committed = [0] * len(self.quantity)
        self.delivered = [0] * len(self.quantity)
        self.lost = [0] * len(self.quantity)
        self.profiles = list(zip(self.part, self.klass, self.country_col, self.home, strict=True))
        self.opened = [-1] * len(self.quantity)

    def __len__(self) -> int:
        return len(self.quantity)

    def profile(self, row: int) -> tuple[int, int, int, int]:
        """What decides the sources an order may use: part, class, country column, home."""
        return self.profiles[row]

    def due_ns(self, row: int) -> int | None:
        """The order's ``need_by`` in nanoseconds since the epoch; None: no target."""
        return self.need_by_ns[row] if self.targets else None

    def minute(self, row: int) -> int:
        """The whole minute an order was created in (the engine's age unit)."""
        return self.created_ns[row] // 60_000_000_000

    def _new_kinds(self, group: int, rank: int) -> None:
        revision = self.kind_revision
        key = (group, rank)
        revision[key] = revision.get(key, 0) + 1
        key = (group, -1)
        revision[key] = revision.get(key, 0) + 1

    def mark(self, row: int) -> None:
        """Keep the row in its group's open sets exactly when it needs units.

        Called after every change to an order (hundreds of thousands of times a year), so
        it reads each nested set once, and creates one only when it is missing."""
        group = self.group[row]
        rows = self.open.get(group)
        is_open = rows is not None and row in rows
        if self.need[row] > 0:
            if is_open:
                return
            rank, key = self.rank[row], self.profiles[row]
            if rows is None:
                rows = self.open[group] = {}
            rows[row] = None
            ranked = self.open_ranked.get(group)
            if ranked is None:
                ranked = self.open_ranked[group] = {}
            of_rank = ranked.get(rank)
            if of_rank is None:
                of_rank = ranked[rank] = {}
            of_rank[row] = None
            profiles = self.open_profiles.get(group)
            if profiles is None:
                profiles = self.open_profiles[group] = {}
            kinds = profiles.get(rank)
            if kinds is None:
                kinds = profiles[rank] = {}
            of_kind = kinds.get(key)
            if of_kind is None:
                of_kind = kinds[key] = {}
                self._new_kinds(group, rank)
                log = self.kind_log
                for view in ((group, rank), (group, -1)):
                    logged = log.get(view)
                    if logged is None:
                        log[view] = [key]
                    else:
                        logged.append(key)
            of_kind[row] = None
            self.opened[row] = self._entries
            self._entries += 1
            return
        if not is_open:
            return
        assert rows is not None
        del rows[row]
        if not rows:
            del self.open[group]
        rank, key = self.rank[row], self.profiles[row]
        ranked = self.open_ranked[group]
        of_rank = ranked[rank]
        del of_rank[row]
        if not of_rank:
            del ranked[rank]
            if not ranked:
                del self.open_ranked[group]
        profiles = self.open_profiles[group]
        kinds = profiles[rank]
        of_kind = kinds[key]
        del of_kind[row]
        if not of_kind:
            del kinds[key]
            self._new_kinds(group, rank)
            if not kinds:
                del profiles[rank]
                if not profiles:
                    del self.open_profiles[group]


@dataclass
class OptionBook:
    """Expedite and broker options: capacity per period, units used this period."""

    table: pd.DataFrame
    part: list[int]
    is_broker: npt.NDArray[np.bool_]
    supplier: list[str]
    capacity: npt.NDArray[np.float64]
    lead_hours: npt.NDArray[np.float64]
    price: npt.NDArray[np.float64]
    success: npt.NDArray[np.float64]
    used: npt.NDArray[np.int64]
    by_part: dict[int, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, p in enumerate(self.part):
            self.by_part.setdefault(p, []).append(i)


class WorldState:
    """Shelves, receipts on their way, promises and the inventory position of base stock.

    Inventory position of a depot and part = on hand + on order − backorders, where the
    backorders are the units of its receipts promised to orders (the units it owes). A unit
    leaves the depot's inventory when it ships from the shelf or is promised from a receipt;
    one-for-one base stock reorders it then, which keeps the position at the base-stock
    level (above it only where the depot started above it, or a withdrawn promise gave units
    back, until units leave again); units bought by expedite or broker never count. The unit
    ledger (``entered``, ``in_transit``, ``consumed``) backs the conservation check: every
    unit that entered the world is on a shelf, on its way to a customer, or consumed.

    ``backups[part][depot]`` are shelf units held as the backup of a parts-priority broker
    buy (the policy's ``broker_backup``): they leave ``on_hand``, which is the *free* shelf
    every decision reads, so no order can take them, yet they are still physically on the
    shelf. The inventory position and the unit ledger therefore count them with ``on_hand``
    (:meth:`position`, :meth:`audit`): holding a unit reorders nothing, and a held unit that
    ships leaves the position and is reordered like any other shelf unit.
    """

    def __init__(self, initial: npt.NDArray[np.int64], base_stock: npt.NDArray[np.int64]) -> None:
        parts, depots = initial.shape
        self.depots = depots
        self.on_hand: list[list[int]] = initial.astype(np.int64).tolist()
        self.on_order: list[list[int]] = [[0] * depots for _ in range(parts)]
        self.base_stock: list[list[int]] = base_stock.astype(np.int64).tolist()
        self.backups: list[list[int]] = [[0] * depots for _ in range(parts)]
        self.offline = [0] * depots
        # Per part and depot (at ``part * depots + depot``), a count of the changes that may
        # have freed supply there (a receipt on its way or landed, a promise withdrawn, a
        # backup given back), and one for the whole world (a depot back online): what had
        # nothing free keeps nothing free until one of them moves (see
        # :meth:`simulation.world.decide.Decider.decide_open`). Changes that only take
        # supply away do not count.
        self.freed: list[int] = [0] * (parts * depots)
        # The same counts summed over each part's depots: one count stands for a part's
        # every cell, as the counts only grow (their sum stays put exactly when each does).
        self.freed_parts: list[int] = [0] * parts
        self.freed_everywhere = 0
        self.inbound: dict[int, DepotInbound] = {}
        self.inbound_depots: dict[int, dict[int, None]] = {}
        self.receipts: dict[int, Receipt] = {}
        self._next_receipt = 0
        self.entered = int(initial.sum())
        self.in_transit = 0
        self.consumed = 0

    def online(self, depot: int) -> bool:
        """Whether a depot can ship (no depot-offline window covers it now)."""
        return self.offline[depot] == 0

    def mark_freed(self, part: int, depot: int) -> None:
        """Supply of a part at a depot may have been freed (see :attr:`freed`)."""
        self.freed[part * self.depots + depot] += 1
        self.freed_parts[part] += 1

    def pipeline(self, part: int, depot: int) -> DepotInbound | None:
        """The receipts and promises of a part at a depot, if any were ever made."""
        return self.inbound.get(part * self.depots + depot)

    def take(self, part: int, depot: int, quantity: int) -> None:
        """Units leave a shelf for a customer; never below zero, never from an offline depot."""
        have = self.on_hand[part][depot]
        if quantity > have or self.offline[depot]:
            state = "offline" if self.offline[depot] else "online"
            raise ConservationError(
                f"taking {quantity} of part {part} from depot {depot} with {have} on hand ({state})"
            )
        self.on_hand[part][depot] = have - quantity
        self.in_transit += quantity

    def hold(self, part: int, depot: int, quantity: int) -> None:
        """Free shelf units become a backup: off the free shelf, still on hand."""
        have = self.on_hand[part][depot]
        if quantity > have or self.offline[depot]:
            raise ConservationError(
                f"holding {quantity} of part {part} at depot {depot} with {have} on hand"
            )
        self.on_hand[part][depot] = have - quantity
        self.backups[part][depot] += quantity

    def unhold(self, part: int, depot: int, quantity: int) -> None:
        """Backup units are free shelf units again (which may free supply for waiting orders)."""
        self._drop_backup(part, depot, quantity)
        self.on_hand[part][depot] += quantity
        self.mark_freed(part, depot)

    def take_held(self, part: int, depot: int, quantity: int) -> None:
        """Backup units leave their shelf for the order that held them."""
        if self.offline[depot]:
            raise ConservationError(f"shipping a backup of part {part} from offline depot {depot}")
        self._drop_backup(part, depot, quantity)
        self.in_transit += quantity

    def _drop_backup(self, part: int, depot: int, quantity: int) -> None:
        held = self.backups[part][depot]
        if quantity > held:
            raise ConservationError(
                f"releasing {quantity} backup units of part {part} at depot {depot}: {held} held"
            )
        self.backups[part][depot] = held - quantity

    def expect(
        self,
        part: int,
        depot: int,
        quantity: int,
        planned: float,
        kind: str,
        since: float | None = None,
    ) -> Receipt:
        """A receipt enters the pipeline (``since``: its release, for a random lead time)."""
        receipt = Receipt(self._next_receipt, part, depot, quantity, planned, kind, since)
        self._next_receipt += 1
        self.receipts[receipt.key] = receipt
        cell = part * self.depots + depot
        inbound = self.inbound.get(cell)
        if inbound is None:
            inbound = self.inbound[cell] = DepotInbound()
        inbound.add(planned, receipt.key, quantity, since)
        self.inbound_depots.setdefault(part, {})[depot] = None
        self.on_order[part][depot] += quantity
        self.freed[cell] += 1
        self.freed_parts[part] += 1
        return receipt

    def replan(self, key: int, planned: float, since: float | None) -> None:
        """A receipt on its way is planned anew (a repair that starts: its landing is now
        known better than while it queued)."""
        receipt = self.receipts[key]
        inbound = self.inbound[receipt.part * self.depots + receipt.depot]
        inbound.remove(receipt.planned_hours, key, receipt.quantity)
        inbound.add(planned, key, receipt.quantity, since)
        receipt.planned_hours = planned
        receipt.since = since
        self.mark_freed(receipt.part, receipt.depot)

    def land(self, key: int) -> tuple[Receipt, DepotInbound]:
        """A receipt reaches its shelf; returns it and its depot's pipeline."""
        receipt = self.receipts.pop(key)
        inbound = self.inbound[receipt.part * self.depots + receipt.depot]
        inbound.remove(receipt.planned_hours, key, receipt.quantity)
        self.on_order[receipt.part][receipt.depot] -= receipt.quantity
        self.on_hand[receipt.part][receipt.depot] += receipt.quantity
        self.entered += receipt.quantity
        self.mark_freed(receipt.part, receipt.depot)
        return receipt, inbound

    def position(self, part: int, depot: int) -> int:
        """Inventory position: on hand (free and held as backups) + on order − units of its
        receipts promised to orders."""
        inbound = self.pipeline(part, depot)
        promised = inbound.held if inbound is not None else 0
        on_hand = self.on_hand[part][depot] + self.backups[part][depot]
        return on_hand + self.on_order[part][depot] - promised

    def shortfall(self, part: int, depot: int) -> int:
        """Units to reorder to bring the inventory position back to base stock."""
        return max(0, self.base_stock[part][depot] - self.position(part, depot))

    def audit(self, book: OrderBook) -> None:
        """Every invariant the world keeps, checked now (tests call it after every event).

        No shelf below zero; the unit ledger balances (backup units are on hand); every
        promise is backed by a unit on its way (or landed on an offline depot's shelf);
        each order's units add up; no inventory position is below its base-stock level
        (every unit that left was reordered).
        """
        on_hand = 0
        for part, shelf in enumerate(self.on_hand):
            for depot, units in enumerate(shelf):
                held = self.backups[part][depot]
                if units < 0 or held < 0:
                    raise ConservationError(
                        f"part {part} at depot {depot}: {units} on hand, {held} held as backups"
                    )
                on_hand += units + held
        if on_hand + self.in_transit + self.consumed != self.entered:
            raise ConservationError(
                f"{self.entered} units entered but {on_hand} are on hand, {self.in_transit} "
                f"in transit and {self.consumed} consumed"
            )
        promised = [0] * len(book)
        for cell, inbound in self.inbound.items():
            part, depot = divmod(cell, self.depots)
            backing = inbound.units + (self.on_hand[part][depot] if self.offline[depot] else 0)
            if inbound.held > backing or inbound.held != sum(p.units for p in inbound.queue):
                raise ConservationError(
                    f"part {part} at depot {depot}: {inbound.held} units promised, "
                    f"{inbound.units} on their way"
                )
            for promise in inbound.queue:
                promised[promise.row] += promise.units
        for part, levels in enumerate(self.base_stock):
            for depot, level in enumerate(levels):
                if level and self.position(part, depot) < level:
                    raise ConservationError(
                        f"part {part} at depot {depot}: inventory position "
                        f"{self.position(part, depot)} below its base-stock level {level}"
                    )
        for row in range(len(book)):
            need, held, done = book.need[row], book.held[row], book.committed[row]
            total = need + held + done + book.lost[row]
            if need < 0 or held != promised[row] or total != book.quantity[row]:
                raise ConservationError(
                    f"order {book.order_id[row]}: need {need} + promised {held} + committed "
                    f"{done} + lost {book.lost[row]} != quantity {book.quantity[row]} "
                    f"(queues hold {promised[row]})"
                )
            if book.delivered[row] > done:
                raise ConservationError(f"order {book.order_id[row]}: more delivered than sent")


def _unit_time(seen: list[tuple[float, int, int]], need: float) -> float:
    """When unit number ``need`` lands, in a sorted list of (landing, key, units)."""
    count = 0
    for planned, _, units in seen:
        count += units
        if count >= need:
            return planned
    return math.inf
