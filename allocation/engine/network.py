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
    for origin, dest, hours, cost in zip(
        ordered["origin"],
        ordered["destination"],
        ordered["transit_hours"],
        ordered["cost_per_unit"],
        strict=True,
    ):
        graph.add_edge(
            (kinds.get(origin, "country"), origin),
            (kinds.get(dest, "country"), dest),
            hours=float(hours),
            cost=float(cost),
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


def routes(
    graph: nx.DiGraph, origins: list[str], countries: list[str], kinds: dict[str, str]
) -> Routes:
    """Fastest routes (Dijkstra on transit hours) from each origin to each country."""
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
                hours[i, col[name]] = h
                cost[i, col[name]] = c
    return Routes(list(origins), list(countries), hours, cost)


def _fastest_cheapest(
    graph: nx.DiGraph, source: tuple[str, str]
) -> dict[tuple[str, str], tuple[float, float]]:
    """Dijkstra with (hours, cost) pairs compared lexicographically."""
    best: dict[tuple[str, str], tuple[float, float]] = {source: (0.0, 0.0)}
    heap: list[tuple[float, float, int, tuple[str, str]]] = [(0.0, 0.0, 0, source)]
    counter = 1
    done: set[tuple[str, str]] = set()
    while heap:
        h, c, _, node = heapq.heappop(heap)
        if node in done:
            continue
        done.add(node)
        for _, nxt, data in graph.out_edges(node, data=True):
            cand = (h + data["hours"], c + data["cost"])
            if nxt not in best or cand < best[nxt]:
                best[nxt] = cand
                heapq.heappush(heap, (cand[0], cand[1], counter, nxt))
                counter += 1
    return best
