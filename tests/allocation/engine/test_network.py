"""Routes of the supply network: fastest first, then cheapest; home depots by transit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocation.engine.model import _network as network
from allocation.engine.model._network import build_network, routes
from tests.budget import examples

pytestmark = pytest.mark.fast


def _lanes(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["origin", "destination", "transit_hours", "cost_per_unit"])


DEPOTS = pd.DataFrame({"depot_id": ["D1", "D2"], "country": ["US", "DE"]})
KINDS = {"D1": "depot", "D2": "depot", "S1": "supplier"}


def test_equally_fast_routes_take_the_cheaper_even_when_hours_add_up_inexactly() -> None:
    # 0.1 + 0.2 is not 0.3 in floating point; the routes must still count as equally fast.
    lanes = _lanes([("D1", "D2", 0.1, 1.0), ("D2", "FR", 0.2, 1.0), ("D1", "FR", 0.3, 9.0)])
    graph = build_network(lanes, DEPOTS, ["S1"])
    table = routes(graph, ["D1"], ["FR"], KINDS)
    assert table.hours[0, 0] == 0.3
    assert table.cost[0, 0] == 2.0


def test_a_depot_reaches_its_own_country_at_once_unless_a_lane_says_otherwise() -> None:
    graph = build_network(_lanes([("D2", "US", 5.0, 3.0)]), DEPOTS, [])
    table = routes(graph, ["D1", "D2"], ["US", "DE"], KINDS)
    assert table.hours[0, 0] == 0.0  # D1 → US implicit
    assert table.hours[1, 1] == 0.0  # D2 → DE implicit
    assert table.hours[1, 0] == 5.0
    assert np.isinf(table.hours[0, 1])  # no lane from D1 to DE
    assert table.home_depots(["D1", "D2"]) == {"US": "D1", "DE": "D2"}


def test_ties_between_depots_go_to_the_lower_depot_id() -> None:
    lanes = _lanes([("D1", "FR", 10.0, 5.0), ("D2", "FR", 10.0, 1.0)])
    graph = build_network(lanes, DEPOTS, [])
    table = routes(graph, ["D1", "D2"], ["FR"], KINDS)
    assert table.home_depots(["D2", "D1"]) == {"FR": "D1"}


nodes = st.sampled_from(["D1", "D2", "S1", "US", "DE", "FR", "JP"])
lane_rows = st.lists(
    st.tuples(
        nodes,
        nodes,
        st.integers(0, 40).map(lambda k: k / 10),
        st.integers(0, 40).map(lambda k: k / 4),
    ).filter(lambda r: r[0] != r[1] and r[1] not in ("S1",)),
    max_size=14,
    unique_by=lambda r: (r[0], r[1]),
)


@pytest.mark.property
@settings(max_examples=examples(200), deadline=None)
@given(lane_rows)
def test_all_pairs_and_one_dijkstra_per_origin_agree(rows: list) -> None:
    graph = build_network(_lanes(rows), DEPOTS, ["S1"])
    origins, countries = ["D1", "D2", "S1"], ["US", "DE", "FR", "JP"]
    dense = routes(graph, origins, countries, KINDS)
    limit = network._DENSE_LIMIT
    try:
        network._DENSE_LIMIT = 0
        sparse = routes(graph, origins, countries, KINDS)
    finally:
        network._DENSE_LIMIT = limit
    assert np.array_equal(dense.hours, sparse.hours)
    assert np.array_equal(dense.cost, sparse.cost)
