"""The SimPy world: orders arrive, the policy allocates, units travel, repairs finish.

One :class:`ShortageWorld` is one replication. Its processes are generators on the
environment passed in; its random numbers come from the streams passed in; everything it
learns, it writes as event records (:mod:`simulation.records`) — it keeps no totals a
planner might want, those are computed afterwards (:mod:`simulation.metrics`).

What happens, in the order a planner would see it:

- An order arrives and waits for the policy's decision.
- The policy decides the open orders of the touched part group (event mode: on every
  arrival, every receipt that leaves free units, every new capacity period, every change of
  conditions and every failed buy; periodic mode: every ``period_hours``). Shelf units ship
  at once and arrive after the lane's transit; expedite and broker units are bought at once
  and arrive after a drawn lead time, or — a failed broker buy — never, and the order needs
  them again; units of a receipt on its way are promised and ship the moment it lands.
- One-for-one base stock: each unit that leaves a depot — shipped from its shelf, or
  promised from one of its receipts — is reordered from the factory at once, at that depot
  (the lead time drawn; a supply cut slows the factory and stretches the lead time), so
  on hand + on order − promised stays at the depot's base-stock level. Units bought by
  expedite or broker reorder nothing.
- When the last unit of an order arrives, the repair takes ``repair_hours``; then the order
  is restored and its downtime ends.
- A depot going offline withdraws the promises made on its receipts (the orders are decided
  again elsewhere) and ships nothing until it is back; receipts still land on its shelf.
"""

from __future__ import annotations

from collections.abc import Generator
from functools import partial
from typing import Any

import simpy

from simulation.world.collector import collector_paused
from simulation.world.flows import WorldCore
from simulation.world.sampling import Streams

__all__ = ["ShortageWorld", "Streams"]

Process = Generator[simpy.Event, Any, None]


class ShortageWorld(WorldCore):
    """One replication of a scenario under one policy.

    Parameters
    ----------
    env : simpy.Environment
        The clock (hours since the scenario's start).
    setup : WorldSetup
        The scenario resolved against its world.
    streams : Streams
        Random streams for this replication.
    strategy : str, optional
        ``optimal``, ``fifo`` or ``tier_greedy`` (default: the scenario's).
    recorder : Recorder, optional
        Where events go (a new one by default).
    shortcut : bool
        Answer decisions the exact no-solve paths can answer without the engine (default on;
        off only to check that it changes nothing; see :mod:`simulation.world.solo`).
    audit : bool
        Check every invariant of the state after every event (slow; for tests).
    """

    # -- running -----------------------------------------------------------------------
    def run(self) -> None:
        """Start every process, run the clock to the end of the drain and check the state
        (the cyclic garbage collector paused meanwhile: :mod:`.collector` says why)."""
        env = self.env
        with collector_paused():
            self._start()
            env.process(self._arrive())
            env.process(self._capacity_periods())
            for process in self._disruptions():
                env.process(process)
            if self.periodic:
                env.process(self._tick())
            env.run(until=self.setup.end_hours)
            self.recorder.emit(self.setup.end_hours, "end")
            self.state.audit(self.book)

    def _start(self) -> None:
        """Time zero: the starting stock, the receipts due, every inventory position brought
        up to its base-stock level, the backlog decided."""
        state, rec = self.state, self.recorder
        for p, shelf in enumerate(state.on_hand):
            for d, units in enumerate(shelf):
                if units:
                    rec.emit(
                        0.0,
                        "receipt",
                        part_number=self._names[p],
                        depot_id=self._depots[d],
                        source_kind="initial",
                        quantity=units,
                    )
        if self.setup.scenario.replenishment.scheduled_receipts:
            for part, depot, quantity, hours in self.setup.scheduled:
                self._expect(part, depot, quantity, hours, hours, "scheduled")
        for part, levels in enumerate(state.base_stock):
            for depot, level in enumerate(levels):
                if level:
                    self._reorder(part, depot)
        for row in range(self.arrivals.start):
            self._record_order(row)
            self._enter(row)
        self._touch(list(self.book.open))
        self._settle()

    # -- processes ---------------------------------------------------------------------
    def _arrive(self) -> Process:
        env, book = self.env, self.book
        for row in self.arrivals:
            wait = book.created[row] - env.now
            if wait > 0:
                self.events += 1
                yield env.timeout(wait)
            self._record_order(row)
            self._enter(row)
            self._checked(partial(self._touch, [book.group[row]]))

    def _capacity_periods(self) -> Process:
        env, period = self.env, self.conditions.period_hours
        while True:
            self.events += 1
            yield env.timeout(period)
            self.options.used[:] = 0
            self._checked(lambda: self._touch(self._with_options))

    def _tick(self) -> Process:
        env, period = self.env, self.setup.scenario.policy.period_hours
        while True:
            dirty = sorted(g for g in self._dirty if g in self.book.open)
            self._dirty.clear()
            if dirty:
                self._checked(partial(self._decide, dirty))
            self.events += 1
            yield env.timeout(period)

    def _disruptions(self) -> list[Process]:
        processes = [
            self._offline(low, high, depots.tolist(), label)
            for low, high, depots, label in self.setup.offline
        ]
        for low, high, *_, label in self.setup.cuts:
            processes.append(self._window(low, high, label))
        for low, high, _, _, label in self.setup.markets:
            processes.append(self._window(low, high, label))
        return processes

    def _window(self, low: float, high: float, label: str) -> Process:
        """A supply cut or a broker-market change: new terms, so options are decided again."""
        env = self.env
        for at, event in ((low, "disruption_started"), (high, "disruption_ended")):
            self.events += 1
            yield env.timeout(at - env.now)
            self.recorder.emit(env.now, event, detail=label)
            self._checked(lambda: self._touch(self._with_options))

    def _offline(self, low: float, high: float, depots: list[int], label: str) -> Process:
        env, state = self.env, self.state
        self.events += 1
        yield env.timeout(low)
        self.recorder.emit(env.now, "disruption_started", detail=label)
        touched: dict[int, None] = {}
        for d in depots:
            state.offline[d] += 1
            self.recorder.emit(env.now, "depot_offline", depot_id=self._depots[d], detail=label)
            touched.update(dict.fromkeys(self._withdraw(d)))
        self._checked(lambda: self._touch(list(touched)))
        self.events += 1
        yield env.timeout(high - low)
        self.recorder.emit(env.now, "disruption_ended", detail=label)
        state.freed_everywhere += 1
        for d in depots:
            state.offline[d] -= 1
            self.recorder.emit(env.now, "depot_online", depot_id=self._depots[d], detail=label)
            if not state.offline[d]:
                for part in range(len(self._names)):
                    inbound = state.pipeline(part, d)
                    if inbound is not None and inbound.queue:
                        self._serve(part, d, inbound)
        self._checked(lambda: self._touch(list(self.book.open)))

    def _withdraw(self, depot: int) -> list[int]:
        """Promises on an offline depot's receipts are withdrawn; returns the groups touched."""
        book, state, groups = self.book, self.state, []
        for part in range(len(self._names)):
            inbound = state.pipeline(part, depot)
            if inbound is None or not inbound.queue:
                continue
            for row in sorted({p.row for p in inbound.queue}):
                for promise in inbound.release(row):
                    self._released(row, part, depot, promise.kind, promise.units, "depot offline")
                groups.append(book.group[row])
        return groups
