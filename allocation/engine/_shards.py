"""A whole plan made in several processes: part groups split into shards, each planned from
its rows to its tables by a process of its own.

Part groups are independent (DESIGN.md, "Scale-out"): an order's class, its arcs, its units
and its reasons depend only on its group's orders and supply. So instead of parallelising
the solve alone, each worker process takes a shard of whole groups — the rows of the orders,
stock, receipts and supply options of those groups — and does everything from entitlement to
the unfilled reasons; the parent only splits the rows and joins the tables. The processes
are forked, so the snapshot and the engine's context reach them without being copied, and
only the shards' tables come back.

When the workers read the snapshot themselves, a reader that can read it in parts (a
:class:`~allocation.domain.snapshot.ShardedSnapshot`) lets each worker validate only its own
shards' orders; should any part not validate, the parent reads the snapshot whole, so the
error is the one message a single reader gives.

The result is exactly the plan's tables made whole (a test compares them): lines sorted by
order and origin, unfilled orders in the problem's order (oldest first, then by id), and
measures whose float sums are exact whatever the order of their terms.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.entitlement import EntitlementPolicy
from allocation.domain.policy import AllocationPolicy
from allocation.domain.snapshot import EntitlementInputs, ShardedSnapshot, Snapshot
from allocation.engine._plan import Measures, Plan, PlanTables
from allocation.engine._pools import end_pool
from allocation.engine.incremental import canonical_orders
from allocation.engine.model import (
    Context,
    build_context,
    classify,
    orders_from,
    positions,
    problem_from,
    sources_from,
    stable_order,
)
from allocation.engine.solve import solve_strategy
from allocation.errors import InputError

__all__ = ["can_shard", "plan_in_shards"]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class _Rows:
    """The rows of each table that belong to one shard's part groups."""

    orders: IntArray
    stock: IntArray
    inbound: IntArray
    options: IntArray


@dataclass(frozen=True)
class _Job:
    """What every worker plans from: inherited at fork, never pickled.

    ``load`` gives the snapshot: the one the parent holds, or — when the parent has not
    read it — the files, which each worker then reads itself, all at once.
    """

    load: Callable[[], Snapshot]
    policy: AllocationPolicy
    entitlement_policy: EntitlementPolicy | None
    strategy: str
    shards: int


@dataclass(frozen=True)
class _World:
    """A worker's snapshot, its context and the rows of every shard (the same in every
    worker: the split is a function of the snapshot).

    ``snapshot`` may be an outline (its orders only the columns the split needs);
    ``orders`` gives a shard's orders in full.
    """

    snapshot: Snapshot
    context: Context
    rows: list[_Rows]
    orders: Callable[[IntArray], pd.DataFrame]


@dataclass(frozen=True)
class _ShardTables:
    """One shard's tables, and the creation time of each unfilled row (to merge them)."""

    tables: PlanTables
    unfilled_created: npt.NDArray[np.datetime64]


_JOB: _Job | None = None
_WORLD: _World | None = None
_BIG_GROUPS = 64
"""Per shard, how many of the biggest groups are dealt one by one to the least loaded."""
_SHARDS_PER_WORKER = 4


def can_shard() -> bool:
    """Whether this platform forks processes (the snapshot must reach them uncopied)."""
    return "fork" in mp.get_all_start_methods()


def plan_in_shards(
    load: Callable[[], Snapshot],
    policy: AllocationPolicy,
    entitlement_policy: EntitlementPolicy | None,
    strategy: str,
    workers: int,
) -> PlanTables:
    """The tables of the plan of ``strategy``, made in ``workers`` forked processes.

    ``load`` gives the snapshot; a worker calls it once, before its first shard. Given the
    snapshot the caller holds, it costs nothing (the fork shares it); given a reader of
    files, the workers read them side by side (each only its own shards' orders, when the
    reader is a :class:`ShardedSnapshot`), and a snapshot that does not validate fails with
    the one message a single reader gives.
    """
    # A few shards per worker: a worker that finishes early takes the next, so no worker
    # waits long for another to finish its last shard.
    job = _Job(load, policy, entitlement_policy, strategy, workers * _SHARDS_PER_WORKER)
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp.get_context("fork"),
        initializer=_adopt,
        initargs=(job,),
    )
    try:
        # The check first: the shards that follow, largest first, even out the workers'
        # ends whichever worker took it.
        checked = [pool.submit(_check_orders)] if isinstance(load, ShardedSnapshot) else []
        tasks = [pool.submit(_plan_shard, i) for i in range(job.shards)]
        parts = [p for p in (t.result() for t in tasks) if p is not None]
        for check in checked:
            check.result()
    except BaseException as failure:
        end_pool(pool)  # no shard of a plan that failed is of use
        if isinstance(failure, InputError) and isinstance(load, ShardedSnapshot):
            load()  # the whole snapshot's own message
        raise
    pool.shutdown()
    return _joined(parts, strategy)


def _adopt(job: _Job) -> None:
    global _JOB, _WORLD
    _JOB, _WORLD = job, None


def _world(job: _Job) -> _World:
    """This worker's world, made on its first shard and kept for the next ones."""
    global _WORLD
    if _WORLD is None:
        load = job.load
        orders: Callable[[IntArray], pd.DataFrame]
        if isinstance(load, ShardedSnapshot):
            snapshot, orders = load.outline(), load.orders
        else:
            snapshot = load()
            orders = _rows_of(snapshot)
        context = build_context(snapshot, job.policy)
        _WORLD = _World(snapshot, context, _split(snapshot, context, job.shards), orders)
    return _WORLD


def _rows_of(snapshot: Snapshot) -> Callable[[IntArray], pd.DataFrame]:
    """The orders at some row positions, from a snapshot read whole."""
    return lambda rows: snapshot.orders.iloc[rows]


def _check_orders() -> None:
    """What no shard checks of the orders, across all of them (see
    :meth:`ShardedSnapshot.check_orders`)."""
    assert _JOB is not None
    assert isinstance(_JOB.load, ShardedSnapshot)
    _world(_JOB)
    _JOB.load.check_orders()


def _plan_shard(i: int) -> _ShardTables | None:
    assert _JOB is not None
    job = _JOB
    world = _world(job)
    if i >= len(world.rows):
        return None  # fewer part groups than shards
    rows = world.rows[i]
    snap, context = world.snapshot, world.context
    orders = world.orders(rows.orders)
    inputs = EntitlementInputs(snap.customers, snap.contracts, orders)
    classes = classify(inputs, policy=job.entitlement_policy)
    columns = canonical_orders(
        orders_from(orders, snap.customers, classes.class_code, classes.tier_code, context)
    )
    sources = sources_from(
        snap.stock.iloc[rows.stock],
        snap.inbound.iloc[rows.inbound],
        snap.supply_options.iloc[rows.options],
        context,
    )
    problem = problem_from(columns, sources, context)
    solution = solve_strategy(problem, job.strategy)
    plan = Plan(problem, solution.flow, job.strategy, solution.excluded)
    short = np.flatnonzero(problem.orders.quantity > plan.filled)
    return _ShardTables(plan.tables(), problem.orders.created_at[short])


def _split(snapshot: Snapshot, context: Context, shards: int) -> list[_Rows]:
    """Whole part groups dealt to ``shards`` shards of decreasing work (orders and sources).

    The workers take the shards in order, each the next as it finishes the last, so the
    first shards are the largest (twice the last): the workers end on small shards and wait
    little for each other. The biggest groups go first, each to the shard furthest below
    its share; the many small ones that follow fill each shard's remaining share in turn.
    """

    def groups(frame: pd.DataFrame) -> IntArray:
        codes = positions(frame["part_number"], context.part_numbers)
        return context.part_group[codes] if len(codes) else np.zeros(0, dtype=np.int64)

    tables = [
        groups(t)
        for t in (snapshot.orders, snapshot.stock, snapshot.inbound, snapshot.supply_options)
    ]
    weight = np.zeros(len(context.part_numbers), dtype=np.int64)
    for column in tables:
        weight += np.bincount(column, minlength=len(weight))
    ranked = np.argsort(-weight, kind="stable")
    ranked = ranked[weight[ranked] > 0]
    shard_of = np.zeros(len(weight), dtype=np.int64)
    share = np.linspace(3.0, 1.0, shards)
    share *= weight.sum() / share.sum()
    load = np.zeros(shards, dtype=np.float64)
    big = ranked[: _BIG_GROUPS * shards]
    for g in big.tolist():
        target = int(np.argmin(load / share))
        shard_of[g] = target
        load[target] += weight[g]
    rest = ranked[len(big) :]
    room = np.maximum(share - load, 0.0)
    ends = np.cumsum(room) / max(room.sum(), 1.0) * weight[rest].sum()
    reached = np.cumsum(weight[rest]) - weight[rest] / 2  # each group at its middle
    shard_of[rest] = np.minimum(np.searchsorted(ends, reached, side="right"), shards - 1)
    dealt = [
        _Rows(*(np.flatnonzero(shard_of[column] == s) for column in tables)) for s in range(shards)
    ]
    # More shards than groups: the empty ones plan nothing and are left out.
    return [r for r in dealt if any(len(rows) for rows in vars(r).values())] or dealt[:1]


def _joined(parts: Sequence[_ShardTables], strategy: str) -> PlanTables:
    """One plan's tables from the shards': lines by order and origin, unfilled in the
    problem's order (oldest first, then by order id)."""
    lines = _concat([p.tables.lines for p in parts])
    if "late_hours" in lines:  # a shard whose orders have no target has no such columns
        lines["late_hours"] = lines["late_hours"].fillna(0.0)
    order = stable_order(lines["order_id"], lines["origin"])
    unfilled = _concat([p.tables.unfilled for p in parts])
    created = np.concatenate([p.unfilled_created for p in parts])
    short = stable_order(created, unfilled["order_id"])
    first = parts[0].tables
    backups = None
    if first.backups is not None:  # per part group, like the lines: joined the same way
        backups = _concat([p.tables.backups for p in parts if p.tables.backups is not None])
        held = stable_order(backups["order_id"], backups["origin"])
        backups = backups.iloc[held].reset_index(drop=True)
    return PlanTables(
        strategy=strategy,
        as_of=first.as_of,
        policy=first.policy,
        lines=lines.iloc[order].reset_index(drop=True),
        unfilled=unfilled.iloc[short].reset_index(drop=True),
        measures=Measures.concat([p.tables.measures for p in parts]),
        backups=backups,
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The rows of several tables; empty ones add nothing (not even their column types)."""
    filled = [f for f in frames if len(f)] or frames[:1]
    return pd.concat(filled, ignore_index=True)
