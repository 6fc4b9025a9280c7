"""The confidence intervals and the expected landing of a late reorder are SciPy's numbers.

The Student-t quantile and the incomplete gamma function used to be written by hand; they
are SciPy's now, and these tests pin that: the t factor is ``scipy.stats.t.ppf``'s, and the
expected lead time of a late gamma reorder is the textbook ``kθ·Q(k+1, x)/Q(k, x)``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import special
from scipy import stats as scipy_stats

from simulation.stats import summarize, t_quantile
from simulation.world.sampling import ExpectedLead, expected_lead_time

pytestmark = pytest.mark.fast


@pytest.mark.parametrize("df", [1.0, 2.0, 3.0, 9.0, 29.0, 0.5, 1e6])
@pytest.mark.parametrize("probability", [1e-12, 0.025, 0.3, 0.7, 0.975, 1 - 1e-12])
def test_the_t_quantile_is_scipys(df: float, probability: float) -> None:
    assert t_quantile(probability, df) == pytest.approx(
        scipy_stats.t.ppf(probability, df), rel=1e-12
    )


def test_an_interval_from_ten_replications_is_the_mean_plus_or_minus_scipys_t_factor() -> None:
    values = np.arange(10, dtype=np.float64) ** 1.5
    per_rep = pd.DataFrame({"replication": range(10), "group": ["all"] * 10, "kpi": values})

    row = summarize(per_rep, by="group", level=0.9).iloc[0]

    half = scipy_stats.t.ppf(0.95, 9) * values.std(ddof=1) / math.sqrt(10)
    assert row["ci_high"] - row["mean"] == pytest.approx(half, rel=1e-12)
    assert row["mean"] - row["ci_low"] == pytest.approx(half, rel=1e-12)


def test_one_replication_gives_no_interval() -> None:
    per_rep = pd.DataFrame({"replication": [0], "group": ["all"], "kpi": [3.0]})

    row = summarize(per_rep, by="group").iloc[0]

    assert math.isnan(row["ci_low"])
    assert math.isnan(row["ci_high"])


@pytest.mark.parametrize("cv", [0.1, 0.3, 1.0, 1.5])
@pytest.mark.parametrize("elapsed", [1.0, 200.0, 336.0, 600.0, 2000.0])
def test_a_late_gamma_reorder_is_expected_at_the_mean_residual_lead_time(
    cv: float, elapsed: float
) -> None:
    mean = 336.0
    shape = 1 / cv**2
    x = elapsed / (mean / shape)

    # E[L | L > e] = E[L·1{L > e}] / P(L > e) = kθ·Q(k+1, x) / Q(k, x).
    want = mean * special.gammaincc(shape + 1, x) / special.gammaincc(shape, x)

    assert expected_lead_time(mean, cv, "gamma", elapsed) == pytest.approx(want, rel=1e-12)


def test_a_reorder_later_than_any_lead_time_ever_drawn_is_as_good_as_due_now() -> None:
    # Q(11.1, 1e5 / 30.3) underflows: the truck is as good as due now, and nothing fails.
    assert expected_lead_time(336.0, 0.3, "gamma", 1e5) == 1e5
    assert ExpectedLead(0.3, "gamma")(336.0, 1e5) == 1e5
