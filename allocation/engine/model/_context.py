"""What stays put while orders arrive and stock moves: parts, their groups, routes, homes.

Built once per snapshot (:func:`build_context`); every problem made from the snapshot, and the
incremental planner's every re-plan, share it. Codes and ties go by id, never by row
position, so that no plan depends on the order of a table's rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.fair_share import TakenEarlier
from allocation.domain.overrides import Overrides, Previous
from allocation.domain.policy import AllocationPolicy
from allocation.domain.snapshot import Snapshot, split_substitutes
from allocation.engine.model._network import Routes, build_network, routes
from allocation.errors import UnknownIdError

__all__ = ["Context", "build_context"]


@dataclass(frozen=True)
class Context:
    """What stays put while orders arrive and stock moves: parts, routes, homes, policy.

    ``part_numbers`` and ``depot_ids`` are sorted: a part's or depot's code is its position.
    ``usable`` lists, for parts with a supersession chain, the parts an order for it may
    use (itself first); ``part_group`` is each part's substitution group (its smallest
    code). ``homes`` is each country's home depot (None: no depot reaches it).
    ``overrides`` are the planner's firmed lines and forbidden sources, by order id: they
    apply to every order of that id any problem of this context holds. ``previous`` is
    a previous plan the policy's ``churn_penalty`` prices moving away from (None: none).
    ``taken_earlier`` is what parties took of capped parts earlier in each cap's period
    (:class:`~allocation.domain.fair_share.TakenEarlier`): it counts against their caps.
    """

    part_numbers: list[str]
    part_code: dict[str, int]
    usable: dict[int, npt.NDArray[np.int64]]
    part_group: npt.NDArray[np.int64]
    routes: Routes
    homes: dict[str, str | None]
    depot_ids: list[str]
    depot_code: dict[str, int]
    country_cols: dict[str, int]
    origin_rows: dict[str, int]
    policy: AllocationPolicy
    as_of: pd.Timestamp
    unit_cost: dict[str, float]
    overrides: Overrides = field(default_factory=Overrides)
    previous: Previous | None = None
    taken_earlier: TakenEarlier = field(default_factory=TakenEarlier)

    def at(self, as_of: datetime | pd.Timestamp) -> Context:
        """The same world seen from another moment (ETAs count from ``as_of``)."""
        return replace(self, as_of=pd.Timestamp(as_of))

    def with_previous(self, previous: Previous | None) -> Context:
        """The same world, measured against a previous plan (None: none)."""
        return replace(self, previous=previous)

    def churn_priced(self) -> bool:
        """Whether plans pay the policy's ``churn_penalty`` for moving previous units."""
        return self.previous is not None and self.policy.churn_penalty > 0

    def with_policy(self, policy: AllocationPolicy) -> Context:
        """The same world under another policy (same parts, groups, routes and homes)."""
        return replace(self, policy=policy)

    def home_code(self, country: str) -> int:
        """The code of a country's home depot; -1 where no depot reaches it."""
        home = self.homes.get(country)
        return self.depot_code.get(home, -1) if home is not None else -1

    def country_col(self, country: str) -> int:
        """A country's column in the routes; one past the last where no lane reaches it."""
        return self.country_cols.get(country, len(self.country_cols))


def build_context(snapshot: Snapshot, policy: AllocationPolicy) -> Context:
    """Routes, home depots, part codes and groups of a snapshot under a policy."""
    parts = sorted(snapshot.parts["part_number"].tolist())
    part_code = {p: i for i, p in enumerate(parts)}
    usable, part_group = _substitution(snapshot.parts, part_code, policy.substitutes)
    suppliers = snapshot.supply_options["supplier_id"]
    depots = sorted(snapshot.depots["depot_id"].tolist())
    origins = sorted(set(depots) | set(suppliers))
    kinds = dict.fromkeys(depots, "depot")
    kinds.update(dict.fromkeys(suppliers, "supplier"))
    graph = build_network(snapshot.lanes, snapshot.depots, suppliers)
    countries = sorted(
        {name for kind, name in graph.nodes if kind == "country"}
        | set(snapshot.customers["country"])
        | set(snapshot.orders["ship_to_country"].dropna())
    )
    table = routes(graph, origins, countries, kinds)
    _check_protection(policy, depots, part_code)
    return Context(
        part_numbers=parts,
        part_code=part_code,
        usable=usable,
        part_group=part_group,
        routes=table,
        homes=table.home_depots(depots),
        depot_ids=depots,
        depot_code={d: i for i, d in enumerate(depots)},
        country_cols=table.country_index(),
        origin_rows=table.origin_index(),
        policy=policy,
        as_of=pd.Timestamp(snapshot.as_of),
        unit_cost=dict(
            zip(
                snapshot.parts["part_number"],
                snapshot.parts["unit_cost"].astype(float),
                strict=True,
            )
        ),
        overrides=Overrides.of(snapshot.overrides),
        taken_earlier=snapshot.taken_earlier,
    )


def _check_protection(
    policy: AllocationPolicy, depots: list[str], part_code: dict[str, int]
) -> None:
    """A protection level that names an unknown depot or part is a typo: refuse it."""
    unknown_depots = sorted(policy.protection.depots() - set(depots))
    if unknown_depots:
        raise UnknownIdError(
            f"allocation.protection: unknown depot {unknown_depots[0]!r} "
            f"(known: {', '.join(sorted(depots))})"
        )
    unknown_parts = sorted(policy.protection.parts() - set(part_code))
    if unknown_parts:
        raise UnknownIdError(f"allocation.protection: unknown part {unknown_parts[0]!r}")
    capped = sorted(policy.fair_share.parts() - set(part_code))
    if capped:
        raise UnknownIdError(f"allocation.fair_share.caps: unknown part {capped[0]!r}")
    split = sorted(policy.fair_share.split_part_names() - set(part_code))
    if split:
        raise UnknownIdError(f"allocation.fair_share.split_parts: unknown part {split[0]!r}")


def _substitution(
    parts: pd.DataFrame, part_code: dict[str, int], enabled: bool
) -> tuple[dict[int, npt.NDArray[np.int64]], npt.NDArray[np.int64]]:
    """Usable parts per part (itself first, then what its chain reaches) and part groups.

    An edge A → B means B may replace A; supersession chains are followed transitively.
    Parts decompose into the weakly connected components of this graph.
    """
    n = len(part_code)
    group = np.arange(n, dtype=np.int64)
    usable: dict[int, npt.NDArray[np.int64]] = {}
    if not enabled:
        return usable, group
    graph = nx.DiGraph()
    listed = parts[parts["substitutes"].notna()]
    for part, cell in zip(listed["part_number"], listed["substitutes"], strict=True):
        for sub in split_substitutes(cell):
            graph.add_edge(part_code[part], part_code[sub])
    for component in nx.weakly_connected_components(graph):
        root = min(component)
        for node in component:
            group[node] = root
            reach = sorted(nx.descendants(graph, node))
            if reach:
                usable[node] = np.array([node, *reach], dtype=np.int64)
    return usable, group
