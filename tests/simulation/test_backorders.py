"""Backorders over time, from hand-written event timelines and random ones checked against a
brute-force count written independently of the vectorised code."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.metrics import backorders_over_time, order_outcomes
from simulation.records import Recorder
from tests.simulation.timelines import allocate, create, fail

pytestmark = pytest.mark.fast

PROPERTY_SETTINGS = settings(max_examples=25, deadline=None)


def test_backorders_count_orders_short_of_units_at_each_grid_point() -> None:
    rec = Recorder()
    create(rec, -10.0, "backlog", priority_class="parts_priority")
    allocate(rec, 24.0, "backlog", "stock")
    create(rec, 5.0, "bought", priority_class="standard")
    allocate(rec, 5.0, "bought", "broker")
    fail(rec, 30.0, "bought")
    allocate(rec, 60.0, "bought", "stock")
    rec.emit(100.0, "end")

    series = backorders_over_time(rec.to_frame(), step_hours=24.0)

    assert list(series.columns) == ["replication", "priority_class", "time", "backorders"]
    by_class = {
        name: group["backorders"].tolist()
        for name, group in series.groupby("priority_class", observed=True)
    }
    assert series["time"].unique().tolist() == [0.0, 24.0, 48.0, 72.0, 96.0]
    # The backlog order waits from before the start until its allocation at exactly 24.
    assert by_class["parts_priority"] == [1, 0, 0, 0, 0]
    # The broker buy covers the order at once, fails at 30, stock covers it again at 60.
    assert by_class["standard"] == [0, 0, 1, 0, 0]


def test_a_partly_allocated_order_still_counts_as_a_backorder() -> None:
    rec = Recorder()
    create(rec, 0.0, "O1", quantity=3)
    allocate(rec, 0.0, "O1", "stock", quantity=2)
    allocate(rec, 10.0, "O1", "transfer", quantity=1)
    rec.emit(10.0, "end")

    series = backorders_over_time(rec.to_frame(), step_hours=5.0, by=None)

    assert series[["group", "time", "backorders"]].values.tolist() == [
        ["all", 0.0, 1],
        ["all", 5.0, 1],
        ["all", 10.0, 0],
    ]


def test_a_group_without_orders_in_one_replication_shows_zeros_there() -> None:
    first, second = Recorder(replication=0), Recorder(replication=1)
    create(first, 0.0, "O1", priority_class="parts_priority")
    first.emit(24.0, "end")
    create(second, 0.0, "O1", priority_class="standard")
    second.emit(48.0, "end")
    records = pd.concat([first.to_frame(), second.to_frame()], ignore_index=True)

    series = backorders_over_time(records, step_hours=24.0)

    assert series.astype({"priority_class": str}).values.tolist() == [
        [0, "parts_priority", 0.0, 1],
        [0, "parts_priority", 24.0, 1],
        [0, "standard", 0.0, 0],
        [0, "standard", 24.0, 0],
        [1, "parts_priority", 0.0, 0],
        [1, "parts_priority", 24.0, 0],
        [1, "parts_priority", 48.0, 0],
        [1, "standard", 0.0, 1],
        [1, "standard", 24.0, 1],
        [1, "standard", 48.0, 1],
    ]


def test_backorders_refuse_a_step_that_is_not_a_positive_number_of_hours() -> None:
    rec = Recorder()
    rec.emit(1.0, "end")
    with pytest.raises(ValueError, match="step_hours"):
        backorders_over_time(rec.to_frame(), step_hours=0.0)


# An order as (created, quantity, class, allocations); an allocation as (delay after creation,
# units, source, hours until the purchase fails or None).
allocations = st.lists(
    st.tuples(
        st.integers(0, 60).map(float),
        st.integers(1, 3),
        st.sampled_from(["stock", "broker"]),
        st.none() | st.integers(0, 40).map(float),
    ),
    max_size=3,
)
orders = st.lists(
    st.tuples(
        st.integers(-20, 80).map(float),
        st.integers(1, 3),
        st.sampled_from(["parts_priority", "standard"]),
        allocations,
    ),
    max_size=12,
)


def emit_random_timeline(rec: Recorder, spec: list, end: float) -> None:
    for index, (created, quantity, priority_class, allocs) in enumerate(spec):
        create(rec, created, f"O{index}", quantity=quantity, priority_class=priority_class)
        for delay, units, source, fails_after in allocs:
            allocate(rec, created + delay, f"O{index}", source, quantity=units, money=units * 7.0)
            if source == "broker" and fails_after is not None:
                fail(
                    rec,
                    created + delay + fails_after,
                    f"O{index}",
                    quantity=units,
                    money=units * 7.0,
                )
    rec.emit(end, "end")


def brute_force_backorders(spec: list, priority_class: str, at: float) -> int:
    count = 0
    for created, quantity, cls, allocs in spec:
        if cls != priority_class or created > at:
            continue
        units = 0
        for delay, n, source, fails_after in allocs:
            if created + delay <= at:
                units += n
            if (
                source == "broker"
                and fails_after is not None
                and created + delay + fails_after <= at
            ):
                units -= n
        count += units < quantity
    return count


@PROPERTY_SETTINGS
@given(
    spec=st.lists(orders, min_size=1, max_size=2),
    end=st.integers(0, 200).map(float),
    step=st.sampled_from([1.0, 7.5, 24.0]),
)
def test_backorders_are_never_negative_and_match_a_brute_force_count(
    spec: list, end: float, step: float
) -> None:
    recorders = [Recorder(replication=r) for r in range(len(spec))]
    for rec, timeline in zip(recorders, spec, strict=True):
        emit_random_timeline(rec, timeline, end)
    records = pd.concat([rec.to_frame() for rec in recorders], ignore_index=True)

    series = backorders_over_time(records, step_hours=step)

    assert (series["backorders"] >= 0).all()
    for row in series.to_dict("records"):
        expected = brute_force_backorders(
            spec[row["replication"]], row["priority_class"], row["time"]
        )
        assert row["backorders"] == expected
    grid = np.arange(int(end // step) + 1) * step
    classes = {cls for timeline in spec for _, _, cls, _ in timeline}
    assert len(series) == len(spec) * len(classes) * len(grid)


@PROPERTY_SETTINGS
@given(spec=orders, end=st.integers(0, 200).map(float))
def test_allocated_units_and_cost_are_net_of_failed_purchases(spec: list, end: float) -> None:
    rec = Recorder()
    emit_random_timeline(rec, spec, end)

    outcomes = order_outcomes(rec.to_frame())

    for index, (_, _, _, allocs) in enumerate(spec):
        kept = [
            (n, source)
            for _, n, source, fails_after in allocs
            if not (source == "broker" and fails_after is not None)
        ]
        row = outcomes.iloc[index]
        assert row["allocated_units"] == sum(n for n, _ in kept)
        assert row["cost"] == pytest.approx(7.0 * sum(n for n, _ in kept))
        assert row["broker_units"] == sum(n for n, source in kept if source == "broker")
