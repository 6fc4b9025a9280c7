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

import multiprocessing as mp
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from allocation.engine.lexflow import FlowProblem, Level, solve_lexicographic_flows
from allocation.engine.problem import AllocationProblem, problem_size_bucket
from allocation.engine.unique import unique_inverse

__all__ = ["FlowTask", "LevelArrays", "level_arrays", "make_tasks", "solve_optimal"]

_BATCH_ARCS = 10_000
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
    agg_key: npt.NDArray[np.int64]


@dataclass(frozen=True)
class FlowTask:
    """One batch of part groups: its network, its levels and where its arcs sit globally."""

    problem: FlowProblem
    levels: list[Level]
    arc_index: npt.NDArray[np.int64]
    split: _Split


def tie_break(
    node_keys: npt.NDArray[np.int64], source_hashes: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """The last level: a pseudo-random cost per (order node, source), the same everywhere.

    The pair is mixed through a 64-bit finaliser (splitmix64's) before it is cut to the
    range, so the cost is no sum of a node term and a source term: were it one, every plan
    giving the same units to each node and taking the same units from each source would
    cost the same, and the tie level would break none of those ties.
    """
    with np.errstate(over="ignore"):
        node = node_keys.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        x = node ^ source_hashes.astype(np.uint64)
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return (x % np.uint64(_TIE_RANGE)).astype(np.int64)


def level_arrays(problem: AllocationProblem) -> LevelArrays:
    """The integer levels: ETA in policy ticks, money in cents, age rank, tie-break."""
    arcs = problem.arcs
    resolution = problem.policy.eta_resolution_hours
    eta_ticks = np.rint(arcs.eta_hours / resolution).astype(np.int64)
    money_cents = np.rint(arcs.money * 100.0).astype(np.int64)
    agg_key = problem.orders_column("agg_key", np.int64)
    source_hash = problem.sources_column("tie_hash", np.int64)
    mixed = tie_break(agg_key[arcs.order], source_hash[arcs.source])
    # Age in minutes since the earliest order: older orders cost less. A constant shift
    # changes a group's level by a constant times its (already fixed) units, so batches and
    # single groups rank alike; ranks would not (a sum of ranks depends on who else exists).
    created = problem.orders_column("created_at").astype("datetime64[m]").astype(np.int64)
    age = created - (created.min() if len(created) else 0)
    return LevelArrays(
        eta_ticks=eta_ticks,
        money_cents=money_cents,
        tie=mixed.astype(np.int64),
        age_rank=age.astype(np.int64),
        group=problem.orders_column("group", np.int64),
        agg_key=agg_key,
    )


@dataclass(frozen=True)
class Batches:
    """The arcs split into batches of whole part groups; :meth:`task` builds one's network."""

    problem: AllocationProblem
    levels: LevelArrays
    supply: npt.NDArray[np.int64]
    demand: npt.NDArray[np.int64]
    chunks: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]

    def __len__(self) -> int:
        return len(self.chunks)

    def task(self, i: int) -> FlowTask:
        """Batch ``i`` as a flow problem with its levels."""
        arc_index, component = self.chunks[i]
        return _task(self.problem, self.levels, arc_index, component, self.supply, self.demand)


def make_tasks(
    problem: AllocationProblem,
    levels: LevelArrays,
    arc_mask: npt.NDArray[np.bool_] | None = None,
    supply: npt.NDArray[np.int64] | None = None,
    demand: npt.NDArray[np.int64] | None = None,
    batch_arcs: int = _BATCH_ARCS,
) -> list[FlowTask]:
    """Every batch as a :class:`FlowTask` (see :func:`make_batches`)."""
    batches = make_batches(problem, levels, arc_mask, supply, demand, batch_arcs)
    return [batches.task(i) for i in range(len(batches))]


def make_batches(
    problem: AllocationProblem,
    levels: LevelArrays,
    arc_mask: npt.NDArray[np.bool_] | None = None,
    supply: npt.NDArray[np.int64] | None = None,
    demand: npt.NDArray[np.int64] | None = None,
    batch_arcs: int = _BATCH_ARCS,
) -> Batches:
    """Split the arcs into batches of whole part groups of like size.

    ``supply`` and ``demand`` override the sources' and orders' quantities (the incremental
    path passes what is left after pinned allocations).
    """
    arcs = problem.arcs
    supply = problem.sources_column("quantity", np.int64) if supply is None else supply
    demand = problem.orders_column("quantity", np.int64) if demand is None else demand
    idx = np.arange(len(arcs)) if arc_mask is None else np.flatnonzero(arc_mask)
    if len(idx) == 0:
        return Batches(problem, levels, supply, demand, [])
    part_group = problem.orders_column("part_group", np.int64)[arcs.order[idx]]
    # Useful arcs only: a source with no units or an order wanting none adds nothing.
    useful = (supply[arcs.source[idx]] > 0) & (demand[arcs.order[idx]] > 0)
    idx, part_group = idx[useful], part_group[useful]
    if len(idx) == 0:
        return Batches(problem, levels, supply, demand, [])
    bucket = problem_size_bucket(problem)[part_group]
    # The problem's arcs come grouped by (bucket, part group); re-sort only if not.
    key = bucket * (int(part_group.max()) + 1) + part_group
    if np.any(key[1:] < key[:-1]):
        resort = np.argsort(key, kind="stable")
        idx, part_group, bucket, key = idx[resort], part_group[resort], bucket[resort], key[resort]
    run_start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    run_arcs = np.diff(np.r_[run_start, len(idx)])
    run_bucket = bucket[run_start]
    # Batches: consecutive groups of one bucket, up to ``batch_arcs`` arcs each.
    new_bucket = np.r_[True, run_bucket[1:] != run_bucket[:-1]]
    batch_of_run = np.empty(len(run_start), dtype=np.int64)
    batch, filled = -1, 0
    for r in range(len(run_start)):
        if new_bucket[r] or filled + run_arcs[r] > batch_arcs:
            batch += 1
            filled = 0
        batch_of_run[r] = batch
        filled += int(run_arcs[r])
    arc_batch = np.repeat(batch_of_run, run_arcs)
    inverse = np.repeat(np.arange(len(run_start)), run_arcs)
    bounds = np.flatnonzero(np.diff(arc_batch)) + 1
    chunks = list(zip(np.split(idx, bounds), np.split(inverse, bounds), strict=True))
    return Batches(problem, levels, supply, demand, chunks)


def _task(
    problem: AllocationProblem,
    levels: LevelArrays,
    arc_index: npt.NDArray[np.int64],
    component: npt.NDArray[np.int64],
    supply: npt.NDArray[np.int64],
    demand: npt.NDArray[np.int64],
) -> FlowTask:
    """One batch as a flow problem in which identical orders share a node.

    Orders with the same part, class, priority group and country have the same sources at
    the same ETAs and costs; one node per such set, with a source arc per source (not per
    order and source) and a sink arc per order carrying that order's own age, is the same
    problem with far fewer arcs — any split of a node's units among its orders is feasible
    and scores the same on every level but age, which the sink arcs price exactly.
    """
    arcs = problem.arcs
    src_global, src_local = unique_inverse(arcs.source[arc_index])
    ord_global, ord_local = unique_inverse(arcs.order[arc_index])
    # Orders in rank order (node, then older first, then order id), never in row order: the
    # solver's pick among equally good plans follows the order of its arcs.
    id_rank = _text_rank(problem.orders_column("order_id", object)[ord_global])
    rank = np.lexsort((id_rank, levels.age_rank[ord_global], levels.agg_key[ord_global]))
    ord_global, id_rank = ord_global[rank], id_rank[rank]
    ord_local = np.argsort(rank)[ord_local]
    node_of_order, node_key = _nodes(levels.agg_key[ord_global])
    n_nodes = len(node_key)
    # One aggregated arc per (node, source).
    pair = node_of_order[ord_local] * len(src_global) + src_local
    agg_pair, agg_of_arc = unique_inverse(pair)
    agg_node = agg_pair // len(src_global)
    agg_src = agg_pair % len(src_global)
    first_arc = np.zeros(len(agg_pair), dtype=np.int64)
    first_arc[agg_of_arc[::-1]] = np.arange(len(arc_index))[::-1]
    rep = arc_index[first_arc]
    ord_demand = demand[ord_global]
    node_demand = np.bincount(node_of_order, weights=ord_demand, minlength=n_nodes).astype(np.int64)
    _, comp_local = unique_inverse(component)
    src_comp = np.zeros(len(src_global), dtype=np.int64)
    src_comp[src_local] = comp_local
    node_comp = np.zeros(n_nodes, dtype=np.int64)
    node_comp[node_of_order[ord_local]] = comp_local
    flow_problem = FlowProblem(
        supply=supply[src_global],
        demand=node_demand,
        arc_source=agg_src.astype(np.int64),
        arc_order=agg_node.astype(np.int64),
        arc_capacity=node_demand[agg_node],
        source_component=src_comp,
        order_component=node_comp,
        sink_order=node_of_order.astype(np.int64),
        sink_capacity=ord_demand,
    )
    group = levels.group[ord_global]
    arc_group = levels.group[arcs.order[rep]]
    task_levels: list[Level] = []
    for g in np.unique(group):
        in_g = group == g
        task_levels.append(Level(f"units[{g}]", "order", -in_g.astype(np.int64)))
        eta = np.where(arc_group == g, levels.eta_ticks[rep], 0)
        if np.any(eta):
            task_levels.append(Level(f"eta[{g}]", "arc", eta))
        created = levels.age_rank[ord_global]
        age = np.where(in_g, created - created[in_g].min(), 0)
        if np.any(age):
            task_levels.append(Level(f"age[{g}]", "order", age))
    money = levels.money_cents[rep]
    if np.any(money):
        task_levels.append(Level("money", "arc", money))
    task_levels.append(Level("tie", "arc", levels.tie[rep]))
    split = _Split(
        agg_of_arc=agg_of_arc.astype(np.int64),
        arc_order_local=ord_local.astype(np.int64),
        arc_source_local=src_local.astype(np.int64),
        n_sources=len(src_global),
        # Older orders first; among equals the order id decides, never a row position.
        member_rank=np.lexsort((id_rank, levels.age_rank[ord_global])).astype(np.int64),
        agg_rank=np.lexsort(
            (agg_src, levels.tie[rep], levels.money_cents[rep], levels.eta_ticks[rep], agg_node)
        ).astype(np.int64),
    )
    return FlowTask(flow_problem, task_levels, arc_index, split)


def _text_rank(values: npt.NDArray[np.object_]) -> npt.NDArray[np.int64]:
    ranks = np.empty(len(values), dtype=np.int64)
    ranks[np.argsort(values.astype(str), kind="stable")] = np.arange(len(values))
    return ranks


def _nodes(keys: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    unique, inverse = np.unique(keys, return_inverse=True)
    return inverse.astype(np.int64), unique


@dataclass(frozen=True)
class _Split:
    """How to hand a node's units back to its orders: older orders get the faster units."""

    agg_of_arc: npt.NDArray[np.int64]
    arc_order_local: npt.NDArray[np.int64]
    arc_source_local: npt.NDArray[np.int64]
    n_sources: int
    member_rank: npt.NDArray[np.int64]
    agg_rank: npt.NDArray[np.int64]

    def per_order(
        self,
        problem: FlowProblem,
        agg_flow: npt.NDArray[np.int64],
        sink_flow: npt.NDArray[np.int64],
    ) -> npt.NDArray[np.int64]:
        """Units on each original order arc, from the node arcs' and sink arcs' flows."""
        node_of_member, wanted = problem.sink_arcs()
        # Units leaving each node, oldest member first; units arriving, best arc first.
        members = self.member_rank[np.argsort(node_of_member[self.member_rank], kind="stable")]
        sink_flow = _fill_in_rank(node_of_member, wanted, sink_flow, members)
        members = members[sink_flow[members] > 0]
        arcs_in = self.agg_rank[agg_flow[self.agg_rank] > 0]
        # Both lists run node by node, with equal units per node (flow conservation): the
        # k-th unit leaving a node's members is the k-th unit arriving on its arcs. Units are
        # paired as runs between the two lists' cumulative ends, never one by one.
        member_end = np.cumsum(sink_flow[members])
        arc_end = np.cumsum(agg_flow[arcs_in])
        ends = np.union1d(member_end, arc_end)
        starts = np.r_[0, ends[:-1]] if len(ends) else ends
        member_units = members[np.searchsorted(member_end, starts, side="right")]
        source_units = problem.arc_source[arcs_in[np.searchsorted(arc_end, starts, side="right")]]
        key = member_units * self.n_sources + source_units
        arc_key = self.arc_order_local * self.n_sources + self.arc_source_local
        order = np.argsort(arc_key, kind="stable")
        at = order[np.searchsorted(arc_key[order], key)]
        flow = np.zeros(len(arc_key), dtype=np.int64)
        np.add.at(flow, at, (ends - starts).astype(np.int64))
        return flow


def _fill_in_rank(
    node_of_member: npt.NDArray[np.int64],
    wanted: npt.NDArray[np.int64],
    sink_flow: npt.NDArray[np.int64],
    members: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """Each node's units handed to its members in rank order, each filled before the next.

    The solver prices a member's age on its sink arc, so it fills older members first, but
    between members of equal age any split is optimal and the solver's pick follows the row
    order. Refilling the node's total in rank order (older first, then order id) scores the
    same on every level and makes the split independent of row order. ``members`` runs node
    by node, in rank order within each node.
    """
    node_total = np.bincount(node_of_member, weights=sink_flow, minlength=0).astype(np.int64)
    node = node_of_member[members]
    want = wanted[members]
    before = np.cumsum(want) - want
    start = np.r_[True, node[1:] != node[:-1]] if len(node) else np.zeros(0, dtype=bool)
    before -= np.maximum.accumulate(np.where(start, before, 0))
    filled = np.empty_like(sink_flow)
    filled[members] = np.clip(node_total[node] - before, 0, want)
    return filled


def run_task(task: FlowTask) -> npt.NDArray[np.int64]:
    """Solve one batch; units per original arc (a top-level function, for worker processes)."""
    agg_flow, sink_flow = solve_lexicographic_flows(task.problem, task.levels)
    return task.split.per_order(task.problem, agg_flow, sink_flow)


Runner = Callable[[Batches], list[npt.NDArray[np.int64]]]

# The batches a forked worker solves: set once by the pool's initializer in each worker
# process (fork hands the arrays over without pickling), never in the parent.
_WORKER_BATCHES: Batches | None = None


def _adopt(batches: Batches) -> None:
    global _WORKER_BATCHES
    _WORKER_BATCHES = batches


def _solve_batch(i: int) -> tuple[int, npt.NDArray[np.int64]]:
    assert _WORKER_BATCHES is not None
    return i, run_task(_WORKER_BATCHES.task(i))


def local_runner(workers: int) -> Runner:
    """Solve batches in this process (``workers <= 1``) or in forked worker processes.

    Workers build their batches' networks themselves from arrays inherited at fork, so only
    batch numbers and results cross between processes; the largest batches go first.
    """

    def run(batches: Batches) -> list[npt.NDArray[np.int64]]:
        if workers <= 1 or len(batches) <= 1 or "fork" not in mp.get_all_start_methods():
            return [run_task(batches.task(i)) for i in range(len(batches))]
        sizes = np.array([len(chunk[0]) for chunk in batches.chunks])
        order = np.argsort(-sizes, kind="stable").tolist()
        results: list[npt.NDArray[np.int64]] = [np.zeros(0, dtype=np.int64)] * len(batches)
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=mp.get_context("fork"),
            initializer=_adopt,
            initargs=(batches,),
        ) as pool:
            for i, flow in pool.map(_solve_batch, order, chunksize=1):
                results[i] = flow
        return results

    return run


def dask_runner(address: str) -> Runner:
    """Solve batches on a Dask cluster (``address``) or a local one (``"local"``)."""

    def run(batches: Batches) -> list[npt.NDArray[np.int64]]:
        from dask.distributed import Client, LocalCluster  # optional extra: parts-priority[dask]

        tasks = [batches.task(i) for i in range(len(batches))]
        if address == "local":
            with (
                LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster,
                Client(cluster) as client,
            ):
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
    batches = make_batches(problem, levels)
    results = (runner or local_runner(1))(batches)
    flow = np.zeros(len(problem.arcs), dtype=np.int64)
    for (arc_index, _), result in zip(batches.chunks, results, strict=True):
        flow[arc_index] = result
    return flow
