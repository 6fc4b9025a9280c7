"""Equally good plans: the engine picks one by ids and identities, never by row positions.

When several plans score the same on every level of the objective, the solver would pick
among them by the order of its arcs. The tie level and the canonical order of orders and
sources make the pick the same whatever the order of the input tables' rows.
"""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pandas as pd

from allocation.adapters.snapshot import load_snapshot
from allocation.allocate import allocate
from allocation.engine.objective import tie_break
from tests.allocation.engine.builders import AS_OF, World, order

# Six Priority Management orders for P0, five units: two identical receipts of P0 and one of
# the substitute P1. Five orders are equally old, in three countries; every plan that serves
# the oldest order and four others scores the same on units, ETA, age and cost.
_TIED = World(
    orders=(
        *(order(f"O0{i}", part="P0", age=0.0, country=c) for i, c in enumerate(["US"] * 3)),
        order("O03", part="P0", age=0.0, country="CA"),
        order("O04", part="P0", age=0.0, country="MX"),
        order("O05", part="P0", age=1.0, country="US"),
    ),
    depots=(("D0", "US"), ("D1", "US")),
    lanes=(("D0", "US", 0.0, 0.0), ("D0", "CA", 0.0, 0.0), ("D0", "MX", 0.0, 0.0)),
    inbound=(("P1", "D0", 1, 0.0), ("P0", "D0", 3, 0.0), ("P0", "D0", 1, 0.0)),
    substitutes={"P0": "P1"},
    part_costs={"P0": 1.0, "P1": 1.0},
)

_KEY = ["order_id", "part_number", "source", "origin", "eta_hours"]


def _lines(tables: dict[str, pd.DataFrame]) -> pd.Series:
    plan = allocate(load_snapshot(tables, as_of=AS_OF))
    return plan.lines.groupby(_KEY)["quantity"].sum()


def test_tied_plans_come_out_the_same_whatever_the_row_order_of_orders_and_receipts() -> None:
    tables = _TIED.tables()
    expected = _lines(tables)
    assert expected.sum() == 5
    assert "O05" in expected.index.get_level_values("order_id")  # the oldest is served
    for receipts in permutations(range(len(tables["inbound"]))):
        for orders in (slice(None), slice(None, None, -1)):
            shuffled = dict(tables)
            shuffled["inbound"] = tables["inbound"].iloc[list(receipts)].reset_index(drop=True)
            shuffled["orders"] = tables["orders"].iloc[orders].reset_index(drop=True)
            pd.testing.assert_series_equal(_lines(shuffled), expected)


def test_of_equally_old_orders_in_one_country_the_lower_ids_are_served() -> None:
    served = set(_lines(_TIED.tables()).index.get_level_values("order_id"))
    us_equals = sorted({"O00", "O01", "O02"} & served)
    assert us_equals == ["O00", "O01", "O02"][: len(us_equals)]


def test_the_tie_cost_is_no_sum_of_a_node_term_and_a_source_term() -> None:
    # Were it one, swapping the sources of two nodes would never change the total, and the
    # tie level would break no tie between plans with the same units per node and source.
    rng = np.random.default_rng(7)
    nodes = rng.integers(0, 2**40, size=(500, 2))
    sources = rng.integers(0, 2**30, size=(500, 2))

    def cost(n: np.ndarray, s: np.ndarray) -> np.ndarray:
        return tie_break(n.astype(np.int64), s.astype(np.int64))

    kept = cost(nodes[:, 0], sources[:, 0]) + cost(nodes[:, 1], sources[:, 1])
    swapped = cost(nodes[:, 0], sources[:, 1]) + cost(nodes[:, 1], sources[:, 0])
    assert np.mean(kept == swapped) < 0.02
