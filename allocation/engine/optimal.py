"""The optimal strategy: a lexicographic min-cost flow per part group, batched and parallel.

Levels, most important first, for each priority group ``g`` (0 = ``parts_priority``):
units to ``g``, then ``g``'s ETA (downtime), then ``g``'s order age (older first); after
every group, money; last, a deterministic tie-break so that equally good plans never depend
on how groups were batched or which process solved them. See :mod:`lexflow` for the proof
that no lower level can buy a worse higher one.

Part groups are independent. Small ones are solved many to a batch (one OR-Tools call);
batches run in local worker processes or on a Dask cluster; the plan is the same either way.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.engine.lexflow import FlowProblem, Level, solve_lexicographic
from allocation.engine.problem import AllocationProblem

__all__ = ["FlowTask", "LevelArrays", "level_arrays", "make_tasks", "solve_optimal"]

_BATCH_ARCS = 150_000
_TIE_RANGE = 1 << 12


@dataclass(frozen=True)
class LevelArrays:
    """Integer level values per arc and per order (global positions).

    ``age_rank`` is the order's creation time in minutes after the earliest order.
    """

    eta_ticks: npt.NDArray[np.int64]
    money_cents: npt.NDArray[np.int64]
    tie: npt.NDArray[np.int64]
    age_rank: npt.NDArray[np.int64]
    group: npt.NDArray[np.int64]


@dataclass(frozen=True)
class FlowTask:
    """One batch of part groups: its network, its levels and where its arcs sit globally."""

    problem: FlowProblem
    levels: list[Level]
    arc_index: npt.NDArray[np.int64]


def stable_hash(values: Iterable[object]) -> npt.NDArray[np.int64]:
    """CRC-32 of each value's text: the same in every process and on every machine."""
    return np.fromiter((zlib.crc32(str(v).encode("utf-8")) for v in values), dtype=np.int64)


def level_arrays(problem: AllocationProblem) -> LevelArrays:
    """The integer levels: ETA in policy ticks, money in cents, age rank, tie-break."""
    arcs, orders, sources = problem.arcs, problem.orders, problem.sources
    resolution = problem.policy.eta_resolution_hours
    eta_ticks = np.rint(arcs.eta_hours / resolution).astype(np.int64)
    money_cents = np.rint(arcs.money * 100.0).astype(np.int64)
    order_hash = stable_hash(orders["order_id"])
    source_key = (
        sources["part_number"].astype(str)
        + "|"
        + sources["origin"].astype(str)
        + "|"
        + sources["kind_name"].astype(str)
        + "|"
        + sources["release_hours"].astype(str)
    )
    source_hash = stable_hash(source_key)
    mixed = (order_hash[arcs.order] * 2654435761 + source_hash[arcs.source] * 40503) % _TIE_RANGE
    # Age in minutes since the earliest order: older orders cost less. A constant shift
    # changes a group's level by a constant times its (already fixed) units, so batches and
    # single groups rank alike; ranks would not (a sum of ranks depends on who else exists).
    created = orders["created_at"].to_numpy().astype("datetime64[m]").astype(np.int64)
    age = created - (created.min() if len(created) else 0)
    return LevelArrays(
        eta_ticks=eta_ticks,
        money_cents=money_cents,
        tie=mixed.astype(np.int64),
        age_rank=age.astype(np.int64),
        group=orders["group"].to_numpy(dtype=np.int64),
    )


def make_tasks(
    problem: AllocationProblem,
    levels: LevelArrays,
    arc_mask: npt.NDArray[np.bool_] | None = None,
    supply: npt.NDArray[np.int64] | None = None,
    demand: npt.NDArray[np.int64] | None = None,
    batch_arcs: int = _BATCH_ARCS,
) -> list[FlowTask]:
    """Split the arcs into batches of whole part groups, each a :class:`FlowTask`.

    ``supply`` and ``demand`` override the sources' and orders' quantities (the incremental
    path passes what is left after pinned allocations).
    """
    arcs = problem.arcs
    idx = np.arange(len(arcs)) if arc_mask is None else np.flatnonzero(arc_mask)
    if len(idx) == 0:
        return []
    supply = problem.sources["quantity"].to_numpy(dtype=np.int64) if supply is None else supply
    demand = problem.orders["quantity"].to_numpy(dtype=np.int64) if demand is None else demand
    part_group = problem.orders["part_group"].to_numpy(dtype=np.int64)[arcs.order[idx]]
    # Useful arcs only: a source with no units or an order wanting none adds nothing.
    useful = (supply[arcs.source[idx]] > 0) & (demand[arcs.order[idx]] > 0)
    idx, part_group = idx[useful], part_group[useful]
    if len(idx) == 0:
        return []
    groups, inverse, arc_counts = np.unique(part_group, return_inverse=True, return_counts=True)
    src_per_group = (
        pd.DataFrame({"g": inverse, "s": arcs.source[idx]}).drop_duplicates().groupby("g").size()
    ).to_numpy()
    bucket = np.ceil(np.log2(src_per_group + 1)).astype(np.int64)
    order_of_groups = np.lexsort((groups, bucket))
    batch_of_group = np.empty(len(groups), dtype=np.int64)
    batch, filled, last_bucket = 0, 0, -1
    for g in order_of_groups:
        if filled and (filled + arc_counts[g] > batch_arcs or bucket[g] != last_bucket):
            batch += 1
            filled = 0
        batch_of_group[g] = batch
        filled += int(arc_counts[g])
        last_bucket = int(bucket[g])
    arc_batch = batch_of_group[inverse]
    order_arcs = np.lexsort((arcs.source[idx], arcs.order[idx], inverse, arc_batch))
    idx, arc_batch, inverse = idx[order_arcs], arc_batch[order_arcs], inverse[order_arcs]
    bounds = np.flatnonzero(np.diff(arc_batch)) + 1
    tasks = []
    for chunk, comp in zip(np.split(idx, bounds), np.split(inverse, bounds), strict=True):
        tasks.append(_task(problem, levels, chunk, comp, supply, demand))
    return tasks


def _task(
    problem: AllocationProblem,
    levels: LevelArrays,
    arc_index: npt.NDArray[np.int64],
    component: npt.NDArray[np.int64],
    supply: npt.NDArray[np.int64],
    demand: npt.NDArray[np.int64],
) -> FlowTask:
    arcs = problem.arcs
    src_global, src_local = np.unique(arcs.source[arc_index], return_inverse=True)
    ord_global, ord_local = np.unique(arcs.order[arc_index], return_inverse=True)
    _, comp_local = np.unique(component, return_inverse=True)
    src_comp = np.zeros(len(src_global), dtype=np.int64)
    src_comp[src_local] = comp_local
    ord_comp = np.zeros(len(ord_global), dtype=np.int64)
    ord_comp[ord_local] = comp_local
    ord_demand = demand[ord_global]
    flow_problem = FlowProblem(
        supply=supply[src_global],
        demand=ord_demand,
        arc_source=src_local.astype(np.int64),
        arc_order=ord_local.astype(np.int64),
        arc_capacity=ord_demand[ord_local],
        source_component=src_comp,
        order_component=ord_comp,
    )
    group = levels.group[ord_global]
    arc_group = group[ord_local]
    task_levels: list[Level] = []
    for g in np.unique(group):
        in_g = group == g
        task_levels.append(Level(f"units[{g}]", "order", -in_g.astype(np.int64)))
        eta = np.where(arc_group == g, levels.eta_ticks[arc_index], 0)
        if np.any(eta):
            task_levels.append(Level(f"eta[{g}]", "arc", eta))
        created = levels.age_rank[ord_global]
        age = np.where(in_g, created - created[in_g].min(), 0)
        if np.any(age):
            task_levels.append(Level(f"age[{g}]", "order", age))
    money = levels.money_cents[arc_index]
    if np.any(money):
        task_levels.append(Level("money", "arc", money))
    task_levels.append(Level("tie", "arc", levels.tie[arc_index]))
    return FlowTask(flow_problem, task_levels, arc_index)


def run_task(task: FlowTask) -> npt.NDArray[np.int64]:
    """Solve one batch (a top-level function, so worker processes can run it)."""
    return solve_lexicographic(task.problem, task.levels)


Runner = Callable[[list[FlowTask]], list[npt.NDArray[np.int64]]]


def local_runner(workers: int) -> Runner:
    """Run tasks in this process (``workers <= 1``) or in a pool of worker processes."""

    def run(tasks: list[FlowTask]) -> list[npt.NDArray[np.int64]]:
        if workers <= 1 or len(tasks) <= 1:
            return [run_task(t) for t in tasks]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(run_task, tasks, chunksize=1))

    return run


def dask_runner(address: str) -> Runner:
    """Run tasks on a Dask cluster (``address``) or a local one (``"local"``)."""

    def run(tasks: list[FlowTask]) -> list[npt.NDArray[np.int64]]:
        from dask.distributed import Client, LocalCluster

        if address == "local":
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster:
                with Client(cluster) as client:
                    return list(client.gather(client.map(run_task, tasks, pure=False)))
        with Client(address) as client:
            return list(client.gather(client.map(run_task, tasks, pure=False)))

    return run


def solve_optimal(
    problem: AllocationProblem,
    runner: Runner | None = None,
    levels: LevelArrays | None = None,
) -> npt.NDArray[np.int64]:
    """Units on every arc of ``problem`` in the lexicographically optimal plan."""
    levels = level_arrays(problem) if levels is None else levels
    tasks = make_tasks(problem, levels)
    results = (runner or local_runner(1))(tasks)
    flow = np.zeros(len(problem.arcs), dtype=np.int64)
    for task, result in zip(tasks, results, strict=True):
        flow[task.arc_index] = result
    return flow
