"""The world's state and how it handles an event: decisions, units moving, replenishment.

:class:`WorldCore` holds everything a replication changes and the handlers its events call;
:class:`~simulation.world.model.ShortageWorld` adds the processes that make events happen
(arrivals, capacity periods, ticks, disruptions). An event's handler does its own work, then
:meth:`WorldCore._settle` decides every part group the work touched, so a decision never
runs in the middle of another.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import simpy

from allocation import PriorityClass
from simulation.errors import ConservationError
from simulation.records import Recorder
from simulation.scenario.model import ClassFallback
from simulation.world.backups import BACKUP_DETAIL, Backup, Hold, choose_holds
from simulation.world.conditions import Conditions
from simulation.world.decide import Decider
from simulation.world.demand import option_book, order_book
from simulation.world.sampling import Streams, draw_lead_time
from simulation.world.setup import WorldSetup
from simulation.world.solo import Commit
from simulation.world.state import DepotInbound, Promise, WorldState
from simulation.world.supply import Supply

__all__ = ["RepairLine", "WorldCore"]

#: An order's ETA may exceed its class's allowance by this much (hours) and still be in time:
#: float noise in release + transit, far below any ETA tick.
_ALLOWANCE_SLACK = 1e-9


@dataclass
class RepairLine:
    """One part's capacity-limited replenishment channel: servers busy, reorders waiting.

    Each reorder unit is a job; a free server takes the longest-waiting one, first come,
    first served, and works on it for a time drawn from the lead-time law. With ``c``
    servers, Poisson demand and exponential service times, the units on order follow the
    M/M/c queue (Erlang 1917; for repairable spares, Gross, Miller and Soland 1983).
    """

    busy: int = 0
    waiting: deque[int] = field(default_factory=deque)


class WorldCore:
    """The state of one replication and the handlers of its events (see ShortageWorld)."""

    def __init__(
        self,
        env: simpy.Environment,
        setup: WorldSetup,
        streams: Streams,
        strategy: str | None = None,
        recorder: Recorder | None = None,
        shortcut: bool = True,
        audit: bool = False,
    ) -> None:
        self.env = env
        self.setup = setup
        self.streams = streams
        self.recorder = recorder if recorder is not None else Recorder()
        scenario = setup.scenario
        self.periodic = scenario.policy.mode == "periodic"
        self.repair_hours = scenario.repair_hours
        self.book, self.arrivals = order_book(setup, streams.demand)
        if self.book.targets:
            self.recorder.carry_targets()
        self.state = WorldState(setup.initial_stock, setup.base_stock)
        self.options = option_book(setup)
        self.conditions = Conditions(setup, self.options)
        self.supply = Supply(setup, self.state, self.options, self.conditions)
        self.decider = Decider(
            setup, strategy or scenario.policy.strategy, self.book, self.supply, shortcut
        )
        self.audit = audit
        self.events = 0
        self._seq = 0
        self._pending: dict[int, None] = {}
        self._dirty: dict[int, None] = {}
        self._names = setup.context.part_numbers
        self._group_of: list[int] = setup.context.part_group.tolist()
        self._depots = setup.depot_ids
        self._with_options = sorted({self._group_of[p] for p in self.options.by_part})
        unmet = scenario.unmet_demand
        self._fallback: list[ClassFallback | None] = [
            getattr(unmet, klass.value) for klass in PriorityClass
        ]
        self._servers = scenario.replenishment.servers
        self._lines: dict[int, RepairLine] = {}
        # Broker buys of parts-priority orders whose backups are held once their decision
        # is applied (the policy's broker_backup; see simulation.world.backups).
        self._backing = setup.policy.broker_backup
        self._priority = list(PriorityClass).index(PriorityClass.PARTS_PRIORITY)
        self._to_hold: list[Backup] = []

    @property
    def solves(self) -> int:
        """Decisions the engine made."""
        return self.decider.solves

    @property
    def shortcuts(self) -> int:
        """Decisions made without the engine (exactly as it would have)."""
        return self.decider.shortcuts

    def _after(self, delay: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` after ``delay`` hours (one SimPy event)."""
        self.events += 1
        event = self.env.timeout(max(delay, 0.0))
        event.callbacks.append(lambda _: self._checked(callback))

    def _checked(self, callback: Callable[[], None]) -> None:
        """Handle one event: its own work, then the decisions it made necessary."""
        callback()
        self._settle()
        if self.audit:
            self.state.audit(self.book)

    # -- decisions ---------------------------------------------------------------------
    def _touch(self, groups: list[int]) -> None:
        """Something changed for these groups: their open orders are decided once the event's
        own work is done (event mode) or at the next tick (periodic mode)."""
        open_groups, pending = self.book.open, self._pending
        for g in groups:
            if g in open_groups:
                pending[g] = None

    def _settle(self) -> None:
        """Decide every group touched by the event, until no decision touches another."""
        while self._pending:
            groups = sorted(self._pending)
            self._pending.clear()
            if self.periodic:
                self._dirty.update(dict.fromkeys(groups))
            else:
                self._decide(groups)

    def _decide(self, groups: list[int]) -> None:
        """Decide the groups' open orders, best rank first; orders that lose a promise to a
        better rank are open again and decided with their own rank."""
        now, done = self.env.now, -1
        while True:
            rank = self.decider.next_rank(groups, done)
            if rank is None:
                return
            self._apply(self.decider.decide_open(groups, rank, now))
            done = rank

    def _apply(self, commits: list[Commit]) -> None:
        """Act on a decision: ship, buy, promise (promises queue in the plan's ETA order)."""
        if not commits:
            return
        book = self.book
        promised = sorted(
            (c for c in commits if c.base == 1),
            key=lambda c: (c.part, c.depot, c.planned, book.created[c.row], c.row),
        )
        seq = {}
        for commit in promised:
            seq[id(commit)] = self._seq
            self._seq += 1
        for commit in commits:
            if commit.base == 0:
                self._ship(commit)
            elif commit.base == 1:
                self._promise(commit, seq[id(commit)])
            else:
                self._buy(commit)
            book.mark(commit.row)
        if self._to_hold:
            self._hold_backups()

    def _commit(self, row: int, quantity: int) -> None:
        """Units are shipped or bought for an order."""
        self.book.committed[row] += quantity

    def _allocated(
        self,
        row: int,
        part: int,
        kind: str,
        origin: str,
        units: int,
        money: float,
        detail: str | None = None,
    ) -> None:
        self.recorder.emit(
            self.env.now,
            "allocated",
            order_id=self.book.order_id[row],
            part_number=self._names[part],
            source_kind=kind,
            origin=origin,
            quantity=units,
            money=money * units,
            detail=detail,
        )

    def _ship(self, c: Commit) -> None:
        origin = self._depots[c.depot]
        self.state.take(c.part, c.depot, c.quantity)
        self.book.need[c.row] -= c.quantity
        self._commit(c.row, c.quantity)
        self._allocated(c.row, c.part, c.kind, origin, c.quantity, c.money)
        self._reorder(c.part, c.depot)
        self._send(c.row, c.part, c.quantity, c.transit_hours, c.kind, origin)

    def _promise(self, c: Commit, seq: int) -> None:
        book = self.book
        inbound = self.state.pipeline(c.part, c.depot)
        if inbound is None:
            raise ConservationError(f"a promise on part {c.part} at depot {c.depot}: no receipts")
        rank = self.decider.queue_rank(c.row)
        inbound.join(Promise(rank, seq, c.row, c.quantity, c.kind, c.money, c.transit_hours))
        book.need[c.row] -= c.quantity
        book.held[c.row] += c.quantity
        self.recorder.emit(
            self.env.now,
            "reserved",
            order_id=book.order_id[c.row],
            part_number=self._names[c.part],
            source_kind=c.kind,
            origin=self._depots[c.depot],
            quantity=c.quantity,
        )
        for promise, units in inbound.trim():
            self._released(promise.row, c.part, c.depot, promise.kind, units, "pre-empted")
        self._reorder(c.part, c.depot)

    def _released(self, row: int, part: int, depot: int, kind: str, units: int, why: str) -> None:
        """A promise is withdrawn: its units are the order's need again."""
        book = self.book
        self.state.mark_freed(part, depot)
        book.held[row] -= units
        book.need[row] += units
        book.mark(row)
        self.recorder.emit(
            self.env.now,
            "released",
            order_id=book.order_id[row],
            part_number=self._names[part],
            source_kind=kind,
            origin=self._depots[depot],
            quantity=units,
            detail=why,
        )

    def _buy(self, c: Commit) -> None:
        options, state, now = self.options, self.state, self.env.now
        options.used[c.option] += c.quantity
        terms = self.conditions.terms_of(c.option, now)
        broker = bool(options.is_broker[c.option])
        behaviour = self.setup.scenario.sources
        cv = behaviour.broker.lead_time_cv if broker else behaviour.expedite.lead_time_cv
        stream = self.streams.purchase(c.option)
        lead = draw_lead_time(stream, terms[0], cv)
        failed = bool(stream.random() >= terms[1])
        supplier = options.supplier[c.option]
        self.book.need[c.row] -= c.quantity
        self._commit(c.row, c.quantity)
        self._allocated(c.row, c.part, c.kind, supplier, c.quantity, c.money)
        state.entered += c.quantity
        state.in_transit += c.quantity
        delay = lead + c.transit_hours
        backup = None
        if broker and self._backing and self.book.klass[c.row] == self._priority:
            backup = Backup(c.row, c.quantity)
            self._to_hold.append(backup)
        if not failed:
            if backup is None:
                self._send(c.row, c.part, c.quantity, delay, c.kind, supplier)
            else:
                self._after(delay, self._delivery_of(c, supplier, backup))
            return
        detect = behaviour.broker.failure_detected_after_hours
        self._after(delay if detect is None else detect, lambda: self._fail(c, supplier, backup))

    # -- backups of broker buys ----------------------------------------------------------
    def _hold_backups(self) -> None:
        """The buys of the decision just applied hold their backups from the free shelves
        the decision left (held after every commitment, so none takes a shipped unit)."""
        backups, self._to_hold = self._to_hold, []
        for backup in backups:
            for hold in choose_holds(self.supply, self.book, backup, self.env.now):
                self.state.hold(hold.part, hold.depot, hold.units)
                backup.holds.append(hold)
                self._backup_record("backup_held", backup.row, hold)

    def _delivery_of(self, c: Commit, supplier: str, backup: Backup) -> Callable[[], None]:
        """A bought delivery that gives its backup back to the free shelf when it arrives."""

        def arrive() -> None:
            self._deliver(c.row, c.part, c.quantity, c.kind, supplier)
            for hold in backup.holds:
                self._unhold(backup.row, hold, "the broker delivered")
            backup.holds.clear()

        return arrive

    def _unhold(self, row: int, hold: Hold, why: str) -> None:
        """Held units are free again: the depot's promises take what they can (as when a
        receipt lands), and waiting orders are decided again."""
        part, depot = hold.part, hold.depot
        self.state.unhold(part, depot, hold.units)
        self._backup_record("backup_released", row, hold, why)
        inbound = self.state.pipeline(part, depot)
        if inbound is not None and not self.state.offline[depot]:
            self._serve(part, depot, inbound)
        self._touch([self._group_of[part]])

    def _use_backup(self, backup: Backup) -> None:
        """A buy failed: its held units ship at once, as a shelf unit ships (reordered at the
        depot they leave); a hold on a depot now offline is released instead."""
        book, state, row = self.book, self.state, backup.row
        for hold in backup.holds:
            if state.offline[hold.depot]:
                self._unhold(row, hold, "the depot is offline")
                continue
            origin = self._depots[hold.depot]
            state.take_held(hold.part, hold.depot, hold.units)
            book.need[row] -= hold.units
            self._commit(row, hold.units)
            self._allocated(
                row, hold.part, hold.kind, origin, hold.units, hold.money, BACKUP_DETAIL
            )
            self._reorder(hold.part, hold.depot)
            self._send(row, hold.part, hold.units, hold.transit_hours, hold.kind, origin)
        backup.holds.clear()

    def _backup_record(self, event: str, row: int, hold: Hold, detail: str | None = None) -> None:
        depot = self._depots[hold.depot]
        self.recorder.emit(
            self.env.now,
            event,
            order_id=self.book.order_id[row],
            part_number=self._names[hold.part],
            depot_id=depot,
            source_kind=hold.kind,
            origin=depot,
            quantity=hold.units,
            detail=detail,
        )

    # -- units moving ------------------------------------------------------------------
    def _send(self, row: int, part: int, units: int, delay: float, kind: str, origin: str) -> None:
        """Units leave for the customer (already counted in transit)."""
        self._after(delay, partial(self._deliver, row, part, units, kind, origin))

    def _deliver(self, row: int, part: int, units: int, kind: str, origin: str) -> None:
        book, state = self.book, self.state
        state.in_transit -= units
        state.consumed += units
        book.delivered[row] += units
        self.recorder.emit(
            self.env.now,
            "delivered",
            order_id=book.order_id[row],
            part_number=self._names[part],
            source_kind=kind,
            origin=origin,
            quantity=units,
        )
        if book.delivered[row] == book.quantity[row]:
            if self.repair_hours > 0:
                self._after(self.repair_hours, lambda: self._restored(row))
            else:
                self._restored(row)

    def _fail(self, c: Commit, supplier: str, backup: Backup | None = None) -> None:
        """A broker buy never arrives: the units never entered; the order needs them again,
        and takes its backup's held units at once (if it has any)."""
        book, state, row = self.book, self.state, c.row
        state.entered -= c.quantity
        state.in_transit -= c.quantity
        book.committed[row] -= c.quantity
        book.need[row] += c.quantity
        self.recorder.emit(
            self.env.now,
            "purchase_failed",
            order_id=book.order_id[row],
            part_number=self._names[c.part],
            source_kind=c.kind,
            origin=supplier,
            quantity=c.quantity,
            money=c.money * c.quantity,
            detail="the broker did not deliver",
        )
        if backup is not None:
            self._use_backup(backup)
        book.mark(row)
        self._touch([book.group[row]])

    def _restored(self, row: int) -> None:
        book = self.book
        self.recorder.emit(
            self.env.now,
            "restored",
            order_id=book.order_id[row],
            part_number=self._names[book.part[row]],
        )

    # -- replenishment -----------------------------------------------------------------
    def _reorder(self, part: int, depot: int) -> None:
        """One-for-one base stock: reorder whatever the depot's inventory position lacks.

        Called where a unit leaves the depot's inventory — shipped from its shelf, or a unit
        of its receipts promised to an order — so a reorder follows the unit, at the depot
        it left, and on hand + on order − promised stays at the base-stock level. A unit
        bought by expedite or broker leaves no depot and reorders nothing (Axsäter 1990,
        "Modelling emergency lateral transshipments in inventory systems": the depot that
        supplies a unit reorders it; units from outside the system reorder nothing).
        """
        spec = self.setup.scenario.replenishment
        if spec.policy != "base_stock":
            return
        lack = self.state.shortfall(part, depot)
        if lack <= 0:
            return
        now, lead_time = self.env.now, spec.lead_time
        release = self.conditions.factory_release(part, lack, now)
        if self._servers is not None:
            self.recorder.emit(
                now,
                "replenishment_ordered",
                part_number=self._names[part],
                depot_id=self._depots[depot],
                quantity=lack,
            )
            for _ in range(lack):
                self._queue_repair(part, depot, release)
            self._touch([self._group_of[part]])
            return
        mean = lead_time.mean_hours * self.conditions.lead_factor(part, now)
        lead = draw_lead_time(
            self.streams.replenishment(part), mean, lead_time.cv, lead_time.distribution
        )
        self.recorder.emit(
            now,
            "replenishment_ordered",
            part_number=self._names[part],
            depot_id=self._depots[depot],
            quantity=lack,
        )
        self._expect(
            part, depot, lack, release + mean, release + lead, "replenishment", since=release
        )
        self._touch([self._group_of[part]])

    # -- a capacity-limited replenishment channel ------------------------------------------
    def _queue_repair(self, part: int, depot: int, release: float) -> None:
        """One reorder unit joins its part's repair line when the factory releases it.

        It is on order at once (a receipt in the depot's pipeline, so the inventory position
        counts it). Until a server takes it, it is planned at its expected start — when the
        jobs ahead of it leave, ``mean / servers`` apart — plus the mean repair time; a
        planner who only knows the line's length expects no better.
        """
        assert self._servers is not None
        line = self._lines.setdefault(part, RepairLine())
        mean = self.setup.scenario.replenishment.lead_time.mean_hours
        mean *= self.conditions.lead_factor(part, self.env.now)
        ahead = len(line.waiting) + line.busy - self._servers + 1
        start = release + max(ahead, 0) * mean / self._servers
        receipt = self.state.expect(part, depot, 1, start + mean, "replenishment", since=start)
        if release > self.env.now:
            self._after(release - self.env.now, lambda: self._join_line(part, receipt.key))
        else:
            self._join_line(part, receipt.key)

    def _join_line(self, part: int, key: int) -> None:
        line = self._lines[part]
        assert self._servers is not None
        if line.busy < self._servers:
            self._start_repair(part, key)
        else:
            line.waiting.append(key)

    def _start_repair(self, part: int, key: int) -> None:
        """A server takes a job: its repair time is drawn now and its landing planned anew."""
        line, now = self._lines[part], self.env.now
        line.busy += 1
        lead_time = self.setup.scenario.replenishment.lead_time
        mean = lead_time.mean_hours * self.conditions.lead_factor(part, now)
        took = draw_lead_time(
            self.streams.replenishment(part), mean, lead_time.cv, lead_time.distribution
        )
        self.state.replan(key, now + mean, since=now)
        self._after(took, lambda: self._repaired(part, key))

    def _repaired(self, part: int, key: int) -> None:
        """A job is done: its server takes the next one and the unit lands at its depot."""
        line = self._lines[part]
        line.busy -= 1
        if line.waiting:
            self._start_repair(part, line.waiting.popleft())
        self._land(key)

    def _expect(
        self,
        part: int,
        depot: int,
        units: int,
        planned: float,
        lands: float,
        kind: str,
        since: float | None = None,
    ) -> None:
        """A receipt is on its way: planned at ``planned`` (what decisions see, re-estimated
        once overdue when ``since`` gives the release of a random lead time), it lands at
        ``lands``."""
        receipt = self.state.expect(part, depot, units, planned, kind, since)
        self._after(lands - self.env.now, partial(self._land, receipt.key))

    def _land(self, key: int) -> None:
        receipt, inbound = self.state.land(key)
        part, depot = receipt.part, receipt.depot
        self.recorder.emit(
            self.env.now,
            "receipt",
            part_number=self._names[part],
            depot_id=self._depots[depot],
            source_kind=receipt.kind,
            quantity=receipt.quantity,
        )
        if self.state.offline[depot]:
            return
        self._serve(part, depot, inbound)
        if self.state.on_hand[part][depot] > 0:
            self._touch([self._group_of[part]])

    def _serve(self, part: int, depot: int, inbound: DepotInbound) -> None:
        """The depot's queue takes what is on its shelf, first promises first."""
        state, book, origin = self.state, self.book, self._depots[depot]
        units = min(state.on_hand[part][depot], inbound.held)
        for promise, taken in inbound.serve(units):
            row = promise.row
            state.take(part, depot, taken)
            book.held[row] -= taken
            self._commit(row, taken)
            self._allocated(row, part, promise.kind, origin, taken, promise.money)
            self._send(row, part, taken, promise.transit_hours, promise.kind, origin)

    # -- orders ------------------------------------------------------------------------
    def _enter(self, row: int) -> None:
        """An order needs its units: it is open until a decision gives it some (nothing is
        reordered yet: a reorder follows a unit out of a depot, see :meth:`_reorder`).

        With a fallback for its class (the scenario's ``unmet_demand``), an order that the
        free supply its class may use cannot cover within the allowance is lost or sent to
        the emergency channel instead, and never waits.
        """
        book = self.book
        rule = self._fallback[book.klass[row]]
        if rule is not None and not self._in_time(row, rule.allowance_hours):
            self._divert(row, rule)
            return
        book.mark(row)

    def _in_time(self, row: int, allowance: float) -> bool:
        """Whether free units the order's class may use reach it within ``allowance`` hours
        from now, enough for its whole need (judged on arrival, against the supply nobody
        holds: shelves, receipts not promised to a rank it cannot pre-empt, options)."""
        book = self.book
        need = book.need[row]
        found = self.supply.candidates(
            book.part[row],
            book.klass[row],
            book.country_col[row],
            book.home[row],
            need,
            self.decider.queue_rank(row),
            self.env.now,
            self.decider.pre_empts,
        )
        soon = allowance + _ALLOWANCE_SLACK
        return sum(c.units for c in found if c.release + c.transit <= soon) >= need

    def _divert(self, row: int, rule: ClassFallback) -> None:
        """The order is lost, or an emergency channel outside the network serves it: either
        way no depot gives a unit, so nothing is reordered."""
        book, state, now = self.book, self.state, self.env.now
        units, part = book.need[row], book.part[row]
        book.need[row] = 0
        if rule.outcome == "lost":
            book.lost[row] += units
            self.recorder.emit(
                now,
                "lost",
                order_id=book.order_id[row],
                part_number=self._names[part],
                quantity=units,
                detail=f"no unit within {rule.allowance_hours:g} h",
            )
            return
        lead_time = rule.lead_time
        lead = draw_lead_time(
            self.streams.emergency(book.klass[row]),
            lead_time.mean_hours,
            lead_time.cv,
            lead_time.distribution,
        )
        self._commit(row, units)
        self._allocated(row, part, "emergency", "emergency", units, rule.unit_cost)
        state.entered += units
        state.in_transit += units
        self._send(row, part, units, lead, "emergency", "emergency")

    def _record_order(self, row: int) -> None:
        book, info = self.book, self.book.info[row]
        home = book.home[row]
        self.recorder.order_created(
            book.created[row],
            book.order_id[row],
            self._names[book.part[row]],
            self._depots[home] if home >= 0 else None,
            book.quantity[row],
            info,
        )
        if book.targets:
            due = book.need_by_ns[row]
            if due is not None:
                self.recorder.due((due - self.supply.start_ns) / 3.6e12)
