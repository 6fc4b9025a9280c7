"""An independent reference for the allocation engine: plain code and sequential HiGHS LPs.

From a snapshot's tables (never the engine's problem arrays) it works out, for every
(source, order) pair, what the issue and DESIGN.md say:

- the order's **home depot**: the depot with the shortest transit to the ship-to country
  (networkx Dijkstra on transit hours), ties by depot id; a depot reaches its own country in
  0 h at 0 cost unless a lane says otherwise;
- the pair's **kind**: ``stock``/``inbound`` at the home depot, ``transfer`` from any other
  depot (stock or a receipt), ``expedite``/``broker`` from a supply option;
- its **ETA** in hours from ``as_of``: release (stock 0, a receipt ``max(0, eta − as_of)``,
  an option its lead time) + transit on the fastest route, the cheapest of equally fast ones;
- its **money** per unit: that route's transit cost + the option's unit cost;
- whether **policy** allows it (default: ``parts_priority`` every kind, ``standard`` stock
  and inbound only).

Then it solves the lexicographic objective one level at a time with
``scipy.optimize.linprog(method="highs")``, each level's optimum held as a constraint for the
next: ``parts_priority`` units (max), their Σ ETA (min), ``standard`` units (max), their
Σ ETA (min), money (min). The constraint matrix is a bipartite transportation matrix (totally
unimodular) and each later level optimises over a face of an integral polytope, so every
level's optimum is an integer in the units used here (units, ETA ticks of 0.1 h, cents).

Priority class is read off the tables with the data sheet's two facts that matter for the
builders' customers: a Priority Management contract gives parts priority, except where the
ship-to country is excluded (docs/explanation/rules.md, "Parts priority"). Every other eligibility
condition
holds for the customers in :mod:`builders`, so this is not a second entitlement engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, hstack, identity, vstack

from allocation.adapters.snapshot import Snapshot
from tests.allocation.rules_md import EXCLUDED, SKUS

PP, STANDARD = "parts_priority", "standard"
ALL_KINDS = frozenset({"stock", "transfer", "inbound", "expedite", "broker"})
DEFAULT_ALLOWED: dict[str, frozenset[str]] = {
    PP: ALL_KINDS,
    STANDARD: frozenset({"stock", "inbound"}),
}
_PM_SKUS = frozenset(code for code, tier, _, _ in SKUS if tier.value == "PM")


@dataclass(frozen=True)
class Pair:
    """A source that can reach an order: its kind, ETA (hours), money per unit, permission."""

    source: int
    order: int
    part: str
    origin: str
    kind: str
    eta_hours: float
    money: float
    allowed: bool


@dataclass(frozen=True)
class Reference:
    """Orders, sources and every reachable pair of them, computed from the tables."""

    order_ids: list[str]
    order_class: list[str]
    order_quantity: list[int]
    order_created_minutes: list[int]  # minutes after the earliest order
    home_depot: dict[str, str | None]  # country → home depot
    supply: list[int]
    pairs: list[Pair]
    # Per source: the most units standard orders may take (stock above its protection
    # level), or None when no level applies.
    standard_cap: list[int | None] = field(default_factory=list)
    # Per order: its need_by in hours after as_of, or None (no target).
    order_due_hours: list[float | None] = field(default_factory=list)


def build_reference(
    snapshot: Snapshot,
    allowed: dict[str, frozenset[str]] | None = None,
    substitutes: bool = True,
    classes: dict[str, str] | None = None,
    protection: dict[tuple[str, str], int] | None = None,
) -> Reference:
    """Every (source, order) pair of ``snapshot`` with kind, ETA, money and permission.

    ``classes`` (order id → priority class) overrides the builders-only class rule, for
    snapshots whose customers need the full entitlement engine. ``protection`` ((depot,
    part) → level) caps what standard orders may take from a stock level at the units above
    the level: a constraint of the LP, not a split of the source as in the engine.
    """
    allowed = DEFAULT_ALLOWED if allowed is None else allowed
    graph = _network(snapshot)
    depots = sorted(snapshot.depots["depot_id"])
    orders = snapshot.orders
    customer_country = dict(
        zip(snapshot.customers["customer_id"], snapshot.customers["country"], strict=True)
    )
    countries = [
        ship if isinstance(ship, str) else customer_country[cid]
        for ship, cid in zip(orders["ship_to_country"], orders["customer_id"], strict=True)
    ]
    reach = {
        node: _fastest_then_cheapest(graph, node)
        for node in graph.nodes
        if node[0] in ("depot", "supplier")
    }
    homes: dict[str, str | None] = {}
    for country in set(countries):
        times = [
            (reach[("depot", d)].get(("country", country), (math.inf, 0))[0], d) for d in depots
        ]
        best = min(times)  # fastest, then the smaller depot id
        homes[country] = best[1] if math.isfinite(best[0]) else None
    sources = source_rows(snapshot)
    usable = usable_parts(snapshot, substitutes)
    pm_customers = set(
        snapshot.contracts.loc[snapshot.contracts["sku"].isin(_PM_SKUS), "customer_id"]
    )
    order_class = [
        PP if cid in pm_customers and country not in EXCLUDED else STANDARD
        for cid, country in zip(orders["customer_id"], countries, strict=True)
    ]
    if classes is not None:
        order_class = [classes[oid] for oid in orders["order_id"]]
    pairs: list[Pair] = []
    for o, (part, country) in enumerate(zip(orders["part_number"], countries, strict=True)):
        for s, (s_part, base, origin, _, release, price) in enumerate(sources):
            if s_part not in usable[part]:
                continue
            node = ("supplier" if base in ("expedite", "broker") else "depot", origin)
            hours, cost = reach[node].get(("country", country), (math.inf, math.inf))
            if not math.isfinite(hours):
                continue
            if base in ("expedite", "broker"):
                kind = base
            else:
                kind = base if origin == homes[country] else "transfer"
            pairs.append(
                Pair(
                    source=s,
                    order=o,
                    part=s_part,
                    origin=origin,
                    kind=kind,
                    eta_hours=release + hours,
                    money=price + cost,
                    allowed=kind in allowed[order_class[o]],
                )
            )
    return Reference(
        order_ids=list(orders["order_id"]),
        order_class=order_class,
        order_quantity=[int(q) for q in orders["quantity"]],
        order_created_minutes=_minutes(orders["created_at"]),
        order_due_hours=_due_hours(orders, pd.Timestamp(snapshot.as_of)),
        home_depot=homes,
        supply=[s[3] for s in sources],
        pairs=pairs,
        standard_cap=[
            max(0, units - protection[(origin, part)])
            if protection and base == "stock" and (origin, part) in protection
            else None
            for part, base, origin, units, _, _ in sources
        ],
    )


def lexicographic_levels(
    reference: Reference,
    age_levels: bool = False,
    targets: bool = False,
    eta_first: bool = False,
    caps: list[tuple[set[int], int]] | None = None,
    split: Callable[[str, list[float]], dict[int, int]] | None = None,
    churn: tuple[dict[tuple[str, str, str], int], float] | None = None,
) -> dict[str, float]:
    """The optimal value of each level, in the keys of ``Plan.objective()``.

    Levels are solved in order, each with every earlier optimum fixed: units to
    ``parts_priority`` (max), their Σ ETA hours (min), units to ``standard`` (max), their
    Σ ETA hours (min), money (min).

    With ``age_levels`` each class's ETA is followed by an age level (Σ units × minutes the
    order was created after the earliest one, min: older orders first), which is where the
    engine ranks age (``allocation.engine.objective``); the age values are not returned.

    With ``targets`` each class's units are followed by its units late (ETA after the
    order's need_by, min) and its hours late (Σ units × (ETA − need_by) of late units, in
    ticks of 0.1 h, min), returned as ``<class>_units_late`` and ``<class>_late_hours``;
    with ``eta_first`` too, those two come after the class's ETA (and age) instead: the
    plan that ignores targets first, to tell the two apart.

    ``caps`` are fair-share caps as constraints: per (set of order positions, units), the
    units all pairs into those orders carry are at most the units.

    ``split`` is the proportional split: right after a class's units it is called with the
    class and the units each order gets in the LP's optimum so far, and returns quotas
    (order position → units); the next level maximises ``Σ y_i`` with ``y_i ≤ x_i`` (the
    order's units) and ``y_i ≤ quota_i``, returned as ``<class>_split``.

    ``churn`` is (previous units per (order id, kind, origin), penalty per unit): the cost
    level adds the penalty per unit moved, ``max(0, previous − kept)`` (:func:`_with_churn`).
    """
    pairs = [p for p in reference.pairs if p.allowed]
    n = len(pairs)
    names = [
        f"{klass}_{level}"
        for klass in (PP, STANDARD)
        for level in (
            ("units", "units_late", "late_hours", "eta_hours")
            if targets
            else ("units", "eta_hours")
        )
    ] + ["cost"]
    if split is not None:
        names += [f"{klass}_split" for klass in (PP, STANDARD)]
    if n == 0:
        return dict.fromkeys(names, 0.0)
    cls = np.array([reference.order_class[p.order] for p in pairs])
    # Integer objectives: units, ETA in ticks of 0.1 h, money in cents.
    ticks = np.array([round(p.eta_hours * 10) for p in pairs], dtype=float)
    cents = np.array([round(p.money * 100) for p in pairs], dtype=float)
    created = np.array([reference.order_created_minutes[p.order] for p in pairs], dtype=float)
    due = [reference.order_due_hours[p.order] if targets else None for p in pairs]
    over = np.array(
        [0.0 if d is None else p.eta_hours - d for p, d in zip(pairs, due, strict=True)]
    )
    late = (over > 1e-9).astype(float)
    late_ticks = np.where(late > 0, np.round(over * 10), 0.0)
    levels: list[tuple[str, np.ndarray, float]] = []
    for klass in (PP, STANDARD):
        mine = cls == klass
        lateness = [
            (f"{klass}_units_late", np.where(mine, late, 0.0), 1.0),
            (f"{klass}_late_hours", np.where(mine, late_ticks, 0.0), 0.1),
        ]
        levels.append((f"{klass}_units", -(cls == klass).astype(float), -1.0))
        if split is not None:
            levels.append((f"{klass}_split", np.zeros(0), -1.0))  # costs once quotas are known
        if targets and not eta_first:
            levels.extend(lateness)
        levels.append((f"{klass}_eta_hours", np.where(cls == klass, ticks, 0.0), 0.1))
        if age_levels:
            levels.append((f"{klass}_age", np.where(cls == klass, created, 0.0), 1.0))
        if targets and eta_first:
            levels.extend(lateness)
    levels.append(("cost", cents, 0.01))
    cols = np.arange(n)
    by_source = csr_matrix(
        (np.ones(n), ([p.source for p in pairs], cols)), shape=(len(reference.supply), n)
    )
    by_order = csr_matrix(
        (np.ones(n), ([p.order for p in pairs], cols)), shape=(len(reference.order_ids), n)
    )
    capped = [(s, cap) for s, cap in enumerate(reference.standard_cap) if cap is not None]
    # Σ standard units from a protected stock level ≤ its units above the level.
    std_cols = [
        (i, next(k for k, (s, _) in enumerate(capped) if s == p.source))
        for i, p in enumerate(pairs)
        if cls[i] != PP and any(s == p.source for s, _ in capped)
    ]
    by_cap = csr_matrix(
        (np.ones(len(std_cols)), ([k for _, k in std_cols], [i for i, _ in std_cols])),
        shape=(len(capped), n),
    )
    # Σ units into a capped party's orders ≤ its cap.
    cap_rows = [
        np.array([1.0 if p.order in members else 0.0 for p in pairs]) for members, _ in caps or []
    ]
    by_party = csr_matrix(np.vstack(cap_rows)) if cap_rows else csr_matrix((0, n))
    a_ub = vstack([by_source, by_order, by_cap, by_party]).tocsr()
    b_ub = np.concatenate(
        [
            np.array(reference.supply, dtype=float),
            np.array(reference.order_quantity, float),
            np.array([cap for _, cap in capped], dtype=float),
            np.array([units for _, units in caps or []], dtype=float),
        ]
    )
    m = len(reference.order_ids) if split is not None else 0
    bounds: list[tuple[float, float | None]] = [(0, None)] * n + [(0, 0)] * m
    if m:  # y_i − x_i ≤ 0 for each order's units within quota
        a_ub = vstack(
            [
                hstack([a_ub, csr_matrix((a_ub.shape[0], m))]),
                hstack([-by_order, identity(m, format="csr")]),
            ]
        ).tocsr()
        b_ub = np.concatenate([b_ub, np.zeros(m)])
    if churn is not None:
        assert split is None, "churn and split are not combined here"
        a_ub, b_ub, levels = _with_churn(reference, pairs, a_ub, b_ub, levels, *churn)
        bounds = [(0, None)] * a_ub.shape[1]
    fixed: list[np.ndarray] = []
    optima: list[float] = []
    values: dict[str, float] = {}
    x = np.zeros(n)
    for name, c, unit in levels:
        if m and name.endswith("_split"):
            assert split is not None
            quotas = split(name[: -len("_split")], (by_order @ x).tolist())
            c = np.zeros(n + m)
            for i, q in quotas.items():
                bounds[n + i] = (0, q)
                c[n + i] = -1.0
        elif m:
            c = np.concatenate([c, np.zeros(m)])
        result = linprog(
            c,
            A_ub=a_ub,
            b_ub=b_ub,
            A_eq=np.vstack(fixed) if fixed else None,
            b_eq=np.array(optima) if fixed else None,
            bounds=bounds,
            method="highs",
        )
        assert result.status == 0, f"{name}: {result.message}"
        best = round(result.fun)
        assert abs(result.fun - best) < 1e-6, f"{name}: non-integral optimum {result.fun}"
        x = result.x[:n]
        values[name] = best * unit
        # Hold this level at its optimum (an equality: a slack would let lower levels trade).
        fixed.append(c)
        optima.append(float(best))
    return {name: values[name] for name in names}


def _due_hours(orders: pd.DataFrame, as_of: pd.Timestamp) -> list[float | None]:
    if "need_by" not in orders:
        return [None] * len(orders)
    return [
        None if pd.isna(due) else (pd.Timestamp(due) - as_of).total_seconds() / 3600
        for due in orders["need_by"]
    ]


def _minutes(created: pd.Series) -> list[int]:
    minutes = created.to_numpy().astype("datetime64[m]").astype(np.int64)
    return (minutes - minutes.min()).tolist() if len(minutes) else []


def _network(snapshot: Snapshot) -> nx.DiGraph:
    depots = set(snapshot.depots["depot_id"])
    suppliers = set(snapshot.supply_options["supplier_id"])

    def node(name: str) -> tuple[str, str]:
        if name in depots:
            return ("depot", name)
        if name in suppliers:
            return ("supplier", name)
        return ("country", name)

    graph = nx.DiGraph()
    graph.add_nodes_from(("depot", d) for d in depots)
    graph.add_nodes_from(("supplier", s) for s in suppliers)
    for row in snapshot.lanes.itertuples(index=False):
        graph.add_edge(
            node(row.origin),
            node(row.destination),
            hours=float(row.transit_hours),
            cost=float(row.cost_per_unit),
        )
    for depot, country in zip(snapshot.depots["depot_id"], snapshot.depots["country"], strict=True):
        if not graph.has_edge(("depot", depot), ("country", country)):
            graph.add_edge(("depot", depot), ("country", country), hours=0.0, cost=0.0)
    return graph


def _fastest_then_cheapest(
    graph: nx.DiGraph, source: tuple[str, str]
) -> dict[tuple[str, str], tuple[float, float]]:
    """(hours, cost) of the fastest path to every node, the cheapest among equally fast.

    Two passes: Dijkstra on hours; then Dijkstra on cost over the edges that lie on some
    fastest path (``hours[u] + h == hours[v]``).
    """
    hours = nx.single_source_dijkstra_path_length(graph, source, weight="hours")
    tight = nx.DiGraph()
    tight.add_nodes_from(hours)
    for u, v, data in graph.edges(data=True):
        if (
            u in hours
            and v in hours
            and math.isclose(hours[u] + data["hours"], hours[v], rel_tol=0, abs_tol=1e-9)
        ):
            tight.add_edge(u, v, cost=data["cost"])
    cost = nx.single_source_dijkstra_path_length(tight, source, weight="cost")
    return {n: (hours[n], cost[n]) for n in hours}


def source_rows(snapshot: Snapshot) -> list[tuple[str, str, str, int, float, float]]:
    """(part, base kind, origin, units, release hours, price) per source with units."""
    as_of = pd.Timestamp(snapshot.as_of)
    out: list[tuple[str, str, str, int, float, float]] = []
    for row in snapshot.stock.itertuples(index=False):
        if row.on_hand > 0:
            out.append((row.part_number, "stock", row.depot_id, int(row.on_hand), 0.0, 0.0))
    for row in snapshot.inbound.itertuples(index=False):
        wait = max(0.0, (pd.Timestamp(row.eta) - as_of).total_seconds() / 3600)
        out.append((row.part_number, "inbound", row.depot_id, int(row.quantity), wait, 0.0))
    for row in snapshot.supply_options.itertuples(index=False):
        if row.capacity > 0:
            out.append(
                (
                    row.part_number,
                    row.source,
                    row.supplier_id,
                    int(row.capacity),
                    float(row.lead_time_hours),
                    float(row.unit_cost),
                )
            )
    return out


def usable_parts(snapshot: Snapshot, substitutes: bool) -> dict[str, set[str]]:
    """Each part and, with substitutes, every part its supersession chain reaches."""
    parts = list(snapshot.parts["part_number"])
    if not substitutes:
        return {p: {p} for p in parts}
    chain = nx.DiGraph()
    chain.add_nodes_from(parts)
    for part, cell in zip(parts, snapshot.parts["substitutes"], strict=True):
        if isinstance(cell, str):
            for sub in cell.replace("|", ";").replace(",", ";").split(";"):
                if sub.strip():
                    chain.add_edge(part, sub.strip())
    return {p: {p} | nx.descendants(chain, p) for p in parts}


def _with_churn(
    reference: Reference,
    pairs: list[Pair],
    a_ub: csr_matrix,
    b_ub: np.ndarray,
    levels: list[tuple[str, np.ndarray, float]],
    previous: dict[tuple[str, str, str], int],
    penalty: float,
) -> tuple[csr_matrix, np.ndarray, list[tuple[str, np.ndarray, float]]]:
    """One variable ``m ≥ previous − Σ x`` per previous (order, kind, origin) of an order
    still here, priced at the penalty in cents on the cost level only."""
    orders = {oid: i for i, oid in enumerate(reference.order_ids)}
    keys = [k for k in sorted(previous) if k[0] in orders and previous[k] > 0]
    n, k = len(pairs), len(keys)
    rows = np.zeros((k, n + k))
    for j, (oid, kind, origin) in enumerate(keys):
        for i, p in enumerate(pairs):
            if p.order == orders[oid] and p.kind == kind and p.origin == origin:
                rows[j, i] = -1.0
        rows[j, n + j] = -1.0
    wide = csr_matrix((a_ub.data, a_ub.indices, a_ub.indptr), shape=(a_ub.shape[0], n + k))
    cents = round(penalty * 100)
    priced = [
        (name, np.r_[c, np.full(k, float(cents) if name == "cost" else 0.0)], unit)
        for name, c, unit in levels
    ]
    bound = np.r_[b_ub, -np.array([previous[key] for key in keys], dtype=float)]
    return vstack([wide, csr_matrix(rows)]).tocsr(), bound, priced
