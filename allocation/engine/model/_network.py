"""The supply network: depots, suppliers and customer countries joined by lanes (networkx).

It answers two questions for the optimizer: how long and how costly is the fastest route
from an origin (a depot or a supplier) to a country, and which depot is an order's home
(the depot with the shortest transit to the order's country, ties broken by depot id).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["Routes", "build_network", "routes"]


def build_network(
    lanes: pd.DataFrame, depots: pd.DataFrame, suppliers: Iterable[str]
) -> nx.DiGraph:
    """A directed graph with a node per depot, supplier and country, an edge per lane.

    A depot reaches its own country in zero hours at zero cost unless a lane says otherwise.
    Node attribute ``kind`` is ``depot``, ``supplier`` or ``country``.
    """
    graph = nx.DiGraph()
    depot_ids = depots["depot_id"].tolist()
    for depot in sorted(depot_ids):
        graph.add_node(("depot", depot), kind="depot")
    for supplier in sorted(set(suppliers)):
        graph.add_node(("supplier", supplier), kind="supplier")
    kinds = dict.fromkeys(depot_ids, "depot")
    kinds.update(dict.fromkeys(suppliers, "supplier"))
    ordered = lanes.sort_values(["origin", "destination"], kind="stable")
    graph.add_edges_from(
        (
            (kinds.get(origin, "country"), origin),
            (kinds.get(dest, "country"), dest),
            {"hours": float(hours), "cost": float(cost)},
        )
        for origin, dest, hours, cost in zip(
            ordered["origin"].tolist(),
            ordered["destination"].tolist(),
            ordered["transit_hours"].tolist(),
            ordered["cost_per_unit"].tolist(),
            strict=True,
        )
    )
    for depot, country in sorted(zip(depots["depot_id"], depots["country"], strict=True)):
        if not graph.has_edge(("depot", depot), ("country", country)):
            graph.add_edge(("depot", depot), ("country", country), hours=0.0, cost=0.0)
    return graph


@dataclass(frozen=True)
class Routes:
    """Fastest routes from every origin to every country.

    ``hours[i, j]`` and ``cost[i, j]`` are transit hours and money per unit from
    ``origins[i]`` to ``countries[j]`` along the fastest path (the cheaper of equally fast
    ones); ``inf`` where no path exists.
    """

    origins: list[str]
    countries: list[str]
    hours: npt.NDArray[np.float64]
    cost: npt.NDArray[np.float64]

    def padded(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """``hours`` and ``cost`` with one more column of ``inf``: where an order whose
        country no lane reaches looks (its column is one past the last)."""
        pad = np.full((self.hours.shape[0], 1), np.inf)
        return np.hstack([self.hours, pad]), np.hstack([self.cost, pad])

    def origin_index(self) -> dict[str, int]:
        """Row of each origin id."""
        return {o: i for i, o in enumerate(self.origins)}

    def country_index(self) -> dict[str, int]:
        """Column of each country code."""
        return {c: j for j, c in enumerate(self.countries)}

    def home_depots(self, depot_ids: list[str]) -> dict[str, str | None]:
        """The home depot of each country: the fastest depot, ties by depot id."""
        rows = [self.origin_index()[d] for d in sorted(depot_ids)]
        names = sorted(depot_ids)
        homes: dict[str, str | None] = {}
        for j, country in enumerate(self.countries):
            column = self.hours[rows, j] if rows else np.array([])
            if len(column) == 0 or not np.isfinite(column).any():
                homes[country] = None
            else:
                homes[country] = names[int(np.argmin(column))]  # argmin: first of equals
        return homes


_SCALE = 1_000_000  # hours and money in millionths: sums of lane values stay exact
_DENSE_LIMIT = 600  # nodes up to which all-pairs shortest paths beat one Dijkstra per origin


def routes(
    graph: nx.DiGraph, origins: list[str], countries: list[str], kinds: dict[str, str]
) -> Routes:
    """Fastest routes from each origin to each country: least hours, then least money.

    Supply networks are small (depots, suppliers, countries), so all pairs are found at once
    with a lexicographic Floyd–Warshall over the graph's adjacency matrices, in integers;
    beyond a few hundred nodes, one Dijkstra per origin.
    """
    if graph.number_of_nodes() <= _DENSE_LIMIT:
        return _routes_dense(graph, origins, countries, kinds)
    hours = np.full((len(origins), len(countries)), np.inf)
    cost = np.full((len(origins), len(countries)), np.inf)
    col = {c: j for j, c in enumerate(countries)}
    for i, origin in enumerate(origins):
        node = (kinds[origin], origin)
        if node not in graph:
            continue
        # (hours, cost) lexicographic: the fastest path, and the cheapest among the fastest.
        best = _fastest_cheapest(graph, node)
        for (kind, name), (h, c) in best.items():
            if kind == "country" and name in col:
                hours[i, col[name]] = h / _SCALE
                cost[i, col[name]] = c / _SCALE
    return Routes(list(origins), list(countries), hours, cost)


def _routes_dense(
    graph: nx.DiGraph, origins: list[str], countries: list[str], kinds: dict[str, str]
) -> Routes:
    nodes = list(graph.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    n = len(nodes)
    never = np.iinfo(np.int64).max // 4
    hours = np.full((n, n), never, dtype=np.int64)
    cost = np.full((n, n), never, dtype=np.int64)
    np.fill_diagonal(hours, 0)
    np.fill_diagonal(cost, 0)
    for u, v, data in graph.edges(data=True):
        h = round(data["hours"] * _SCALE)
        c = round(data["cost"] * _SCALE)
        i, j = index[u], index[v]
        if (h, c) < (hours[i, j], cost[i, j]):
            hours[i, j], cost[i, j] = h, c
    for k in range(n):  # Floyd–Warshall on (hours, money) pairs, compared lexicographically
        via_h = hours[:, k : k + 1] + hours[k : k + 1, :]
        via_c = cost[:, k : k + 1] + cost[k : k + 1, :]
        better = (via_h < hours) | ((via_h == hours) & (via_c < cost))
        hours = np.where(better, via_h, hours)
        cost = np.where(better, via_c, cost)
    rows = [index.get((kinds[o], o), -1) for o in origins]
    cols = [index.get(("country", c), -1) for c in countries]
    out_h = np.full((len(origins), len(countries)), np.inf)
    out_c = np.full((len(origins), len(countries)), np.inf)
    for a, r in enumerate(rows):
        if r < 0:
            continue
        for b, col in enumerate(cols):
            if col >= 0 and hours[r, col] < never:
                out_h[a, b] = hours[r, col] / _SCALE
                out_c[a, b] = cost[r, col] / _SCALE
    return Routes(list(origins), list(countries), out_h, out_c)


def _fastest_cheapest(
    graph: nx.DiGraph, source: tuple[str, str]
) -> dict[tuple[str, str], tuple[int, int]]:
    """Dijkstra with (hours, cost) pairs in millionths, compared lexicographically."""
    best: dict[tuple[str, str], tuple[int, int]] = {source: (0, 0)}
    heap: list[tuple[int, int, int, tuple[str, str]]] = [(0, 0, 0, source)]
    counter = 1
    done: set[tuple[str, str]] = set()
    while heap:
        h, c, _, node = heapq.heappop(heap)
        if node in done:
            continue
        done.add(node)
        for _, nxt, data in graph.out_edges(node, data=True):
            cand = (h + round(data["hours"] * _SCALE), c + round(data["cost"] * _SCALE))
            if nxt not in best or cand < best[nxt]:
                best[nxt] = cand
                heapq.heappush(heap, (cand[0], cand[1], counter, nxt))
                counter += 1
    return best
