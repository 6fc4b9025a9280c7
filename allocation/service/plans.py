"""The engine's incremental planner, kept per process beside the database that is the truth.

Re-planning a part group from its rows costs tens of milliseconds of table building, even for
a group of two orders; the engine's :class:`~allocation.engine.incremental.Planner` keeps each
group's problem and serves an arriving order in about a millisecond, solving only when units
are contested. :class:`PlanCache` holds one planner per process and trusts a group of it only
while the group's version in the database (``part_groups.version``, raised by every write
under the group's lock) is the one the planner reflects:

- a write locks its groups, then :meth:`PlanCache.prepare` rebuilds every locked group that
  another process (or a failed write) changed since, from the rows this transaction sees;
- the write applies its change to the planner (or has :meth:`PlanCache.reload` rebuild the
  group after changing rows), and the ledger is brought to the planner's plan;
- only when the transaction commits does the planner's version of the group advance
  (:meth:`PlanCache.commit`); a failure forgets the group, which is rebuilt on next use.

A group is also *in step* once a committed write of this process has brought its ledger to
the planner's plan (and stays so while the planner is trusted): a write that then changes
nobody's units in the plan has nothing to append to the ledger, and need not read it
(:func:`allocation.service.planning.replan_groups`). A group rebuilt from its rows is not in
step until a write has brought the ledger to the rebuilt plan: a fresh solve need not give
every order what the ledger says it holds.

A server process freezes what the planner holds once built (``freeze``), so that the cyclic
garbage collector stops walking it on every full collection.

Writes in one process run on one writer thread (:mod:`allocation.service.writes`), so the
planner is never changed by two threads at once.

ETAs written to the ledger always count from the write's own moment
(:func:`allocation.service.planning.holdings_of`), whenever the planner read its rows. Only
a scheduled receipt's place in the plan depends on when its group was read (the hours from
then until it lands), so a group with receipts read more than ``max_age_s`` ago (5 minutes,
inside the engine's default ETA resolution of 6 minutes, within which ETAs are ties anyway)
is read again when next written.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema
from allocation.adapters.store.database import ReadTooEarlyError
from allocation.adapters.store.ledger import Stamp
from allocation.adapters.store.master import master_version
from allocation.adapters.store.overrides import overrides_table
from allocation.domain.entitlement import EntitlementPolicy
from allocation.domain.model import SourceBase
from allocation.domain.overrides import Overrides
from allocation.domain.snapshot import Snapshot
from allocation.engine import Context, Engine, Planner
from allocation.service.cap_history import period_turned, taken_earlier
from allocation.service.group_rows import (
    ORDER_COLUMNS,
    group_tables,
    open_orders,
    snapshot_of_rows,
)

__all__ = ["PlanCache"]


class World(Protocol):
    """What the planner needs of a load (:class:`allocation.service.world.World` has it)."""

    @property
    def version(self) -> str: ...

    @property
    def context(self) -> Context: ...

    @property
    def entitlement_policy(self) -> EntitlementPolicy | None: ...

    @property
    def parts_of(self) -> dict[str, list[str]]: ...

    @property
    def snapshot(self) -> Snapshot: ...


@dataclass
class _State:
    planner: Planner
    versions: dict[str, int]
    built: float = field(default_factory=time.monotonic)
    loaded: dict[str, float] = field(default_factory=dict)


class PlanCache:
    """One planner per process and load; see the module."""

    def __init__(self, max_age_s: float = 300.0, freeze: bool = False) -> None:
        self.max_age_s = max_age_s
        self.freeze = freeze
        self._state: _State | None = None
        self._pending: dict[str, int] = {}
        self._in_step: set[str] = set()
        self._pending_in_step: set[str] = set()
        self._lock = threading.Lock()
        self.rebuilt_groups = 0

    def prepare(
        self, connection: Connection, world: World, stamps: Mapping[str, Stamp], now: datetime
    ) -> Planner:
        """The planner, with every locked group as the database holds it before this write.

        Call right after :func:`~allocation.adapters.store.database.lock_groups`, before the
        write changes any row of those groups.
        """
        with self._lock:
            state = self._state
            if state is None:
                _same_master(connection, world)
                state = self._state = self._build(connection, world, now)
                for group, stamp in stamps.items():
                    state.versions[group] = stamp.txn - 1
            checked = False
            for group, stamp in sorted(stamps.items()):
                # An earlier write of the same (uncommitted) batch may have moved it on.
                known = self._pending.get(group, state.versions.get(group))
                if (
                    known != stamp.txn - 1
                    or self._stale(world, state, group)
                    or _period_turned(world, state, group, now)
                ):
                    if not checked:
                        _same_master(connection, world)
                        checked = True
                    self._reload(connection, world, state, group, now)
                self._pending[group] = stamp.txn
            return state.planner

    def planner(self) -> Planner:
        """The planner (after :meth:`prepare` or :meth:`reload` in this write)."""
        assert self._state is not None
        return self._state.planner

    def reload(self, connection: Connection, world: World, stamp: Stamp) -> Planner:
        """Rebuild one locked group from the rows this transaction sees now (after its
        changes)."""
        _same_master(connection, world)
        with self._lock:
            state = self._state
            if state is None:
                state = self._state = self._build(connection, world, stamp.at)
            else:
                self._reload(connection, world, state, stamp.group_key, stamp.at)
            self._pending[stamp.group_key] = stamp.txn
            return state.planner

    def in_step(self, group: str) -> bool:
        """Whether the ledger of a locked group holds exactly the planner's plan of it (as
        of before this write's change); see the module."""
        with self._lock:
            return group in self._pending_in_step or (
                group in self._in_step and group in self._pending
            )

    def brought_in_step(self, group: str) -> None:
        """This write brought the group's ledger to the planner's plan."""
        with self._lock:
            self._pending_in_step.add(group)

    def commit(self) -> None:
        """The write committed: the planner reflects its groups at their new versions."""
        with self._lock:
            if self._state is not None:
                self._state.versions.update(self._pending)
                self._in_step.update(self._pending_in_step)
            self._pending.clear()
            self._pending_in_step.clear()

    def abort(self) -> None:
        """The write failed or was rolled back: forget every group it touched."""
        with self._lock:
            if self._state is not None:
                for group in self._pending:
                    self._state.versions.pop(group, None)
                    self._in_step.discard(group)
            self._pending.clear()
            self._pending_in_step.clear()

    def _build(self, connection: Connection, world: World, now: datetime) -> _State:
        self._in_step.clear()
        self._pending_in_step.clear()
        state = _build(connection, world, now)
        if self.freeze:
            # The planner lives as long as the process: the collector need not walk it on
            # every full collection (a server process only; frozen objects are never freed).
            gc.collect()
            gc.freeze()
        return state

    def _stale(self, world: World, state: _State, group: str) -> bool:
        """Whether a group's receipts were timed from a moment too long ago.

        Only a receipt's release depends on the planner's moment (hours from then until it
        lands); stock leaves now and an option after its lead time, whenever they were read.
        """
        age = time.monotonic() - state.loaded.get(group, state.built)
        if age <= self.max_age_s:
            return False
        part = world.parts_of.get(group, [group])[0]
        sources = state.planner.group_plan(part).problem.sources
        return bool((sources.base == SourceBase.RECEIPT).any())

    def _reload(
        self, connection: Connection, world: World, state: _State, group: str, now: datetime
    ) -> None:
        parts = world.parts_of.get(group, [group])
        orders, decisions = open_orders(connection, group)
        stock, inbound, options = group_tables(connection, parts)
        planner = state.planner
        # The group's orders were, and are, those of its plan and of its rows: their
        # overrides are what the rows say now; every other order's stay as they are.
        mine = set(orders["order_id"].tolist())
        mine.update(planner.group_plan(parts[0]).problem.orders.order_id.tolist())
        overrides = with_overrides_of(
            planner.context.overrides, mine, overrides_table(connection, group)
        )
        # So are its parts' takings in their fair-share periods (cap_history).
        taken = planner.context.taken_earlier.with_parts(
            parts, taken_earlier(connection, world.context.policy, parts, now)
        )
        planner.context = replace(
            planner.context, as_of=pd.Timestamp(now), overrides=overrides, taken_earlier=taken
        )
        planner.replace_group(parts[0], orders, decisions, stock, inbound, options)
        state.versions.pop(group, None)
        self._in_step.discard(group)
        self._pending_in_step.discard(group)
        state.loaded[group] = time.monotonic()
        self.rebuilt_groups += 1


def with_overrides_of(overrides: Overrides, orders: set[str], table: pd.DataFrame) -> Overrides:
    """``overrides`` with those of ``orders`` replaced by the rows of ``table`` (an
    ``overrides`` table of some of those orders)."""
    fresh = Overrides.of(table)
    return Overrides(
        forbid=tuple(f for f in overrides.forbid if f.order_id not in orders) + fresh.forbid,
        firm=tuple(f for f in overrides.firm if f.order_id not in orders) + fresh.firm,
    )


def _period_turned(world: World, state: _State, group: str, now: datetime) -> bool:
    """Whether a fair-share cap period of the group's parts has turned since the planner
    read what was taken in it: a new period starts from nothing taken."""
    parts = world.parts_of.get(group, [group])
    return period_turned(state.planner.context.taken_earlier, world.context.policy, parts, now)


def _same_master(connection: Connection, world: World) -> None:
    """Refuse to plan from rows with a world of other master data.

    A write reads the master data's version when its transaction starts, and locks its
    part groups afterwards. On PostgreSQL a change of master data in another server can
    commit in between: it locked and moved on every group, so the write finds its groups
    changed elsewhere and comes here before reading their rows. Its world is then out of
    date, and the transaction runs again (:class:`ReadTooEarlyError`). A group this
    process planned last costs no read here.
    """
    if master_version(connection) != world.version:
        raise ReadTooEarlyError("the master data changed while the write waited for its locks")


def _build(connection: Connection, world: World, now: datetime) -> _State:
    """A planner over every open order and all supply, and the versions it reflects."""
    # Versions first: a write committed by another process while the rows are read makes a
    # group newer than its version says, which only costs a rebuild; never the reverse.
    g = schema.part_groups
    versions = {str(k): int(v) for k, v in connection.execute(select(g.c.group_key, g.c.version))}
    o = schema.orders
    columns = list(ORDER_COLUMNS)
    rows = connection.execute(
        select(*(o.c[c] for c in columns)).where(o.c.status == "open").order_by(o.c.order_id)
    ).all()
    orders = pd.DataFrame([tuple(r) for r in rows], columns=columns).astype(
        {
            "quantity": "int64",
            "warranty_valid": bool,
            "created_at": "datetime64[ns]",
            "need_by": "datetime64[ns]",
        }
    )
    stock, inbound, options = group_tables(connection, None)
    base = world.snapshot
    # Every supplier stays a route origin, with or without an option today.
    options = pd.concat([options, base.supply_options], ignore_index=True)
    every_part = base.parts["part_number"].astype(str).tolist()
    taken = taken_earlier(connection, world.context.policy, every_part, now)
    snapshot = snapshot_of_rows(
        base, orders, stock, inbound, options, overrides_table(connection, None), now, taken
    )
    planner = Engine(snapshot, world.context.policy, world.entitlement_policy).planner()
    return _State(planner, versions)
