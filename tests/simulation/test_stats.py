"""Confidence intervals over replications, checked against SciPy."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from simulation.stats import (
    paired_difference,
    summarize,
    summary_document,
    t_quantile,
)

pytestmark = pytest.mark.fast

LEVELS = (0.5, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999, 0.9999)


@pytest.mark.parametrize("level", LEVELS)
def test_the_t_quantile_matches_scipy_for_1_to_200_degrees_of_freedom(level: float) -> None:
    probability = 0.5 + level / 2
    degrees = np.arange(1, 201)

    ours = np.array([t_quantile(probability, float(df)) for df in degrees])
    lower = np.array([t_quantile(1 - probability, float(df)) for df in degrees])

    expected = scipy_stats.t.ppf(probability, degrees)
    np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(
        lower, scipy_stats.t.ppf(1 - probability, degrees), rtol=1e-9, atol=1e-9
    )


@pytest.mark.parametrize("df", [0.3, 1.5, 2.5, 7.25, 500.0, 5000.0])
@pytest.mark.parametrize("probability", [1e-6, 0.01, 0.3, 0.7, 0.99, 1 - 1e-6])
def test_the_t_quantile_matches_scipy_for_fractional_and_large_degrees_and_far_tails(
    df: float, probability: float
) -> None:
    assert t_quantile(probability, df) == pytest.approx(
        scipy_stats.t.ppf(probability, df), rel=1e-9, abs=1e-9
    )


def test_the_t_quantile_of_one_half_is_zero() -> None:
    assert t_quantile(0.5, 4.0) == 0.0


@pytest.mark.parametrize(
    ("probability", "df"),
    [(0.0, 3), (1.0, 3), (1.5, 3), (0.9, 0), (0.9, -2), (0.9, math.inf), (0.9, math.nan)],
)
def test_the_t_quantile_refuses_an_impossible_probability_or_degrees(
    probability: float, df: float
) -> None:
    with pytest.raises(ValueError, match="must be"):
        t_quantile(probability, df)


def per_replication_kpis(seed: int, replications: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for replication in range(replications):
        for priority_class, mean in (("parts_priority", 20.0), ("standard", 60.0)):
            rows.append(
                {
                    "replication": replication,
                    "priority_class": priority_class,
                    "orders": int(rng.integers(50, 100)),
                    "mean_downtime_hours": float(rng.normal(mean, 5.0)),
                    "fill_rate": float(rng.uniform(0.5, 0.9)),
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("level", [0.8, 0.95, 0.99])
def test_summarize_gives_the_student_t_interval_of_every_kpi_per_group(level: float) -> None:
    per_rep = per_replication_kpis(seed=3)

    summary = summarize(per_rep, by=["priority_class"], level=level)

    assert list(summary.columns) == [
        "priority_class",
        "kpi",
        "replications",
        "mean",
        "ci_low",
        "ci_high",
    ]
    assert summary[["priority_class", "kpi"]].values.tolist() == [
        ["parts_priority", "orders"],
        ["parts_priority", "mean_downtime_hours"],
        ["parts_priority", "fill_rate"],
        ["standard", "orders"],
        ["standard", "mean_downtime_hours"],
        ["standard", "fill_rate"],
    ]
    for row in summary.to_dict("records"):
        values = per_rep.loc[per_rep["priority_class"] == row["priority_class"], row["kpi"]]
        low, high = scipy_stats.t.interval(
            level, len(values) - 1, loc=values.mean(), scale=scipy_stats.sem(values)
        )
        assert row["replications"] == 7
        assert row["mean"] == pytest.approx(values.mean(), rel=1e-12)
        assert row["ci_low"] == pytest.approx(low, rel=1e-9)
        assert row["ci_high"] == pytest.approx(high, rel=1e-9)


def test_with_one_replication_the_interval_is_unknown_but_the_mean_is_not() -> None:
    per_rep = per_replication_kpis(seed=1, replications=1)

    summary = summarize(per_rep, by="priority_class")

    assert summary["mean"].notna().all()
    assert summary["ci_low"].isna().all()
    assert summary["ci_high"].isna().all()


def test_a_kpi_equal_in_every_replication_has_an_interval_of_zero_width() -> None:
    per_rep = pd.DataFrame({"replication": [0, 1, 2], "group": "all", "fill_rate": 0.25})

    row = summarize(per_rep, by="group").iloc[0]

    assert (row["mean"], row["ci_low"], row["ci_high"]) == (0.25, 0.25, 0.25)


def test_summarize_refuses_groups_that_repeat_a_replication() -> None:
    per_rep = per_replication_kpis(seed=2)

    with pytest.raises(ValueError, match="more than one row per replication"):
        summarize(per_rep, by=[])


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=30),
    level=st.sampled_from([0.5, 0.9, 0.95, 0.99]),
)
def test_an_interval_is_centred_on_the_mean_and_widens_with_the_level(
    values: list[float], level: float
) -> None:
    per_rep = pd.DataFrame({"replication": range(len(values)), "x": values})

    narrow = summarize(per_rep, by=[], level=level).iloc[0]
    wide = summarize(per_rep, by=[], level=0.999).iloc[0]

    assert narrow["ci_low"] <= narrow["mean"] <= narrow["ci_high"]
    assert narrow["ci_high"] - narrow["mean"] == pytest.approx(
        narrow["mean"] - narrow["ci_low"], abs=1e-6
    )
    assert wide["ci_high"] - wide["ci_low"] >= narrow["ci_high"] - narrow["ci_low"]


def test_the_summary_document_nests_group_kpi_and_interval_with_plain_numbers() -> None:
    per_rep = pd.DataFrame(
        {
            "replication": [0, 1, 0],
            "priority_class": ["parts_priority", "parts_priority", "standard"],
            "orders": [10, 20, 7],
        }
    )

    document = summary_document(summarize(per_rep, by="priority_class"))

    # Two values 10 and 20: standard deviation 10/√2, standard error 5.
    half = scipy_stats.t.ppf(0.975, 1) * 5.0
    assert document["standard"] == {"orders": {"mean": 7.0, "ci_low": None, "ci_high": None}}
    interval = document["parts_priority"]["orders"]
    assert list(interval) == ["mean", "ci_low", "ci_high"]
    assert interval["mean"] == 15.0
    assert interval["ci_low"] == pytest.approx(15.0 - half)
    assert interval["ci_high"] == pytest.approx(15.0 + half)
    assert all(type(value) is float for value in interval.values())


def test_the_summary_document_names_groups_of_several_columns_and_summaries_without_groups() -> (
    None
):
    per_rep = pd.DataFrame(
        {
            "replication": [0, 0],
            "priority_class": ["standard"] * 2,
            "tier": ["PA", None],
            "orders": [1, 2],
        }
    )

    by_two = summary_document(summarize(per_rep, by=["priority_class", "tier"]))
    overall = summary_document(summarize(per_rep[["replication", "orders"]].iloc[:1], by=[]))

    assert list(by_two) == ["standard/PA", "standard/unknown"]
    assert overall == {"all": {"orders": {"mean": 1.0, "ci_low": None, "ci_high": None}}}


def test_a_paired_difference_is_the_t_interval_of_b_minus_a_per_replication() -> None:
    rng = np.random.default_rng(5)
    shared = rng.normal(50.0, 20.0, size=8)  # the same demand under both policies
    a = pd.DataFrame(
        {
            "replication": range(8),
            "priority_class": "parts_priority",
            "mean_downtime_hours": shared + 10.0 + rng.normal(0, 1, 8),
        }
    )
    b = a.assign(mean_downtime_hours=shared + rng.normal(0, 1, 8))

    row = paired_difference(a, b, by="priority_class").iloc[0]

    differences = b["mean_downtime_hours"] - a["mean_downtime_hours"]
    low, high = scipy_stats.t.interval(
        0.95, 7, loc=differences.mean(), scale=scipy_stats.sem(differences)
    )
    assert row["kpi"] == "mean_downtime_hours"
    assert row["replications"] == 8
    assert row["mean"] == pytest.approx(differences.mean())
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    # Pairing removes the shared noise: the difference is clearly below zero.
    assert row["ci_high"] < 0
    separate = summarize(b, by="priority_class").iloc[0]
    assert high - low < separate["ci_high"] - separate["ci_low"]


def test_a_paired_difference_compares_only_replications_both_policies_have() -> None:
    a = pd.DataFrame({"replication": [0, 1, 2], "group": "all", "cost": [10.0, 20.0, 30.0]})
    b = pd.DataFrame({"replication": [1, 2, 3], "group": "all", "cost": [25.0, 31.0, 99.0]})

    row = paired_difference(a, b, by="group").iloc[0]

    assert row["replications"] == 2
    assert row["mean"] == 3.0
