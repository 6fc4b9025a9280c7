"""The SimPy world: orders arrive, the policy allocates, units travel, repairs finish.

One :class:`ShortageWorld` is one replication. Its processes are generators on the
environment passed in; its random numbers come from the streams passed in (one per kind of
draw, so two policies run on the same seed see the same demand); everything it learns, it
writes as event records (:mod:`simulation.records`).

Units committed from a shelf ship at once; expedite and broker units are bought at once and
arrive after a drawn lead time (a broker buy may fail, and the order needs its units again).
A reservation on a receipt still on its way commits nothing: when the receipt lands the part
is re-planned and the units go to whoever ranks first then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import simpy

from allocation.adapters.inputs import EntitlementInputs
from allocation.engine.classify import classify_orders
from allocation.engine.frames import orders_table
from simulation.errors import ConservationError
from simulation.records import Recorder
from simulation.world.conditions import Conditions
from simulation.world.decide import Commit, Decider
from simulation.world.demand import ORDER_COLUMNS, draw_arrivals
from simulation.world.sampling import draw_lead_time
from simulation.world.setup import WorldSetup
from simulation.world.state import OptionBook, OrderBook, Receipt, WorldState

__all__ = ["ShortageWorld", "Streams"]


@dataclass(frozen=True)
class Streams:
    """Independent random streams of one replication, one per kind of draw."""

    demand: np.random.Generator
    replenishment: np.random.Generator
    expedite: np.random.Generator
    broker: np.random.Generator

    @classmethod
    def for_replication(cls, seed: int, replication: int) -> Streams:
        """The streams of replication ``replication`` of a run seeded with ``seed``."""
        children = [
            np.random.SeedSequence(entropy=seed, spawn_key=(replication, kind)) for kind in range(4)
        ]
        return cls(*(np.random.Generator(np.random.PCG64(child)) for child in children))


class ShortageWorld:
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
        Use the exact no-solve path for uncontested arrivals (default on; off only to check
        that it changes nothing).
    """

    def __init__(
        self,
        env: simpy.Environment,
        setup: WorldSetup,
        streams: Streams,
        strategy: str | None = None,
        recorder: Recorder | None = None,
        shortcut: bool = True,
    ) -> None:
        self.env = env
        self.setup = setup
        self.streams = streams
        self.recorder = recorder or Recorder()
        self.shortcut = shortcut
        scenario = setup.scenario
        self.mode = scenario.policy.mode
        self.repair_hours = scenario.repair_hours
        self.book, self.arrival_rows = _order_book(setup, streams.demand)
        self.state = WorldState(setup.initial_stock, setup.base_stock)
        self.options = _option_book(setup)
        self.conditions = Conditions(setup, self.options)
        self.decider = Decider(
            setup,
            strategy or scenario.policy.strategy,
            self.book,
            self.state,
            self.options,
            self.conditions,
        )
        self.in_flight = 0
        self.solves = 0
        self.shortcuts = 0
        self._dirty: dict[int, None] = {}

    # -- running -----------------------------------------------------------------------
    def run(self) -> None:
        """Start every process and run the clock to the end of the drain period."""
        env = self.env
        self._start()
        env.process(self._arrivals())
        env.process(self._capacity_periods())
        for process in self._disruption_processes():
            env.process(process)
        if self.mode == "periodic":
            env.process(self._periodic())
        end = self.setup.end_hours
        env.run(until=end)
        self.recorder.emit(end, "end")
        self.check_conservation()

    def _start(self) -> None:
        """Time zero: the starting stock, the receipts due, and the backlog planned."""
        rec, state, names, depots = (
            self.recorder,
            self.state,
            self.setup.context.part_numbers,
            self.setup.depot_ids,
        )
        for p, d in zip(*np.nonzero(state.on_hand), strict=True):
            rec.emit(
                0.0,
                "receipt",
                part_number=names[p],
                depot_id=depots[d],
                source_kind="initial",
                quantity=int(state.on_hand[p, d]),
            )
        if self.setup.scenario.replenishment.scheduled_receipts:
            self._schedule_inbound()
        backlog = range(self.arrival_rows.start)
        for row in backlog:
            self._record_order(row)
            self._enter(row)
        if backlog and self.mode == "event":
            self._apply(self.decider.solve(sorted(self.book.waiting), 0.0))

    def _schedule_inbound(self) -> None:
        inbound = self.setup.snapshot.inbound
        context, start = self.setup.context, self.setup.start
        for part, depot, quantity, eta in zip(
            inbound["part_number"],
            inbound["depot_id"],
            inbound["quantity"],
            inbound["eta"],
            strict=True,
        ):
            hours = max((pd.Timestamp(eta) - start).total_seconds() / 3600.0, 0.0)
            receipt = Receipt(
                context.part_code[part],
                context.depot_code[depot],
                int(quantity),
                hours,
                "scheduled",
            )
            self._expect(receipt, hours)

    # -- processes ---------------------------------------------------------------------
    def _arrivals(self) -> Any:
        env, book = self.env, self.book
        for row in self.arrival_rows:
            wait = float(book.created[row]) - env.now
            if wait > 0:
                yield env.timeout(wait)
            self._record_order(row)
            self._enter(row)
            group = int(book.group[row])
            if self.mode == "periodic":
                self._dirty[group] = None
                continue
            if self.shortcut and len(book.waiting.get(group, ())) == 1:
                decided = self.decider.lone(row, env.now)
                if decided is not None:
                    self.shortcuts += 1
                    self._apply(decided)
                    continue
            self._replan([group])

    def _capacity_periods(self) -> Any:
        env, period = self.env, self.conditions.period_hours
        while True:
            yield env.timeout(period)
            self.options.used[:] = 0
            self._replan(self._groups_with_options())

    def _periodic(self) -> Any:
        env, period = self.env, self.setup.scenario.policy.period_hours
        while True:
            dirty = sorted(self._dirty)
            self._dirty.clear()
            if dirty:
                self._apply(self.decider.solve(dirty, env.now))
                self.solves += 1
            yield env.timeout(period)

    def _disruption_processes(self) -> list[Any]:
        processes = []
        for low, high, depots, label in self.setup.offline:
            processes.append(self._depots_offline(low, high, depots.tolist(), label))
        for low, high, *_, label in self.setup.cuts:
            processes.append(self._window(low, high, label))
        for low, high, _, _, label in self.setup.markets:
            processes.append(self._window(low, high, label))
        return processes

    def _window(self, low: float, high: float, label: str) -> Any:
        env = self.env
        yield env.timeout(low)
        self.recorder.emit(env.now, "disruption_started", detail=label)
        self._replan(self._groups_with_options())
        yield env.timeout(high - low)
        self.recorder.emit(env.now, "disruption_ended", detail=label)
        self._replan(self._groups_with_options())

    def _depots_offline(self, low: float, high: float, depots: list[int], label: str) -> Any:
        env, ids = self.env, self.setup.depot_ids
        yield env.timeout(low)
        self.recorder.emit(env.now, "disruption_started", detail=label)
        for d in depots:
            self.state.online[d] = False
            self.recorder.emit(env.now, "depot_offline", depot_id=ids[d], detail=label)
        yield env.timeout(high - low)
        self.recorder.emit(env.now, "disruption_ended", detail=label)
        for d in depots:
            self.state.online[d] = True
            self.recorder.emit(env.now, "depot_online", depot_id=ids[d], detail=label)
        self._replan(sorted(self.book.waiting))

    # -- decisions ---------------------------------------------------------------------
    def _replan(self, groups: list[int]) -> None:
        """Re-plan the groups among ``groups`` where orders wait (event mode)."""
        waiting = [g for g in groups if g in self.book.waiting]
        if not waiting:
            return
        if self.mode == "periodic":
            self._dirty.update(dict.fromkeys(waiting))
            return
        self.solves += 1
        self._apply(self.decider.solve(waiting, self.env.now))

    def _groups_with_options(self) -> list[int]:
        group = self.setup.context.part_group
        return sorted({int(group[p]) for p in self.options.by_part})

    def _apply(self, commits: list[Commit]) -> None:
        for commit in commits:
            if commit.shelf:
                self._ship(commit)
            elif commit.option >= 0:
                self._buy(commit)

    def _commit(self, commit: Commit, origin: str) -> None:
        """Book units against an order: its need, its home's position, the record."""
        book, state, row = self.book, self.state, commit.row
        book.need[row] -= commit.quantity
        if book.need[row] < 0:
            raise ConservationError(f"order {book.order_id[row]} got more units than it needs")
        if book.need[row] == 0:
            book.settle(row)
        home = int(book.home[row])
        if home >= 0:
            state.backorder[book.part[row], home] -= commit.quantity
        self.recorder.emit(
            self.env.now,
            "allocated",
            order_id=book.order_id[row],
            part_number=self.setup.context.part_numbers[commit.part],
            source_kind=commit.kind,
            origin=origin,
            quantity=commit.quantity,
            money=commit.money * commit.quantity,
        )

    def _ship(self, commit: Commit) -> None:
        depot_id = self.setup.depot_ids[commit.depot]
        self.state.take(commit.part, commit.depot, commit.quantity)
        self._commit(commit, depot_id)
        self._reorder(commit.part, commit.depot)
        self._deliver_later(commit, commit.transit_hours, depot_id, failed=False)

    def _buy(self, commit: Commit) -> None:
        options, option = self.options, commit.option
        options.used[option] += commit.quantity
        supplier = options.supplier[option]
        terms = self.conditions.terms(np.array([option]), self.env.now)
        broker = bool(options.is_broker[option])
        behaviour = self.setup.scenario.sources
        cv = behaviour.broker.lead_time_cv if broker else behaviour.expedite.lead_time_cv
        stream = self.streams.broker if broker else self.streams.expedite
        lead = draw_lead_time(stream, float(terms.lead_hours[0]), cv)
        failed = broker and bool(stream.random() >= float(terms.success[0]))
        self._commit(commit, supplier)
        delay = lead + commit.transit_hours
        detect = behaviour.broker.failure_detected_after_hours
        if failed and detect is not None:
            delay = detect
        self._deliver_later(commit, delay, supplier, failed=failed)

    def _deliver_later(self, commit: Commit, delay: float, origin: str, failed: bool) -> None:
        self.in_flight += commit.quantity
        event = self.env.timeout(max(delay, 0.0))
        event.callbacks.append(lambda _: self._arrive(commit, origin, failed))

    def _arrive(self, commit: Commit, origin: str, failed: bool) -> None:
        book, now, row = self.book, self.env.now, commit.row
        self.in_flight -= commit.quantity
        order_id = book.order_id[row]
        part = self.setup.context.part_numbers[commit.part]
        if failed:
            self.recorder.emit(
                now,
                "purchase_failed",
                order_id=order_id,
                part_number=part,
                source_kind=commit.kind,
                origin=origin,
                quantity=commit.quantity,
                money=commit.money * commit.quantity,
                detail="the broker did not deliver",
            )
            book.need[row] += commit.quantity
            home = int(book.home[row])
            if home >= 0:
                self.state.backorder[book.part[row], home] += commit.quantity
                self._reorder(int(book.part[row]), home)
            book.wait(row)
            self._replan([int(book.group[row])])
            return
        book.delivered[row] += commit.quantity
        self.recorder.emit(
            now,
            "delivered",
            order_id=order_id,
            part_number=part,
            source_kind=commit.kind,
            origin=origin,
            quantity=commit.quantity,
        )
        if book.delivered[row] == int(book.quantity[row]):
            if self.repair_hours > 0:
                done = self.env.timeout(self.repair_hours)
                done.callbacks.append(lambda _: self._restored(row))
            else:
                self._restored(row)

    def _restored(self, row: int) -> None:
        book = self.book
        self.recorder.emit(
            self.env.now,
            "restored",
            order_id=book.order_id[row],
            part_number=self.setup.context.part_numbers[int(book.part[row])],
        )

    # -- replenishment -----------------------------------------------------------------
    def _reorder(self, part: int, depot: int) -> None:
        """One-for-one base stock: reorder whatever the inventory position lacks."""
        if self.setup.scenario.replenishment.policy != "base_stock":
            return
        lack = self.state.shortfall(part, depot)
        if lack <= 0:
            return
        now = self.env.now
        spec = self.setup.scenario.replenishment.lead_time
        release = self.conditions.factory_release(part, lack, now)
        stretch = self.conditions.lead_factor(part, now)
        lead = draw_lead_time(
            self.streams.replenishment, spec.mean_hours * stretch, spec.cv, spec.distribution
        )
        planned = release + spec.mean_hours * stretch
        self.recorder.emit(
            now,
            "replenishment_ordered",
            part_number=self.setup.context.part_numbers[part],
            depot_id=self.setup.depot_ids[depot],
            quantity=lack,
        )
        self._expect(Receipt(part, depot, lack, planned, "replenishment"), release + lead)

    def _expect(self, receipt: Receipt, lands_at: float) -> None:
        key = self.state.expect(receipt)
        event = self.env.timeout(max(lands_at - self.env.now, 0.0))
        event.callbacks.append(lambda _: self._land(key, receipt.part))

    def _land(self, key: int, part: int) -> None:
        receipt = self.state.land(key, part)
        self.recorder.emit(
            self.env.now,
            "receipt",
            part_number=self.setup.context.part_numbers[part],
            depot_id=self.setup.depot_ids[receipt.depot],
            source_kind=receipt.kind,
            quantity=receipt.quantity,
        )
        self._replan([int(self.setup.context.part_group[part])])

    # -- orders ------------------------------------------------------------------------
    def _enter(self, row: int) -> None:
        book = self.book
        book.wait(row)
        home = int(book.home[row])
        if home >= 0:
            part = int(book.part[row])
            self.state.backorder[part, home] += int(book.quantity[row])
            self._reorder(part, home)

    def _record_order(self, row: int) -> None:
        book, table = self.book, self.book.table
        self.recorder.emit(
            float(book.created[row]),
            "order_created",
            order_id=book.order_id[row],
            part_number=self.setup.context.part_numbers[int(book.part[row])],
            depot_id=self.setup.depot_ids[int(book.home[row])] if book.home[row] >= 0 else None,
            quantity=int(book.quantity[row]),
            customer_id=table["customer_id"].iat[row],
            country=table["country"].iat[row],
            priority_class=table["priority_class"].iat[row],
            tier=table["tier"].iat[row],
        )

    # -- checks ------------------------------------------------------------------------
    def check_conservation(self) -> None:
        """Every unit that landed on a shelf is still there or was shipped; none negative."""
        state = self.state
        if (state.on_hand < 0).any():
            raise ConservationError("negative stock at the end of the run")
        if int(state.on_hand.sum()) + state.shipped != state.landed:
            raise ConservationError(
                f"{state.landed} units landed, {state.shipped} shipped, "
                f"{int(state.on_hand.sum())} on hand"
            )


def _order_book(setup: WorldSetup, rng: np.random.Generator) -> tuple[OrderBook, range]:
    """The backlog and this replication's arrivals as one engine orders table."""
    snapshot = setup.snapshot
    backlog = snapshot.orders[ORDER_COLUMNS]
    if not setup.scenario.demand.backlog:
        backlog = backlog.iloc[0:0]
    backlog = backlog.copy()
    backlog_hours = (backlog["created_at"] - setup.start).dt.total_seconds().to_numpy() / 3600.0
    arrivals = draw_arrivals(setup, rng)
    raw = pd.concat([backlog, arrivals[ORDER_COLUMNS]], ignore_index=True)
    raw["created_at"] = pd.to_datetime(raw["created_at"]).astype("datetime64[ns]")
    hours = np.concatenate([backlog_hours, arrivals["time"].to_numpy(dtype=np.float64)])
    inputs = EntitlementInputs(snapshot.customers, snapshot.contracts, raw)
    decisions = classify_orders(inputs, policy=setup.entitlement_policy)
    table = orders_table(raw, snapshot.customers, decisions, setup.context)
    book = OrderBook(
        table=table,
        order_id=table["order_id"].astype(str).tolist(),
        part=table["part_code"].to_numpy(dtype=np.int64),
        group=table["part_group"].to_numpy(dtype=np.int64),
        klass=table["class_code"].to_numpy(dtype=np.int64),
        country_col=table["country_col"].to_numpy(dtype=np.int64),
        home=table["home_code"].to_numpy(dtype=np.int64),
        quantity=table["quantity"].to_numpy(dtype=np.int64),
        created=hours,
    )
    first = len(backlog)
    return book, range(first, len(raw))


def _option_book(setup: WorldSetup) -> OptionBook:
    options = setup.snapshot.supply_options
    context = setup.context
    return OptionBook(
        table=options,
        part=options["part_number"].map(context.part_code).to_numpy(dtype=np.int64),
        is_broker=(options["source"] == "broker").to_numpy(dtype=bool),
        supplier=options["supplier_id"].astype(str).tolist(),
        capacity=options["capacity"].to_numpy(dtype=np.float64),
        lead_hours=options["lead_time_hours"].to_numpy(dtype=np.float64),
        price=options["unit_cost"].to_numpy(dtype=np.float64),
        success=options["success_probability"].astype(float).fillna(1.0).to_numpy(),
        used=np.zeros(len(options), dtype=np.int64),
    )
