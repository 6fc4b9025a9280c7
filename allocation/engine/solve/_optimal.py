"""The optimal strategy: a lexicographic min-cost flow per part group, batched and parallel.

The levels are the objective's (:mod:`allocation.engine.objective`); :mod:`._lexflow`
combines them exactly. Part groups are independent: small ones are solved many to a batch
(one OR-Tools call); batches run in this process, in local worker processes or on a Dask
cluster; the plan is the same either way.

The proportional split, solved to a fixed point
-----------------------------------------------
With the policy's ``split: proportional`` (:mod:`allocation.domain.fair_share`) a batch
whose orders the split governs is solved in rounds (:func:`run_task`). Each order of a split
pool — a priority group ``g`` and a substitution group — gets two sink arcs, its quota and
the rest, and the level ``split[g]`` right after ``g``'s units prices the quota arc. The
quotas come from ``A_p``, the units pool ``p`` gets, which the plan decides:

1. solve without quotas and read ``A_p`` of every pool;
2. compute the quotas from the ``A_p`` read; if they are the quotas the last solve used,
   stop: that plan is the answer; else solve with them, read ``A_p`` again, and repeat.

Why it ends, and with the right plan: ``A_p`` of a pool of group ``g`` is the value of
``g``'s units level on the pool's part group. Part groups are independent components, so a
lexicographic optimum is optimal on each, and that value is fixed by the levels before it:
the levels of the groups above ``g`` — their quotas — and nothing of ``g``'s own. Number
the groups with split pools ``g_0 < g_1 < … < g_{m−1}``. ``A`` of ``g_0`` is the same in
every solve, so it is right after solve 0, and so are ``g_0``'s quotas from round 1 on;
then ``A`` of ``g_1`` is right after solve 1, and by induction ``A`` of ``g_j`` is right
after solve ``j``. Solve ``m`` uses right quotas only, so the check after it stops the
loop: at most ``m + 1`` solves, one more per group, and only for the batches with split
pools. The plan it returns is the lexicographic optimum of the levels with the quotas of
its own ``A``: the definition, level by level. Without the split nothing of this runs, and
the network, the levels and the plan are bit for bit what they were.

Identical orders merged into one node keep their own quotas (one quota arc each); the
node's units go back to its members quotas first, then the rest, each in rank order (older,
then order id): that is optimal on the split level (the quotas filled as far as the node's
units go) and then on age, whatever split among equals the solver picked.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from allocation.domain.fair_share import largest_remainder
from allocation.engine.model import (
    CapHubs,
    Held,
    Problem,
    cap_hubs,
    size_buckets,
    split_parts,
    split_pools,
    unique_inverse,
)
from allocation.engine.objective import (
    batch_levels,
    eta_ticks,
    late_levels,
    money_cents,
    split_among_members,
    tie_break,
    tie_node,
    tie_party,
)
from allocation.engine.solve._lexflow import FlowProblem, Level, solve_lexicographic_flows
from allocation.errors import SolverError

__all__ = [
    "Batches",
    "FlowTask",
    "Runner",
    "dask_runner",
    "local_runner",
    "make_batches",
    "run_task",
    "solve_optimal",
]

IntArray = npt.NDArray[np.int64]
_BATCH_ARCS = 10_000


@dataclass(frozen=True)
class _ArcLevels:
    """The integer level values of every arc and order of a problem (global positions)."""

    eta_ticks: IntArray
    money_cents: IntArray
    tie: IntArray
    minutes: IntArray
    late: IntArray | None = None
    late_ticks: IntArray | None = None
    due: IntArray | None = None
    hub: IntArray | None = None
    room: IntArray | None = None
    split: npt.NDArray[np.bool_] | None = None

    @classmethod
    def of(cls, problem: Problem, caps: CapHubs | None = None) -> _ArcLevels:
        """The levels; the lateness ones (and each order's ``need_by`` as an integer, to
        keep orders with other targets apart) only when some order has a target; each
        order's cap hub and each hub's room only when a fair-share cap applies; whether the
        proportional split governs each order only when it governs some part."""
        arcs, orders, sources = problem.arcs, problem.orders, problem.sources
        resolution = problem.policy.eta_resolution_hours
        late = late_ticks = due = None
        if orders.has_targets():
            due_hours = orders.due_hours(problem.as_of)[arcs.order]
            late, late_ticks = late_levels(arcs.eta_hours, due_hours, resolution)
            due = orders.need_by.astype(np.int64)  # NaT is the smallest int64: a key of its own
        node = orders.node if due is None else tie_node(orders.node, orders.need_by)
        if caps is not None:
            node = tie_party(node, caps.hub, caps.party_key())
        return cls(
            eta_ticks=eta_ticks(arcs.eta_hours, resolution),
            money_cents=money_cents(arcs.money),
            tie=tie_break(node[arcs.order], sources.tie_hash[arcs.source]),
            minutes=orders.created_minutes(),
            late=late,
            late_ticks=late_ticks,
            due=due,
            hub=None if caps is None else caps.hub,
            room=None if caps is None else caps.room,
            split=_governed(problem),
        )


def _governed(problem: Problem) -> npt.NDArray[np.bool_] | None:
    """Per order: whether the proportional split governs it; None when it governs none."""
    if problem.policy.fair_share.split == "off":
        return None
    parts = split_parts(problem.context)
    if parts is None:
        return None
    governed = parts[problem.orders.part_code]
    return governed if governed.any() else None


@dataclass(frozen=True)
class _LevelInputs:
    """What :func:`~allocation.engine.objective.batch_levels` takes for one batch: per sink
    arc (one per order) and per aggregated source→order arc."""

    order_group: IntArray
    arc_group: IntArray
    arc_eta_ticks: IntArray
    order_minutes: IntArray
    arc_cents: IntArray
    arc_tie: IntArray
    arc_late: IntArray | None
    arc_late_ticks: IntArray | None

    def levels(self, member: IntArray | None = None, split: IntArray | None = None) -> list[Level]:
        """The batch's levels; with ``member`` (each sink arc's order) and ``split`` (its
        cost on the split level), those of a network with quota sink arcs."""
        group, minutes = self.order_group, self.order_minutes
        if member is not None:
            group, minutes = group[member], minutes[member]
        return batch_levels(
            order_group=group,
            arc_group=self.arc_group,
            arc_eta_ticks=self.arc_eta_ticks,
            order_minutes=minutes,
            arc_cents=self.arc_cents,
            arc_tie=self.arc_tie,
            arc_late=self.arc_late,
            arc_late_ticks=self.arc_late_ticks,
            order_split=split,
        )


@dataclass(frozen=True)
class _FairSplit:
    """A batch's split pools (module docstring): per order (sink arc) its pool (-1: none),
    demand and tie rank; the number of priority groups with pools; the level inputs."""

    pool: IntArray
    demand: IntArray
    rank: IntArray
    n_pools: int
    n_groups: int
    inputs: _LevelInputs

    def units(self, sink_flow: IntArray) -> IntArray:
        """``A_p``: the units each pool gets, from the orders' sink flows."""
        mine = self.pool >= 0
        got = np.zeros(self.n_pools, dtype=np.int64)
        np.add.at(got, self.pool[mine], sink_flow[mine])
        return got

    def quotas(self, got: IntArray) -> IntArray:
        """Each order's quota in the pools that got less than they need (0 elsewhere)."""
        mine = self.pool >= 0
        pool = self.pool[mine]
        need = np.zeros(self.n_pools, dtype=np.int64)
        np.add.at(need, pool, self.demand[mine])
        quota = np.zeros(len(self.pool), dtype=np.int64)
        share = largest_remainder(got, self.demand[mine], pool, self.rank[mine])
        quota[mine] = np.where(got[pool] < need[pool], share, 0)
        return quota

    def network(
        self, problem: FlowProblem, quota: IntArray
    ) -> tuple[FlowProblem, list[Level], IntArray]:
        """The batch's network with a quota sink arc beside each order's own (which keeps
        the rest), its levels, and each sink arc's order."""
        node, wanted = problem.sink_arcs()
        extra = np.flatnonzero(quota > 0)
        member = np.r_[np.arange(len(node)), extra].astype(np.int64)
        split = np.r_[np.zeros(len(node), dtype=np.int64), np.full(len(extra), -1, np.int64)]
        quota_problem = replace(
            problem,
            sink_order=node[member],
            sink_capacity=np.r_[wanted - quota, quota[extra]].astype(np.int64),
            sink_head=None if problem.sink_head is None else problem.sink_head[member],
        )
        return quota_problem, self.inputs.levels(member, split), member


@dataclass(frozen=True)
class FlowTask:
    """One batch of part groups: its network, its levels and where its arcs sit globally."""

    problem: FlowProblem
    levels: list[Level]
    arc_index: IntArray
    split: _Split
    fair: _FairSplit | None = None


@dataclass(frozen=True)
class Batches:
    """The arcs split into batches of whole part groups; :meth:`task` builds one's network.

    ``supply`` and ``demand`` are the units of each source and order the batches plan.
    """

    problem: Problem
    levels: _ArcLevels
    supply: IntArray
    demand: IntArray
    chunks: list[tuple[IntArray, IntArray]]

    def __len__(self) -> int:
        return len(self.chunks)

    def task(self, i: int) -> FlowTask:
        """Batch ``i`` as a flow problem with its levels."""
        arc_index, component = self.chunks[i]
        return _task(self.problem, self.levels, arc_index, component, self.supply, self.demand)


def make_batches(
    problem: Problem,
    supply: IntArray | None = None,
    demand: IntArray | None = None,
    batch_arcs: int = _BATCH_ARCS,
    held: Held | None = None,
    hubs: CapHubs | None = None,
) -> Batches:
    """Split the arcs into batches of whole part groups of like size.

    ``supply`` and ``demand`` override the sources' and orders' quantities (the incremental
    planner passes what is left after pinned allocations). ``held`` is the units orders and
    sources hold outside this solve (firmed or pinned): they count against fair-share caps.
    ``hubs`` stand in for the policy's caps: capacities over sets of orders that a caller
    builds itself (the churn penalty's copies of one order, :mod:`._churn_penalty`).
    """
    arcs = problem.arcs
    supply = problem.sources.quantity if supply is None else supply
    demand = problem.orders.quantity if demand is None else demand
    caps = hubs if hubs is not None else _caps(problem, supply, held)
    levels = _ArcLevels.of(problem, caps)
    idx = np.arange(len(arcs))
    if len(idx) == 0:
        return Batches(problem, levels, supply, demand, [])
    part_group = problem.orders.part_group[arcs.order]
    # Useful arcs only: a source with no units or an order wanting none adds nothing.
    useful = (supply[arcs.source] > 0) & (demand[arcs.order] > 0)
    idx, part_group = idx[useful], part_group[useful]
    if len(idx) == 0:
        return Batches(problem, levels, supply, demand, [])
    bucket = size_buckets(part_group, problem.sources.part_group)
    # The problem's arcs come grouped by (bucket, part group); re-sort only if not.
    key = bucket * (int(part_group.max()) + 1) + part_group
    if np.any(key[1:] < key[:-1]):
        resort = np.argsort(key, kind="stable")
        idx, bucket, key = idx[resort], bucket[resort], key[resort]
    run_start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    run_arcs = np.diff(np.r_[run_start, len(idx)])
    run_bucket = bucket[run_start]
    # Batches: consecutive groups of one bucket, up to ``batch_arcs`` arcs each.
    new_bucket = np.r_[True, run_bucket[1:] != run_bucket[:-1]]
    batch_of_run = np.empty(len(run_start), dtype=np.int64)
    batch, filled = -1, 0
    for r, (fresh, count) in enumerate(zip(new_bucket.tolist(), run_arcs.tolist(), strict=True)):
        if fresh or filled + count > batch_arcs:
            batch += 1
            filled = 0
        batch_of_run[r] = batch
        filled += count
    arc_batch = np.repeat(batch_of_run, run_arcs)
    inverse = np.repeat(np.arange(len(run_start)), run_arcs)
    bounds = np.flatnonzero(np.diff(arc_batch)) + 1
    chunks = list(zip(np.split(idx, bounds), np.split(inverse, bounds), strict=True))
    return Batches(problem, levels, supply, demand, chunks)


def _caps(problem: Problem, supply: IntArray, held: Held | None) -> CapHubs | None:
    """The fair-share caps of a solve, counting what is held outside it; None without caps."""
    if not problem.policy.fair_share:
        return None
    return cap_hubs(problem.orders, problem.sources, problem.context, supply, held)


def _task(
    problem: Problem,
    levels: _ArcLevels,
    arc_index: IntArray,
    component: IntArray,
    supply: IntArray,
    demand: IntArray,
) -> FlowTask:
    """One batch as a flow problem in which identical orders share a node.

    Orders with the same part, class, priority group and country have the same sources at
    the same ETAs and costs; one node per such set, with a source arc per source (not per
    order and source) and a sink arc per order carrying that order's own age, is the same
    problem with far fewer arcs — any split of a node's units among its orders is feasible
    and scores the same on every level but age, which the sink arcs price exactly. Orders
    with targets share a node only when they share their ``need_by`` too: lateness is a
    cost of the order's arcs.
    """
    arcs, orders = problem.arcs, problem.orders
    src_global, src_local = unique_inverse(arcs.source[arc_index])
    ord_global, ord_local = unique_inverse(arcs.order[arc_index])
    # Orders in rank order (node, then older first, then order id), never in row order: the
    # solver's pick among equally good plans follows the order of its arcs.
    id_rank = _text_rank(orders.order_id[ord_global])
    minutes = levels.minutes[ord_global]
    # Orders of one node with other targets or under other caps are not alike.
    apart = [k[ord_global] for k in (levels.hub, levels.due) if k is not None]
    rank = np.lexsort((id_rank, minutes, *apart, orders.node[ord_global]))
    ord_global, id_rank, minutes = ord_global[rank], id_rank[rank], minutes[rank]
    ord_local = np.argsort(rank)[ord_local]
    if not apart:
        node_keys, node_of_order = np.unique(orders.node[ord_global], return_inverse=True)
        node_of_order = node_of_order.astype(np.int64)
        n_nodes = len(node_keys)
    else:
        # Sorted by (node, need_by, hub) above: a new solve node wherever one changes.
        fresh = np.zeros(len(ord_global), dtype=bool)
        for key in (orders.node, levels.due, levels.hub):
            if key is not None:
                k = key[ord_global]
                fresh[1:] |= k[1:] != k[:-1]
        fresh[:1] = True
        node_of_order = (np.cumsum(fresh) - 1).astype(np.int64)
        n_nodes = int(fresh.sum())
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
        sink_order=node_of_order,
        sink_capacity=ord_demand,
    )
    if levels.hub is not None and levels.room is not None:
        flow_problem = _with_cap_hubs(flow_problem, levels.hub[ord_global], levels.room)
    inputs = _LevelInputs(
        order_group=orders.group[ord_global],
        arc_group=orders.group[arcs.order[rep]],
        arc_eta_ticks=levels.eta_ticks[rep],
        order_minutes=minutes,
        arc_cents=levels.money_cents[rep],
        arc_tie=levels.tie[rep],
        arc_late=None if levels.late is None else levels.late[rep],
        arc_late_ticks=None if levels.late_ticks is None else levels.late_ticks[rep],
    )
    split = _Split(
        agg_of_arc=agg_of_arc.astype(np.int64),
        arc_order_local=ord_local.astype(np.int64),
        arc_source_local=src_local.astype(np.int64),
        n_sources=len(src_global),
        # Older orders first; among equals the order id decides, never a row position.
        member_rank=np.lexsort((id_rank, minutes)).astype(np.int64),
        agg_rank=np.lexsort(
            (agg_src, levels.tie[rep], levels.money_cents[rep], levels.eta_ticks[rep], agg_node)
        ).astype(np.int64),
    )
    fair = None
    if levels.split is not None and levels.split[ord_global].any():
        fair = _fair_split(problem, levels.split[ord_global], ord_global, ord_demand, split, inputs)
    return FlowTask(flow_problem, inputs.levels(), arc_index, split, fair)


def _fair_split(
    problem: Problem,
    governed: npt.NDArray[np.bool_],
    ord_global: IntArray,
    demand: IntArray,
    split: _Split,
    inputs: _LevelInputs,
) -> _FairSplit:
    """The split pools of a batch's orders (``governed``: which the split governs)."""
    orders = problem.orders
    rows = np.flatnonzero(governed)
    pool_of, pool_group = split_pools(
        orders.group[ord_global[rows]],
        problem.context.part_group[orders.part_code[ord_global[rows]]],
    )
    pool = np.full(len(ord_global), -1, dtype=np.int64)
    pool[rows] = pool_of
    rank = np.empty(len(ord_global), dtype=np.int64)
    rank[split.member_rank] = np.arange(len(ord_global))
    return _FairSplit(pool, demand, rank, len(pool_group), len(np.unique(pool_group)), inputs)


def _with_cap_hubs(problem: FlowProblem, hub_of_order: IntArray, room: IntArray) -> FlowProblem:
    """The batch's network with its fair-share caps: each cap hub of its orders becomes a
    source with no supply after the real ones, whose arc to the sink carries its room, and
    the sink arcs of its orders lead to it (:mod:`._lexflow`, "Fair-share caps")."""
    capped = hub_of_order >= 0
    if not capped.any():
        return problem
    n_src = len(problem.supply)
    hubs, local = np.unique(hub_of_order[capped], return_inverse=True)
    head = np.full(len(hub_of_order), -1, dtype=np.int64)
    head[capped] = n_src + local
    assert problem.sink_order is not None
    assert problem.order_component is not None
    assert problem.source_component is not None
    hub_comp = np.zeros(len(hubs), dtype=np.int64)
    hub_comp[local] = problem.order_component[problem.sink_order[capped]]
    return replace(
        problem,
        supply=np.r_[problem.supply, np.zeros(len(hubs), dtype=np.int64)],
        source_component=np.r_[problem.source_component, hub_comp],
        sink_head=head,
        bypass_capacity=np.r_[problem.supply, room[hubs]].astype(np.int64),
    )


def _text_rank(values: npt.NDArray[np.object_]) -> IntArray:
    ranks = np.empty(len(values), dtype=np.int64)
    ranks[np.argsort(values.astype(str), kind="stable")] = np.arange(len(values))
    return ranks


@dataclass(frozen=True)
class _Split:
    """How to hand a node's units back to its orders: older orders get the faster units."""

    agg_of_arc: IntArray
    arc_order_local: IntArray
    arc_source_local: IntArray
    n_sources: int
    member_rank: IntArray
    agg_rank: IntArray

    def per_order(
        self,
        problem: FlowProblem,
        agg_flow: IntArray,
        sink_flow: IntArray,
        quota: IntArray | None = None,
    ) -> IntArray:
        """Units on each original order arc, from the node arcs' and sink arcs' flows (and,
        under the proportional split, each order's ``quota``: filled first)."""
        node_of_member, wanted = problem.sink_arcs()
        # Units leaving each node, oldest member first; units arriving, best arc first.
        members = self.member_rank[np.argsort(node_of_member[self.member_rank], kind="stable")]
        node_units = np.bincount(node_of_member, weights=sink_flow).astype(np.int64)
        if quota is None:
            sink_flow = split_among_members(node_of_member, wanted, node_units, members)
        else:
            first = split_among_members(node_of_member, quota, node_units, members)
            rest = node_units - np.bincount(
                node_of_member, weights=first, minlength=len(node_units)
            ).astype(np.int64)
            sink_flow = first + split_among_members(node_of_member, wanted - first, rest, members)
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


def run_task(task: FlowTask) -> IntArray:
    """Solve one batch; units per original arc (a top-level function, for worker processes).

    A batch with split pools is solved in rounds until its quotas are those of its own
    plan (module docstring).
    """
    agg_flow, sink_flow = solve_lexicographic_flows(task.problem, task.levels)
    fair = task.fair
    if fair is None:
        return task.split.per_order(task.problem, agg_flow, sink_flow)
    used = np.zeros(len(sink_flow), dtype=np.int64)  # solve 0 had no quotas
    for _ in range(fair.n_groups + 1):
        quota = fair.quotas(fair.units(sink_flow))
        if np.array_equal(quota, used):
            return task.split.per_order(task.problem, agg_flow, sink_flow, quota)
        problem, levels, member = fair.network(task.problem, quota)
        agg_flow, split_sink = solve_lexicographic_flows(problem, levels)
        sink_flow = np.zeros(len(used), dtype=np.int64)
        np.add.at(sink_flow, member, split_sink)
        used = quota
    raise SolverError("the proportional split did not settle (solver inconsistency)")


Runner = Callable[[Batches], list[IntArray]]

# The batches a forked worker solves: set once by the pool's initializer in each worker
# process (fork hands the arrays over without pickling), never in the parent.
_WORKER_BATCHES: Batches | None = None


def _adopt(batches: Batches) -> None:
    global _WORKER_BATCHES
    _WORKER_BATCHES = batches


def _solve_batch(i: int) -> tuple[int, IntArray]:
    assert _WORKER_BATCHES is not None
    return i, run_task(_WORKER_BATCHES.task(i))


def local_runner(workers: int) -> Runner:
    """Solve batches in this process (``workers <= 1``) or in forked worker processes.

    Workers build their batches' networks themselves from arrays inherited at fork, so only
    batch numbers and results cross between processes; the largest batches go first.
    """

    def run(batches: Batches) -> list[IntArray]:
        if workers <= 1 or len(batches) <= 1 or "fork" not in mp.get_all_start_methods():
            return [run_task(batches.task(i)) for i in range(len(batches))]
        sizes = np.array([len(chunk[0]) for chunk in batches.chunks])
        order = np.argsort(-sizes, kind="stable").tolist()
        results: list[IntArray] = [np.zeros(0, dtype=np.int64)] * len(batches)
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

    def run(batches: Batches) -> list[IntArray]:
        from dask.distributed import Client, LocalCluster

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
    problem: Problem,
    runner: Runner | None = None,
    supply: IntArray | None = None,
    demand: IntArray | None = None,
    held: Held | None = None,
    hubs: CapHubs | None = None,
) -> IntArray:
    """Units on every arc of ``problem`` in the lexicographically optimal plan (of
    ``supply`` and ``demand`` when given instead of the problem's quantities; ``held``, units
    held outside the solve, count against fair-share caps; ``hubs`` stand in for the
    policy's caps, as for :func:`make_batches`)."""
    batches = make_batches(problem, supply, demand, held=held, hubs=hubs)
    results = (runner or local_runner(1))(batches)
    flow = np.zeros(len(problem.arcs), dtype=np.int64)
    for (arc_index, _), result in zip(batches.chunks, results, strict=True):
        flow[arc_index] = result
    return flow
