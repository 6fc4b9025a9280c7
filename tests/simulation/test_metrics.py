"""Order outcomes, KPIs, backorders and cost, computed from hand-written event timelines.

Every expectation is worked out by hand from the timeline (or, in the property tests, by a
brute-force count written independently of the vectorised code).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.metrics import backorders_over_time, cost_by_source, kpis, order_outcomes
from simulation.records import COLUMNS, Recorder
from tests.simulation.timelines import allocate, create, deliver, fail, only_row, restore

pytestmark = pytest.mark.fast

PROPERTY_SETTINGS = settings(max_examples=25, deadline=None)


# order_outcomes ---------------------------------------------------------------------------


def test_an_order_filled_from_stock_on_arrival_is_down_until_its_repair_is_done() -> None:
    rec = Recorder()
    create(rec, 2.0, "O1")
    allocate(rec, 2.0, "O1", "stock", money=40.0)
    deliver(rec, 5.0, "O1", "stock")
    restore(rec, 9.0, "O1")
    rec.emit(100.0, "end")

    row = only_row(order_outcomes(rec.to_frame()))

    assert row["created"] == 2.0
    assert row["restored"]
    assert row["downtime_hours"] == 7.0
    assert row["filled_on_arrival"]
    assert (row["allocated_units"], row["delivered_units"]) == (1, 1)
    assert row["cost"] == 40.0
    assert (row["broker_units"], row["expedited_units"]) == (0, 0)


def test_a_failed_broker_buy_is_not_paid_and_the_order_waits_for_stock() -> None:
    rec = Recorder()
    create(rec, 0.0, "O1", quantity=2)
    allocate(rec, 0.0, "O1", "broker", quantity=2, money=300.0)
    fail(rec, 50.0, "O1", quantity=2, money=300.0)
    allocate(rec, 60.0, "O1", "stock", quantity=2, money=20.0)
    deliver(rec, 70.0, "O1", "stock", quantity=2)
    restore(rec, 70.0, "O1")
    rec.emit(500.0, "end")

    row = only_row(order_outcomes(rec.to_frame()))

    assert row["allocated_units"] == 2
    assert row["cost"] == 20.0
    assert row["broker_units"] == 0
    assert not row["filled_on_arrival"]
    assert row["downtime_hours"] == 70.0


def test_broker_and_expedite_units_count_what_was_bought_net_of_failures() -> None:
    rec = Recorder()
    create(rec, 0.0, "O1", quantity=4)
    allocate(rec, 1.0, "O1", "broker", quantity=2, money=200.0)
    fail(rec, 10.0, "O1", quantity=1, money=100.0)
    allocate(rec, 11.0, "O1", "expedite", quantity=2, money=90.0)
    rec.emit(50.0, "end")

    row = only_row(order_outcomes(rec.to_frame()))

    assert (row["broker_units"], row["expedited_units"]) == (1, 2)
    assert row["allocated_units"] == 3
    assert row["cost"] == 190.0


def test_an_order_never_restored_is_down_until_the_end_of_its_replication() -> None:
    rec = Recorder()
    create(rec, 10.0, "O1")
    rec.emit(200.0, "end")

    row = only_row(order_outcomes(rec.to_frame()))

    assert not row["restored"]
    assert row["downtime_hours"] == 190.0
    assert row["allocated_units"] == 0
    assert not row["filled_on_arrival"]


def test_a_replication_without_an_end_row_ends_at_its_last_event() -> None:
    rec = Recorder()
    create(rec, 10.0, "O1")
    rec.emit(35.0, "receipt", part_number="P1", depot_id="D1", source_kind="scheduled", quantity=3)

    assert only_row(order_outcomes(rec.to_frame()))["downtime_hours"] == 25.0


def test_only_stock_or_transfer_covering_the_whole_order_at_creation_is_a_fill_on_arrival() -> None:
    rec = Recorder()
    create(rec, 1.0, "split", quantity=2)
    allocate(rec, 1.0, "split", "stock")
    allocate(rec, 1.0, "split", "transfer")
    create(rec, 1.0, "partly", quantity=2)
    allocate(rec, 1.0, "partly", "stock")
    allocate(rec, 1.5, "partly", "stock")
    create(rec, 1.0, "bought", quantity=1)
    allocate(rec, 1.0, "bought", "expedite")
    rec.emit(10.0, "end")

    outcomes = order_outcomes(rec.to_frame()).set_index("order_id")

    assert outcomes["filled_on_arrival"].to_dict() == {
        "split": True,
        "partly": False,
        "bought": False,
    }


def test_replications_are_kept_apart_even_with_the_same_order_ids() -> None:
    first, second = Recorder(replication=0), Recorder(replication=1)
    create(first, 0.0, "O1")
    restore(first, 4.0, "O1")
    first.emit(10.0, "end")
    create(second, 1.0, "O1")
    second.emit(30.0, "end")
    records = pd.concat([first.to_frame(), second.to_frame()], ignore_index=True)

    outcomes = order_outcomes(records)

    assert outcomes[["replication", "order_id", "restored", "downtime_hours"]].to_dict(
        "records"
    ) == [
        {"replication": 0, "order_id": "O1", "restored": True, "downtime_hours": 4.0},
        {"replication": 1, "order_id": "O1", "restored": False, "downtime_hours": 29.0},
    ]


def test_created_between_keeps_orders_from_its_start_up_to_but_not_including_its_end() -> None:
    rec = Recorder()
    for at, order_id in [(-5.0, "backlog"), (0.0, "first"), (50.0, "middle"), (100.0, "drain")]:
        create(rec, at, order_id)
    rec.emit(200.0, "end")

    outcomes = order_outcomes(rec.to_frame(), created_between=(0.0, 100.0))

    assert outcomes["order_id"].tolist() == ["first", "middle"]
    assert outcomes.index.tolist() == [0, 1]


def test_outcomes_have_the_documented_columns_even_without_orders() -> None:
    rec = Recorder()
    rec.emit(10.0, "end")

    outcomes = order_outcomes(rec.to_frame())

    assert outcomes.empty
    assert list(outcomes.columns) == [
        "replication",
        "order_id",
        "customer_id",
        "country",
        "priority_class",
        "tier",
        "part_number",
        "quantity",
        "created",
        "restored",
        "downtime_hours",
        "allocated_units",
        "delivered_units",
        "filled_on_arrival",
        "cost",
        "broker_units",
        "expedited_units",
        "lost_units",
        "emergency_units",
        "depot_id",
        "lost_code",
        "code",
    ]


def test_records_with_plain_text_columns_give_the_same_outcomes_as_categories() -> None:
    rec = Recorder()
    create(rec, 0.0, "O1", quantity=2)
    allocate(rec, 0.0, "O1", "broker", quantity=2, money=10.0)
    fail(rec, 3.0, "O1", quantity=2, money=10.0)
    create(rec, 1.0, "O2")
    allocate(rec, 1.0, "O2", "stock")
    restore(rec, 2.0, "O2")
    rec.emit(9.0, "end")
    categorical = rec.to_frame()
    plain = categorical.astype(
        {
            name: object
            for name in categorical.columns
            if name not in ("replication", "time", "quantity", "money")
        }
    )

    expected = order_outcomes(categorical)
    got = order_outcomes(plain)

    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_categorical=False)


def test_an_order_created_twice_in_one_replication_is_refused() -> None:
    rec = Recorder()
    create(rec, 0.0, "O1")
    create(rec, 1.0, "O1")

    with pytest.raises(ValueError, match="'O1' is created twice"):
        order_outcomes(rec.to_frame())


# kpis -------------------------------------------------------------------------------------


def outcomes_frame(rows: list[tuple[int, str, float, bool]]) -> pd.DataFrame:
    """Outcomes from (replication, priority_class, downtime, restored) rows."""
    return pd.DataFrame(
        {
            "replication": [r[0] for r in rows],
            "order_id": [f"O{i}" for i in range(len(rows))],
            "priority_class": [r[1] for r in rows],
            "tier": ["PM" if r[1] == "parts_priority" else "PA" for r in rows],
            "quantity": [1 + i % 2 for i in range(len(rows))],
            "restored": [r[3] for r in rows],
            "downtime_hours": [r[2] for r in rows],
            "filled_on_arrival": [r[2] == 0.0 for r in rows],
            "cost": [10.0 * (i + 1) for i in range(len(rows))],
            "broker_units": [i % 3 for i in range(len(rows))],
            "expedited_units": [i % 2 for i in range(len(rows))],
        }
    )


def test_kpis_per_class_give_downtime_statistics_target_share_and_fill_rate() -> None:
    downtimes = [0.0, 10.0, 20.0, 30.0, 200.0]
    outcomes = outcomes_frame(
        [(0, "parts_priority", d, True) for d in downtimes] + [(0, "standard", 40.0, False)]
    )

    table = kpis(outcomes, target_hours=20.0).set_index("priority_class")

    pp = table.loc["parts_priority"]
    assert pp["orders"] == 5
    assert pp["units"] == 1 + 2 + 1 + 2 + 1
    assert pp["mean_downtime_hours"] == 52.0
    assert pp["p50_downtime_hours"] == 20.0
    assert pp["p90_downtime_hours"] == np.percentile(downtimes, 90)
    assert pp["p99_downtime_hours"] == np.percentile(downtimes, 99)
    assert pp["within_target"] == 3 / 5
    assert pp["fill_rate"] == 1 / 5
    assert pp["restored_share"] == 1.0
    assert pp["cost"] == 150.0
    assert (pp["broker_units"], pp["expedited_units"]) == (0 + 1 + 2 + 0 + 1, 0 + 1 + 0 + 1 + 0)
    standard = table.loc["standard"]
    assert (standard["within_target"], standard["restored_share"]) == (0.0, 0.0)


def test_a_censored_order_never_counts_as_restored_within_the_target() -> None:
    outcomes = outcomes_frame([(0, "standard", 5.0, False)])

    assert kpis(outcomes, target_hours=48.0)["within_target"].tolist() == [0.0]


def test_kpis_have_one_row_per_replication_and_group_with_the_documented_columns() -> None:
    outcomes = outcomes_frame(
        [(0, "standard", 1.0, True), (1, "standard", 2.0, True), (1, "parts_priority", 3.0, True)]
    )

    table = kpis(outcomes)

    assert list(table.columns) == [
        "replication",
        "priority_class",
        "orders",
        "units",
        "mean_downtime_hours",
        "p50_downtime_hours",
        "p90_downtime_hours",
        "p99_downtime_hours",
        "within_target",
        "fill_rate",
        "restored_share",
        "cost",
        "broker_units",
        "expedited_units",
        "lost_orders",
        "lost_units",
        "emergency_units",
    ]
    assert table[["replication", "priority_class"]].values.tolist() == [
        [0, "standard"],
        [1, "parts_priority"],
        [1, "standard"],
    ]


def test_kpis_without_groups_give_one_row_per_replication_in_group_all() -> None:
    outcomes = outcomes_frame(
        [(0, "standard", 1.0, True), (0, "parts_priority", 3.0, True), (1, "standard", 2.0, True)]
    )

    table = kpis(outcomes, by=None)

    assert table[["replication", "group", "orders"]].values.tolist() == [
        [0, "all", 2],
        [1, "all", 1],
    ]
    assert table["mean_downtime_hours"].tolist() == [2.0, 2.0]


def test_kpis_group_by_several_columns_and_keep_orders_with_a_missing_value() -> None:
    outcomes = outcomes_frame([(0, "standard", 1.0, True), (0, "standard", 2.0, True)])
    outcomes.loc[1, "tier"] = None

    table = kpis(outcomes, by=["priority_class", "tier"])

    assert table["orders"].tolist() == [1, 1]
    assert table["tier"].isna().tolist() == [False, True]


def test_kpis_name_a_group_column_that_does_not_exist() -> None:
    with pytest.raises(ValueError, match="'planet'"):
        kpis(outcomes_frame([(0, "standard", 1.0, True)]), by="planet")


@st.composite
def random_outcomes(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, 2),
                st.sampled_from(["parts_priority", "standard", "x"]),
                st.sampled_from([0.0, 1.0, 2.5, 48.0]) | st.floats(0, 1e4, allow_nan=False),
                st.booleans(),
            ),
            min_size=1,
            max_size=40,
        )
    )
    return outcomes_frame(rows)


@PROPERTY_SETTINGS
@given(outcomes=random_outcomes(), by=st.sampled_from(["priority_class", "tier", None]))
def test_kpis_account_for_every_order_and_match_numpy_percentiles(
    outcomes: pd.DataFrame, by: str | None
) -> None:
    table = kpis(outcomes, by=by)

    assert table["orders"].sum() == len(outcomes)
    assert table["units"].sum() == outcomes["quantity"].sum()
    assert table["cost"].sum() == pytest.approx(outcomes["cost"].sum())
    column = by or "group"
    keyed = outcomes.assign(group="all")
    hours_of = {
        key: group["downtime_hours"].to_numpy()
        for key, group in keyed.groupby(["replication", column], sort=False)
    }
    assert len(table) == len(hours_of)
    for row in table.to_dict("records"):
        hours = hours_of[(row["replication"], row[column])]
        assert row["orders"] == len(hours)
        for p in (50, 90, 99):
            assert row[f"p{p}_downtime_hours"] == np.percentile(hours, p)
        assert row["p50_downtime_hours"] <= row["p90_downtime_hours"] <= row["p99_downtime_hours"]


# cost_by_source ---------------------------------------------------------------------------


def test_cost_by_source_sums_units_and_money_per_replication_net_of_failed_buys() -> None:
    first, second = Recorder(replication=0), Recorder(replication=1)
    create(first, 0.0, "O1", quantity=3)
    allocate(first, 0.0, "O1", "stock", quantity=1, money=20.0)
    allocate(first, 0.0, "O1", "broker", quantity=2, money=300.0)
    fail(first, 9.0, "O1", quantity=2, money=300.0)
    allocate(first, 10.0, "O1", "broker", quantity=1, money=150.0)
    allocate(first, 10.0, "O1", "expedite", quantity=1, money=80.0)
    create(second, 0.0, "O1")
    allocate(second, 0.0, "O1", "transfer", quantity=1, money=35.0)
    records = pd.concat([first.to_frame(), second.to_frame()], ignore_index=True)

    costs = cost_by_source(records)

    assert list(costs.columns) == ["replication", "source_kind", "units", "money"]
    assert costs.astype({"source_kind": str}).values.tolist() == [
        [0, "stock", 1, 20.0],
        [0, "expedite", 1, 80.0],
        [0, "broker", 1, 150.0],
        [1, "transfer", 1, 35.0],
    ]


# speed ------------------------------------------------------------------------------------


def synthetic_records(orders_count: int, seed: int) -> pd.DataFrame:
    """About four rows per order: created, allocated, delivered, restored (most), one end."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"O{i}" for i in range(orders_count)], dtype=object)
    created = np.sort(rng.uniform(0, 8760, orders_count))
    allocated = created + rng.exponential(10, orders_count)
    delivered = allocated + rng.exponential(24, orders_count)
    done = delivered < 8760
    n_rows = 3 * orders_count + int(done.sum()) + 1
    text = {name: np.full(n_rows, None, dtype=object) for name in COLUMNS}
    blocks = [orders_count, orders_count, orders_count, int(done.sum())]
    text["event"] = np.repeat(
        np.array(["order_created", "allocated", "delivered", "restored", "end"], dtype=object),
        [*blocks, 1],
    )
    text["order_id"] = np.concatenate([ids, ids, ids, ids[done], [None]])
    source = rng.choice(
        np.array(["stock", "transfer", "broker", "expedite"], dtype=object), orders_count
    )
    text["source_kind"] = np.concatenate(
        [np.full(orders_count, None), source, source, np.full(blocks[3] + 1, None)]
    )
    text["priority_class"] = np.concatenate(
        [
            rng.choice(np.array(["parts_priority", "standard"], dtype=object), orders_count),
            np.full(n_rows - orders_count, None),
        ]
    )
    frame = pd.DataFrame({name: pd.Categorical(values) for name, values in text.items()})
    frame["replication"] = 0
    frame["time"] = np.concatenate([created, allocated, delivered, delivered[done] + 2.0, [8760.0]])
    frame["quantity"] = np.concatenate(
        [np.ones(3 * orders_count, np.int64), np.zeros(blocks[3] + 1, np.int64)]
    )
    frame["money"] = frame["quantity"] * 10.0
    return frame[list(COLUMNS)]


@pytest.mark.slow
def test_a_million_records_become_outcomes_and_backorders_in_well_under_two_seconds() -> None:
    records = synthetic_records(260_000, seed=7)
    assert len(records) > 1_000_000

    started = time.perf_counter()
    outcomes = order_outcomes(records)
    kpis(outcomes)
    backorders_over_time(records)
    elapsed = time.perf_counter() - started

    assert len(outcomes) == 260_000
    assert elapsed < 2.0
