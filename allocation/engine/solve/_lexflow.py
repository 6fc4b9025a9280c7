"""Lexicographic min-cost flow on one bipartite supply network, exact and int64-safe.

The network of one part group::

    source s ──(s→o: cap q_o, level costs c_l(s,o))──▶ order o ──(o→T: cap q_o, costs b_l(o))──▶ T
    source s ──(bypass s→T: cap supply_s, cost 0)─────────────────────────────────────────────▶ T

Sources supply their units; the sink absorbs them all, so unused units take the bypass. The
objective is a list of levels, most important first; each level is an integer cost on the
source→order arcs (e.g. ETA, money) or on the order→sink arcs (e.g. -1 per unit of a class,
an order's age rank). A solution is optimal when no lower level can be improved without
worsening a higher one.

How the levels are combined, and why it is exact
------------------------------------------------
*Cycle bound.* Two flows differ by a sum of simple cycles of the residual graph, and a flow is
lexicographically optimal exactly when no residual cycle is lexicographically negative (the
lexicographically non-negative vectors form a convex cone, so sums of such cycles stay
non-negative). A simple cycle visits every node at most once, and order nodes touch only
sources and the sink (``S`` = the number of sources). A
level therefore changes around any cycle by at most ``B = (S + 1)·spread`` for a level on
source→order arcs (each visit to an order node adds one cost and takes away another, and a
cycle visits at most ``S + 1`` order nodes, alternating them with the ``S`` sources and the
sink) and by at most ``B = spread`` for a level on order→sink arcs (the sink is visited
once); ``spread = max(costs, 0) − min(costs, 0)``.

*Weights.* Within a stage of levels ``l_1 … l_r`` the weight of the last is 1 and
``w_i = 1 + Σ_{j>i} w_j·B_j``. For a cycle whose first non-zero level ``i`` is negative
(``Δ_i ≤ -1``, costs are integers), the weighted change is at most
``-w_i + Σ_{j>i} w_j·B_j = -1 < 0``; so a weighted optimum has no lexicographically
negative cycle and is lexicographically optimal, and every lexicographic optimum has the same
level values and hence the same weighted cost: the two optimal faces coincide.

*Overflow guard.* OR-Tools scales costs by about ``(nodes + 1)`` internally. A stage takes as
many levels as keep ``max|cost|·(nodes+1)`` below ``2**60`` and ``Σ capacity·|cost|`` below
``2**62``; the levels that do not fit go to the next stage. Never does a weight wrap around.

*Fixing a stage's optimum.* After a stage is solved, shortest-path distances ``d`` in its
residual graph are optimal dual potentials; by complementary slackness every optimal flow
has zero flow on arcs with positive reduced cost ``c + d(tail) − d(head)`` and full flow on
arcs with negative reduced cost. Removing the former and pre-committing the latter restricts
the next stage to exactly the optimal face of the levels solved so far. Distances are found
on the small graph of sources and sink (orders compressed out), which keeps this linear in
the number of arcs.

*Fair-share caps.* A cap on what one party takes of a part is a *cap hub*: a hub with no
supply through which that party's orders reach the sink, whose own arc to the sink carries
at most the cap (``sink_head`` and ``bypass_capacity`` of :class:`FlowProblem`). Order nodes
then touch sources, cap hubs and the sink, all hubs, and a cycle still alternates hubs and
order nodes: counting cap hubs among the ``S`` sources keeps the bound for source→order
levels. A level on order→sink arcs now changes at every hub the order→sink arcs meet — the
sink and each cap hub, each visited once, one arc in and one out — so its bound is
``B = (H + 1)·spread`` with ``H`` the cap hubs of the largest group. With the bounds right,
the weights, the stages and the face fixing above hold unchanged; without caps ``H = 0``
and nothing changes.

*Quota arcs (the proportional split).* An order of a split pool reaches its hub (the sink
or its cap hub) by two parallel arcs, its quota (cost −1 on the split level, 0 on the
others' split levels) and the rest (cost 0); both carry the order's units, age and class
costs alike. Parallel arcs add no node, so a simple cycle still visits each hub once and
enters and leaves it by one order→hub arc each (the 2-cycle order → hub → order through the
two parallel arcs is such a visit); a level on order→sink arcs still changes by at most
``spread`` per hub visited, ``(H + 1)·spread`` in all, and the split level's spread is 1.
So the weights, the stages, the face fixing and the potentials (which keep the cheapest of
parallel order–hub arcs) hold as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from allocation.engine.model._unique import unique_inverse
from allocation.engine.objective import Level
from allocation.errors import InfeasibleError, OutOfRangeError, SolverError

__all__ = ["FlowProblem", "Level", "solve_lexicographic"]

IntArray = npt.NDArray[np.int64]
_LIMIT = 2**62
# OR-Tools refuses costs above about 2**63 / (2.4·(nodes+1)) (measured); keep a margin.
_COST_LIMIT = 2**60
_WEIGHT_LIMIT = 2**63  # the first weight that int64 cannot hold


@dataclass(frozen=True)
class FlowProblem:
    """One part group's network as arrays (see the module docstring).

    ``arc_source[i]`` and ``arc_order[i]`` give the ends of source→order arc ``i``; its
    capacity is ``arc_capacity[i]`` (by default the order's quantity).

    Several independent part groups can share one solve: ``source_component`` and
    ``order_component`` name each node's group (no arc may join two groups). Cycles never
    cross groups (they meet only at the shared sink, which a simple cycle visits once), so
    the cycle bound uses the largest group's source count, and potentials are computed per
    group. Both default to a single group.

    An order node may reach the sink through several arcs (``sink_order`` names the node of
    each, ``sink_capacity`` its capacity): identical orders merged into one node keep one sink
    arc each, with their own age. By default each order has one sink arc of its demand.

    Fair-share caps (see the module docstring): ``sink_head`` names, per order→sink arc, a
    source (a cap hub, with no supply) the arc leads to instead of the sink (-1: the sink),
    and ``bypass_capacity`` each source's arc to the sink (default its supply; a cap hub's
    is its room under the cap).
    """

    supply: IntArray
    demand: IntArray
    arc_source: IntArray
    arc_order: IntArray
    arc_capacity: IntArray
    source_component: IntArray | None = None
    order_component: IntArray | None = None
    sink_order: IntArray | None = None
    sink_capacity: IntArray | None = None
    sink_head: IntArray | None = None
    bypass_capacity: IntArray | None = None

    def sink_arcs(self) -> tuple[IntArray, IntArray]:
        """(order node, capacity) of every order→sink arc."""
        if self.sink_order is None or self.sink_capacity is None:
            return np.arange(len(self.demand), dtype=np.int64), self.demand.astype(np.int64)
        return self.sink_order.astype(np.int64), self.sink_capacity.astype(np.int64)


def solve_lexicographic(problem: FlowProblem, levels: list[Level]) -> IntArray:
    """Units on each source→order arc in a lexicographically optimal flow.

    Parameters
    ----------
    problem : FlowProblem
        The network.
    levels : list of Level
        Most important first.

    Returns
    -------
    ndarray of int64
        Flow per source→order arc.

    Raises
    ------
    OutOfRangeError
        A single level's costs cannot be represented safely in int64.
    InfeasibleError, SolverError
        When OR-Tools reports anything but an optimal solution.

    Examples
    --------
    Two sources, one order of 1 unit. Filling the order comes first, then the first cost
    level (which prefers source 1) and only then the second (which prefers source 0):

    >>> p = FlowProblem(np.array([1, 1]), np.array([1]), np.array([0, 1]), np.array([0, 0]),
    ...                 np.array([1, 1]))
    >>> solve_lexicographic(p, [Level("units", "order", np.array([-1])),
    ...                         Level("a", "arc", np.array([5, 3])),
    ...                         Level("b", "arc", np.array([0, 9]))]).tolist()
    [0, 1]
    """
    return solve_lexicographic_flows(problem, levels)[0]


def solve_lexicographic_flows(
    problem: FlowProblem, levels: list[Level]
) -> tuple[IntArray, IntArray]:
    """Units on each source→order arc and on each order→sink arc.

    See :func:`solve_lexicographic`.
    """
    _check(problem, levels)
    n_src = len(problem.supply)
    n_ord = len(problem.demand)
    # The arcs of the current face: source→order, order→sink and bypass, all in one array.
    net = _Network.build(problem)
    forced = np.zeros(net.size, dtype=np.int64)
    supply = net.node_supply.copy()
    active = np.ones(net.size, dtype=bool)
    full_costs = [_expand(level, problem, net) for level in levels]
    comps = _Components.of(problem)
    bounds = [_cycle_bound(level, comps.max_sources, comps.max_hubs) for level in levels]
    start = 0
    flow = np.zeros(net.size, dtype=np.int64)
    while start < len(levels):
        stop = _stage_end(start, full_costs, bounds, net, active, n_src + n_ord + 1)
        cost = _combine(full_costs[start:stop], bounds[start:stop], active)
        flow = _solve(net, active, cost, supply)
        start = stop
        if start < len(levels):
            _fix_face(net, comps, active, cost, flow, supply, forced)
    total = forced + flow
    n_arc = len(problem.arc_source)
    return total[:n_arc], total[n_arc : n_arc + net.n_sink]


def _check(problem: FlowProblem, levels: list[Level]) -> None:
    n_arcs = len(problem.arc_source)
    if problem.source_component is not None and problem.order_component is not None:
        crossing = (
            problem.source_component[problem.arc_source]
            != problem.order_component[problem.arc_order]
        )
        if np.any(crossing):
            raise SolverError("an arc joins two components of the flow network")
    if np.any(problem.supply < 0) or np.any(problem.demand < 0) or np.any(problem.arc_capacity < 0):
        raise SolverError("negative supply, demand or capacity in the flow network")
    if problem.bypass_capacity is not None and np.any(problem.bypass_capacity < 0):
        raise SolverError("negative capacity on a source's arc to the sink")
    if (
        problem.sink_head is not None
        and problem.source_component is not None
        and problem.order_component is not None
    ):
        head = problem.sink_head
        via = head >= 0
        if np.any(
            problem.source_component[head[via]]
            != problem.order_component[problem.sink_arcs()[0][via]]
        ):
            raise SolverError("a cap hub joins two components of the flow network")
    for level in levels:
        expected = n_arcs if level.on == "arc" else len(problem.sink_arcs()[0])
        if level.on not in ("arc", "order") or len(level.costs) != expected:
            raise SolverError(f"level {level.name!r} has {len(level.costs)} costs, want {expected}")
    if (
        problem.supply.sum(dtype=np.float64) >= _LIMIT
        or problem.demand.sum(dtype=np.float64) >= _LIMIT
    ):
        raise OutOfRangeError("total supply or demand is too large for int64 flows")


@dataclass
class _Network:
    tails: npt.NDArray[np.int32]
    heads: npt.NDArray[np.int32]
    capacity: IntArray
    node_supply: IntArray
    n_src: int
    n_ord: int
    n_arc: int
    n_sink: int

    @property
    def size(self) -> int:
        return len(self.tails)

    @property
    def sink(self) -> int:
        return self.n_src + self.n_ord

    @classmethod
    def build(cls, p: FlowProblem) -> _Network:
        n_src, n_ord, n_arc = len(p.supply), len(p.demand), len(p.arc_source)
        sink = n_src + n_ord
        sink_order, sink_capacity = p.sink_arcs()
        tails = np.concatenate([p.arc_source, n_src + sink_order, np.arange(n_src)]).astype(
            np.int32
        )
        sink_heads = (
            np.full(len(sink_order), sink)
            if p.sink_head is None
            else np.where(p.sink_head >= 0, p.sink_head, sink)
        )
        heads = np.concatenate([n_src + p.arc_order, sink_heads, np.full(n_src, sink)]).astype(
            np.int32
        )
        bypass = p.supply if p.bypass_capacity is None else p.bypass_capacity
        capacity = np.concatenate([p.arc_capacity, sink_capacity, bypass]).astype(np.int64)
        node_supply = np.zeros(sink + 1, dtype=np.int64)
        node_supply[:n_src] = p.supply
        node_supply[sink] = -int(p.supply.sum())
        return cls(tails, heads, capacity, node_supply, n_src, n_ord, n_arc, len(sink_order))


def _expand(level: Level, p: FlowProblem, net: _Network) -> IntArray:
    """A level's cost on every arc of the network (zero where the level does not apply)."""
    cost = np.zeros(net.size, dtype=np.int64)
    if level.on == "arc":
        cost[: net.n_arc] = level.costs
    else:
        cost[net.n_arc : net.n_arc + net.n_sink] = level.costs
    return cost


def _cycle_bound(level: Level, n_src: int, n_caps: int = 0) -> int:
    """How much one simple residual cycle can change this level (see the module docstring).

    A cycle visits at most ``n_src + 1`` order nodes (they alternate with hubs), and at each
    it changes a source→order level by at most the spread of its costs; it crosses the sink
    once, and each of ``n_caps`` cap hubs at most once, so a sink level changes by at most
    ``n_caps + 1`` spreads.
    """
    if len(level.costs) == 0:
        return 0
    spread = max(int(level.costs.max()), 0) - min(int(level.costs.min()), 0)
    return (n_src + 1) * spread if level.on == "arc" else (n_caps + 1) * spread


def _weights(bounds: list[int]) -> list[int]:
    """Python ints, so the check below sees the true magnitude before any int64 cast."""
    weights = [0] * len(bounds)
    below = 0  # Σ_{j>i} w_j·B_j
    for i in range(len(bounds) - 1, -1, -1):
        weights[i] = 1 + below
        below += weights[i] * bounds[i]
    return weights


def _stage_end(
    start: int,
    costs: list[IntArray],
    bounds: list[int],
    net: _Network,
    active: npt.NDArray[np.bool_],
    n_nodes: int,
) -> int:
    """The largest ``stop`` such that levels ``start:stop`` combine without overflow."""
    cap = net.capacity[active]
    stop = start
    # Each level's largest |cost| and Σ capacity·|cost| on the face, computed once: the
    # weights change as levels join the stage, these do not.
    peaks: list[int] = []
    loads: list[int] = []
    while stop < len(costs):
        size = np.abs(costs[stop][active])
        peaks.append(int(size.max(initial=0)))
        loads.append(int((size.astype(np.float64) * cap).sum()))
        weights = _weights(bounds[start : stop + 1])
        max_cost = sum(w * peak for w, peak in zip(weights, peaks, strict=True))
        total = sum(w * load for w, load in zip(weights, loads, strict=True))
        if max_cost * (n_nodes + 1) >= _COST_LIMIT or total >= _LIMIT:
            break
        if weights[0] >= _WEIGHT_LIMIT:
            # A level that is zero on the face (peak 0) adds nothing to the costs but still
            # multiplies the weights above it: an int64 weight must exist all the same.
            break
        stop += 1
    if stop == start:
        raise OutOfRangeError(
            f"the costs of one objective level are too large for the solver (level {start})"
        )
    return stop


def _combine(costs: list[IntArray], bounds: list[int], active: npt.NDArray[np.bool_]) -> IntArray:
    weights = _weights(bounds)
    combined = np.zeros(len(active), dtype=np.int64)
    for w, c in zip(weights, costs, strict=True):
        combined += np.int64(w) * c
    return combined


def _solve(
    net: _Network, active: npt.NDArray[np.bool_], cost: IntArray, supply: IntArray
) -> IntArray:
    """One OR-Tools min-cost flow on the active arcs; the flow on every arc of ``net``."""
    solver = min_cost_flow.SimpleMinCostFlow()
    idx = np.flatnonzero(active)
    # Only nodes that active arcs touch: fixing a face leaves many isolated, and the
    # solver's work grows with nodes as well as arcs.
    nodes, local = unique_inverse(np.concatenate([net.tails[idx], net.heads[idx]]))
    stranded = supply.copy()
    stranded[nodes] = 0
    if np.any(stranded != 0):
        raise InfeasibleError("units committed to a node that no remaining arc can move")
    # Constraints: each arc carries at most its capacity; every node balances its supply.
    solver.add_arcs_with_capacity_and_unit_cost(
        local[: len(idx)].astype(np.int32),
        local[len(idx) :].astype(np.int32),
        net.capacity[idx],
        cost[idx],
    )
    solver.set_nodes_supplies(np.arange(len(nodes), dtype=np.int32), supply[nodes])
    status = solver.solve()
    if status == solver.INFEASIBLE or status == solver.UNBALANCED:
        raise InfeasibleError(f"the flow network is infeasible ({status.name})")
    if status == solver.BAD_COST_RANGE or status == solver.BAD_CAPACITY_RANGE:
        raise OutOfRangeError(f"the solver rejected the number range ({status.name})")
    if status != solver.OPTIMAL:
        raise SolverError(f"the min-cost flow solver returned {status.name}")
    flow = np.zeros(net.size, dtype=np.int64)
    flow[idx] = solver.flows(np.arange(len(idx), dtype=np.int32))
    return flow


@dataclass(frozen=True)
class _Components:
    """Each source's and order's group, and each source's index inside its group."""

    source: IntArray
    order: IntArray
    local: IntArray
    count: int
    max_sources: int
    max_hubs: int = 0

    @classmethod
    def of(cls, p: FlowProblem) -> _Components:
        n_src = len(p.supply)
        src = (
            np.zeros(n_src, dtype=np.int64)
            if p.source_component is None
            else p.source_component.astype(np.int64)
        )
        ords = (
            np.zeros(len(p.demand), dtype=np.int64)
            if p.order_component is None
            else p.order_component.astype(np.int64)
        )
        count = int(max(src.max(initial=-1), ords.max(initial=-1))) + 1
        count = max(count, 1)
        # Index of each source within its group, in order of appearance.
        by = np.argsort(src, kind="stable")
        sizes = np.bincount(src, minlength=count)
        starts = np.cumsum(sizes) - sizes
        local = np.empty(n_src, dtype=np.int64)
        local[by] = np.arange(n_src) - np.repeat(starts, sizes)
        max_hubs = 0
        if p.sink_head is not None and np.any(p.sink_head >= 0):
            hubs = np.unique(p.sink_head[p.sink_head >= 0])
            max_hubs = int(np.bincount(src[hubs], minlength=count).max())
        return cls(src, ords, local, count, int(sizes.max(initial=0)), max_hubs)


def _fix_face(
    net: _Network,
    comps: _Components,
    active: npt.NDArray[np.bool_],
    cost: IntArray,
    flow: IntArray,
    supply: IntArray,
    forced: IntArray,
) -> None:
    """Restrict the network to the optimal face of the stage just solved (in place)."""
    dist = _potentials(net, comps, active, cost, flow)
    reduced = cost + dist[net.tails] - dist[net.heads]
    drop = active & (reduced > 0)
    # Arcs with negative reduced cost carry full capacity in every optimum: commit it.
    commit = active & (reduced < 0)
    if np.any(commit):
        c_idx = np.flatnonzero(commit)
        amount = net.capacity[c_idx]
        forced[c_idx] += amount
        np.subtract.at(supply, net.tails[c_idx], amount)
        np.add.at(supply, net.heads[c_idx], amount)
    active &= ~(drop | commit)


def _potentials(
    net: _Network,
    comps: _Components,
    active: npt.NDArray[np.bool_],
    cost: IntArray,
    flow: IntArray,
) -> IntArray:
    """Shortest distances from a virtual root (0-cost arcs to every node) in the residual graph.

    Orders touch only hubs (their group's sources and the sink), so paths alternate hub,
    order, hub. Hub-to-hub distances through one order are computed with array operations;
    Floyd–Warshall runs on each group's hubs (a copy of the sink per group), batched over
    groups; a path through the real sink joins groups, which the last step accounts for.
    """
    n_src, n_ord, sink = net.n_src, net.n_ord, net.sink
    n_hub = comps.max_sources + 1  # local sources, then the group's copy of the sink
    t_local = n_hub - 1
    idx = np.flatnonzero(active)
    tails, heads, c, f, u = net.tails[idx], net.heads[idx], cost[idx], flow[idx], net.capacity[idx]
    fwd = f < u
    bwd = f > 0
    r_tail = np.concatenate([tails[fwd], heads[bwd]]).astype(np.int64)
    r_head = np.concatenate([heads[fwd], tails[bwd]]).astype(np.int64)
    r_cost = np.concatenate([c[fwd], -c[bwd]])
    tail_is_order = (r_tail >= n_src) & (r_tail < sink)
    head_is_order = (r_head >= n_src) & (r_head < sink)

    def group_of(node: IntArray, other: IntArray) -> IntArray:
        """Group of a hub node; the sink takes the group of the arc's other end."""
        own = np.where(node < n_src, comps.source[np.minimum(node, n_src - 1)], 0)
        other_group = np.where(
            other < n_src,
            comps.source[np.minimum(other, max(n_src - 1, 0))] if n_src else 0,
            comps.order[np.clip(other - n_src, 0, max(n_ord - 1, 0))] if n_ord else 0,
        )
        return np.where(node == sink, other_group, own)

    def local_of(node: IntArray) -> IntArray:
        return np.where(node == sink, t_local, comps.local[np.minimum(node, max(n_src - 1, 0))])

    inf = np.iinfo(np.int64).max // 4
    dist_hub = np.full((comps.count, n_hub, n_hub), inf, dtype=np.int64)
    diag = np.arange(n_hub)
    dist_hub[:, diag, diag] = 0
    direct = ~tail_is_order & ~head_is_order
    if np.any(direct):
        dt, dh = r_tail[direct], r_head[direct]
        g = group_of(dt, dh)
        np.minimum.at(dist_hub, (g, local_of(dt), local_of(dh)), r_cost[direct])
    # Parallel residual arcs between an order and a hub (an order node merges many orders,
    # each with its own sink arc) count once, at their cheapest: the paths through an order
    # pair each way in with each way out, and duplicates would multiply them.
    in_ord, in_hub, in_cost = _cheapest(
        r_head[head_is_order] - n_src, r_tail[head_is_order], r_cost[head_is_order], sink + 1
    )
    out_ord, out_hub, out_cost = _cheapest(
        r_tail[tail_is_order] - n_src, r_head[tail_is_order], r_cost[tail_is_order], sink + 1
    )
    in_g, out_g = comps.order[in_ord], comps.order[out_ord]
    in_loc, out_loc = local_of(in_hub), local_of(out_hub)
    start = np.zeros((comps.count, n_hub), dtype=np.int64)  # root → order → hub
    np.minimum.at(start, (out_g, out_loc), out_cost)
    if len(in_ord) and len(out_ord):
        order_by = np.argsort(out_ord, kind="stable")
        o_ord, o_loc, o_cost = out_ord[order_by], out_loc[order_by], out_cost[order_by]
        first = np.searchsorted(o_ord, np.arange(n_ord), side="left")
        last = np.searchsorted(o_ord, np.arange(n_ord), side="right")
        counts = (last - first)[in_ord]
        rep = np.repeat(np.arange(len(in_ord)), counts)
        offsets = np.arange(len(rep)) - np.repeat(np.cumsum(counts) - counts, counts)
        pos = np.repeat(first[in_ord], counts) + offsets
        h1, h2, g = in_loc[rep], o_loc[pos], in_g[rep]
        w = in_cost[rep] + o_cost[pos]
        keep = h1 != h2
        np.minimum.at(dist_hub, (g[keep], h1[keep], h2[keep]), w[keep])
    for k in range(n_hub):  # Floyd–Warshall, all groups at once
        np.minimum(dist_hub, dist_hub[:, :, k : k + 1] + dist_hub[:, k : k + 1, :], out=dist_hub)
    if np.any(dist_hub[:, diag, diag] < 0):
        raise SolverError("negative cycle in an optimal residual graph (solver inconsistency)")
    # Within each group, then through the shared sink (reached from any group).
    local_d = np.min(start[:, :, None] + dist_hub, axis=1)
    sink_d = min(0, int(local_d[:, t_local].min(initial=0)))
    hub_d = np.minimum(local_d, sink_d + dist_hub[:, t_local, :])
    hub_d = np.minimum(hub_d, 0)
    dist = np.zeros(sink + 1, dtype=np.int64)
    if n_src:
        dist[:n_src] = hub_d[comps.source, comps.local]
    dist[sink] = sink_d
    order_d = np.zeros(n_ord, dtype=np.int64)
    if len(in_ord):
        via = np.where(in_hub == sink, sink_d, hub_d[in_g, in_loc]) + in_cost
        np.minimum.at(order_d, in_ord, via)
    dist[n_src:sink] = order_d
    return dist


def _cheapest(
    order: IntArray, hub: IntArray, cost: IntArray, hubs: int
) -> tuple[IntArray, IntArray, IntArray]:
    """One (order, hub) arc per pair, with the least cost of the arcs given for it."""
    if len(order) == 0:
        return order, hub, cost
    key = order * hubs + hub
    by = np.lexsort((cost, key))
    first = by[np.r_[True, key[by][1:] != key[by][:-1]]]
    return order[first], hub[first], cost[first]
