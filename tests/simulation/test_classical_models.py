"""The simulator agrees with the classical closed-form models of one-for-one base stock.

One depot, one part, Poisson demand, base stock S, every unit that leaves the shelf reordered
at once. Each test states a model, computes its answer with SciPy/NumPy independently of the
simulator, and requires the simulated KPI's 99 % confidence interval over replications to
contain it and to be narrow enough to tell the model from its nearest wrong neighbour:

- **Erlang's loss system** (lost sales, ``unmet_demand: {standard: {outcome: lost}}``): the
  units on order form an M/G/S/S loss system, so the share of demand lost is Erlang's B
  formula ``B(S, λL)`` whatever the lead-time law (insensitivity) — fixed, exponential and
  gamma (cv 0.5) lead times of the same mean give the same share.
- **Emergency supply** (``outcome: emergency``): the same share ``B`` of units comes from the
  emergency channel, and, with no repair time, the mean downtime is ``B`` times its lead time.
- **A repair shop of c servers** (``replenishment.servers``): with exponential repair times of
  rate μ the units in the shop follow the M/M/c queue; a demand is filled at once with
  probability ``P(N <= S - 1)`` (PASTA) and waits on average ``E[(N - S)+] / λ`` (Little).
- **Two classes with a critical level** (Dekker, Hill and Kleijn 1998): parts-priority and
  standard demand, both lost when not served at once, and a protection level c (the policy's
  ``protection``): a standard order is served only while more than c units are on hand. With
  exponential lead times the units on hand form a birth-death chain on 0..S; class 1 is
  filled with probability ``1 - P(0)``, class 2 with ``P(on hand > c)``.
- **Palm's theorem with a gamma lead time** (cv 0.5), completing
  ``test_queueing_theory.py``: Palm's theorem is insensitive to the lead-time law too.

Run lengths (replications × simulated days after the warm-up; orders ≈ rate × 24 × days per
replication). The default run took 32-53 s of test time on a loaded two-core machine, each slow
case 13-45 s:

======================  ====================================  ================================
model                   default run                           ``-m slow``
======================  ====================================  ================================
Erlang loss             λ=1/h, L=4 h, S=5, exponential;       fixed, exponential and gamma;
                        8 × 16 d                              16 × 40 d each
emergency channel       the same, gamma; 8 × 16 d             the three laws; 16 × 40 d each
M/M/c repair shop       λ=1.2/h, 1/μ=1 h, c=2, S=2; 8 × 25 d  S=2, 3, 4; 16 × 60 d each
critical level          λ1=0.4/h, λ2=0.8/h, 1/μ=4 h,          (S, c) = (5, 1) and (6, 2);
                        S=5, c=1; 8 × 25 d                    16 × 60 d each
Palm, gamma lead time   λ=1/h, L=4 h, S=4; 8 × 20 d           (λ, L, S) = (1, 4, 6), 16 × 100
                                                              d; (0.5, 24, 14), 16 × 150 d
======================  ====================================  ================================

Each check also names the nearest wrong model where there is one (backorders in place of lost
sales, unlimited servers, no protection level) and requires the interval to leave it out.

Every run warms up for several lead times (the system starts full, with nothing on order)
and makes the policy's ETA resolution fine, as ``test_queueing_theory.py`` explains: the
models assume stock on hand is always used first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation.results import SimulationResult
from simulation.use_cases import simulate
from tests.simulation.worlds import TinyWorld

LEVEL = 0.99
FINE_ETAS = {"eta_resolution_hours": 0.0001}

LEAD_TIMES: dict[str, dict[str, Any]] = {
    "fixed": {"distribution": "fixed"},
    "exponential": {"distribution": "exponential"},
    "gamma": {"distribution": "gamma", "cv": 0.5},
}


# -- theory ------------------------------------------------------------------------------


def erlang_b(servers: int, offered: float) -> float:
    """Erlang's B formula: the truncated Poisson's mass at ``servers``."""
    return float(stats.poisson.pmf(servers, offered) / stats.poisson.cdf(servers, offered))


def mmc_distribution(rate: float, service_rate: float, servers: int) -> np.ndarray:
    """Stationary distribution of the number in an M/M/c system (truncated far out)."""
    offered = rate / service_rate
    load = offered / servers
    assert load < 1
    top = servers + int(np.ceil(np.log(1e-16) / np.log(load))) + 10
    n = np.arange(top)
    weights = np.where(
        n <= servers,
        stats.poisson.pmf(n, offered),
        stats.poisson.pmf(servers, offered) * load ** np.clip(n - servers, 0, None),
    )
    return np.asarray(weights / weights.sum(), dtype=np.float64)


def mmc_base_stock(
    rate: float, service_rate: float, servers: int, base_stock: int
) -> tuple[float, float]:
    """Fill rate ``P(N <= S - 1)`` and mean wait ``E[(N - S)+] / λ`` (hours)."""
    p = mmc_distribution(rate, service_rate, servers)
    n = np.arange(len(p))
    fill = float(p[:base_stock].sum())
    backorders = float((np.clip(n - base_stock, 0, None) * p).sum())
    return fill, backorders / rate


def critical_level(
    priority_rate: float, standard_rate: float, lead_hours: float, base_stock: int, level: int
) -> tuple[float, float]:
    """Fill rates of the two classes under a critical level, lost sales, exponential lead
    times: the on-hand birth-death chain solved by detailed balance."""
    k = np.arange(base_stock + 1)
    up = (base_stock - k[:-1]) / lead_hours  # k -> k+1: one of S - k units on order lands
    down = np.where(k[1:] > level, priority_rate + standard_rate, priority_rate)  # k -> k-1
    pi = np.concatenate([[1.0], np.cumprod(up / down)])
    pi /= pi.sum()
    return float(1.0 - pi[0]), float(pi[level + 1 :].sum())


def palm_fill_and_wait(rate: float, lead_hours: float, base_stock: int) -> tuple[float, float]:
    """Palm's theorem: units on order are Poisson(λ·E[L]) whatever the lead-time law."""
    on_order = stats.poisson(rate * lead_hours)
    n = np.arange(int(on_order.ppf(1 - 1e-15)) + 10)
    p = on_order.pmf(n)
    return float(p[:base_stock].sum()), float((np.clip(n - base_stock, 0, None) * p).sum()) / rate


# -- simulation ----------------------------------------------------------------------------


def run(
    folder: Path,
    rates: list[tuple[str, float]],
    base_stock: int,
    lead_time: dict[str, Any],
    days: float,
    warmup_hours: float,
    replications: int,
    drain_days: float = 1.0,
    seed: int = 17,
    **scenario: Any,
) -> SimulationResult:
    """Simulate one depot and one part; ``rates`` are (customer, orders per hour)."""
    world = TinyWorld(
        stock={("P1", "D1"): base_stock},
        base_stock={("P1", "D1"): base_stock},
        rates=[(customer, "P1", per_hour * 24.0) for customer, per_hour in rates],
    )
    warmup = warmup_hours / 24.0
    options = dict(FINE_ETAS)
    options.update(scenario.pop("options", {}))
    replenishment = {"lead_time": lead_time, **scenario.pop("replenishment", {})}
    source = world.write(
        folder,
        horizon_days=warmup + days,
        warmup_days=warmup,
        drain_days=drain_days,
        replenishment=replenishment,
        replications=replications,
        seed=seed,
        policy={"options": options},
        **scenario,
    )
    return simulate(source)


def interval(values: pd.Series) -> tuple[float, float]:
    """Student-t confidence interval of a per-replication KPI's mean."""
    x = values.to_numpy(np.float64)
    half = stats.t.ppf(0.5 + LEVEL / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return float(x.mean() - half), float(x.mean() + half)


def bounds(summary: pd.DataFrame, key: Any) -> tuple[float, float]:
    """The confidence interval of one row of a summary indexed by KPI (and class)."""
    return float(summary.loc[key, "ci_low"]), float(summary.loc[key, "ci_high"])


def within(
    name: str,
    theory: float,
    low: float,
    high: float,
    width: float,
    wrong: float | None = None,
) -> None:
    """The interval holds the theory, is narrower than ``width`` and, given the answer of
    the nearest wrong model (``wrong``), leaves it out (numbers shown with ``-s``)."""
    print(f"{name}: theory {theory:.4f}, simulated [{low:.4f}, {high:.4f}], wrong {wrong}")
    assert low <= theory <= high, f"{name}: theory {theory:.4f} outside [{low:.4f}, {high:.4f}]"
    assert high - low < width, f"{name}: interval [{low:.4f}, {high:.4f}] too wide to test"
    if wrong is not None:
        assert not low <= wrong <= high, f"{name}: the wrong model's {wrong:.4f} fits too"


def lead(distribution: str, mean_hours: float) -> dict[str, Any]:
    return {**LEAD_TIMES[distribution], "mean_hours": mean_hours}


# -- Erlang's loss system ------------------------------------------------------------------

RATE, LEAD, STOCK = 1.0, 4.0, 5  # offered load 4: B(5, 4) = 0.199
#: With backorders in place of lost sales a demand finds no stock with probability P(N >= S)
#: for N ~ Poisson(λL) (Palm): 0.371 here.
STOCKOUT_WITH_BACKORDERS = float(stats.poisson.sf(STOCK - 1, RATE * LEAD))


def check_erlang_loss(
    folder: Path, distribution: str, days: float, replications: int, width: float
) -> None:
    result = run(
        folder,
        [("STD", RATE)],
        STOCK,
        lead(distribution, LEAD),
        days=days,
        warmup_hours=6 * LEAD,
        replications=replications,
        unmet_demand={"standard": {"outcome": "lost"}},
    )
    theory = erlang_b(STOCK, RATE * LEAD)
    kpis = result.kpis(by=None)
    lost = interval(kpis["lost_orders"] / kpis["orders"])
    within("lost share", theory, *lost, width, wrong=STOCKOUT_WITH_BACKORDERS)
    summary = result.summary(by=None, level=LEVEL).set_index("kpi")
    low, high = bounds(summary, "fill_rate")
    within("1 - fill rate", theory, 1 - high, 1 - low, width, wrong=STOCKOUT_WITH_BACKORDERS)
    assert (kpis["lost_units"] == kpis["lost_orders"]).all()
    assert summary.loc["restored_share", "mean"] == 1.0


def test_lost_sales_share_is_erlangs_b(tmp_path: Path) -> None:
    check_erlang_loss(tmp_path, "exponential", days=16, replications=8, width=0.1)


@pytest.mark.slow
@pytest.mark.parametrize("distribution", list(LEAD_TIMES))
def test_lost_sales_share_is_erlangs_b_whatever_the_lead_time_law(
    tmp_path: Path, distribution: str
) -> None:
    check_erlang_loss(tmp_path, distribution, days=40, replications=16, width=0.05)


# -- emergency supply ----------------------------------------------------------------------

EMERGENCY_HOURS = 10.0


def check_emergency(
    folder: Path, distribution: str, days: float, replications: int, width: float
) -> None:
    result = run(
        folder,
        [("STD", RATE)],
        STOCK,
        lead(distribution, LEAD),
        days=days,
        warmup_hours=6 * LEAD,
        replications=replications,
        seed=29,  # not the lost-sales runs' demand: the depot would behave exactly the same
        unmet_demand={
            "standard": {
                "outcome": "emergency",
                "lead_time": {"distribution": "fixed", "mean_hours": EMERGENCY_HOURS},
                "unit_cost": 500.0,
            }
        },
    )
    theory = erlang_b(STOCK, RATE * LEAD)
    kpis = result.kpis(by=None)
    share = interval(kpis["emergency_units"] / kpis["units"])
    within("emergency share", theory, *share, width, wrong=STOCKOUT_WITH_BACKORDERS)
    summary = result.summary(by=None, level=LEVEL).set_index("kpi")
    assert summary.loc["lost_orders", "mean"] == 0
    assert summary.loc["restored_share", "mean"] == 1.0
    low, high = bounds(summary, "mean_downtime_hours")
    within(
        "mean downtime",
        theory * EMERGENCY_HOURS,
        low,
        high,
        width * EMERGENCY_HOURS,
        wrong=STOCKOUT_WITH_BACKORDERS * EMERGENCY_HOURS,
    )


def test_emergency_share_is_erlangs_b_and_downtime_its_lead_time(tmp_path: Path) -> None:
    check_emergency(tmp_path, "gamma", days=16, replications=8, width=0.1)


@pytest.mark.slow
@pytest.mark.parametrize("distribution", list(LEAD_TIMES))
def test_emergency_share_is_erlangs_b_whatever_the_lead_time_law(
    tmp_path: Path, distribution: str
) -> None:
    check_emergency(tmp_path, distribution, days=40, replications=16, width=0.05)


# -- a repair shop of c servers: M/M/c -----------------------------------------------------


def check_repair_shop(
    folder: Path,
    base_stock: int,
    days: float,
    replications: int,
    widths: tuple[float, float],
) -> None:
    rate, service_hours, servers = 1.2, 1.0, 2  # load 0.6
    result = run(
        folder,
        [("STD", rate)],
        base_stock,
        {"distribution": "exponential", "mean_hours": service_hours},
        days=days,
        warmup_hours=48.0,
        replications=replications,
        replenishment={"servers": servers},
    )
    fill, wait = mmc_base_stock(rate, 1.0 / service_hours, servers, base_stock)
    # The nearest wrong model: unlimited servers, Palm's theorem.
    palm_fill, palm_wait = palm_fill_and_wait(rate, service_hours, base_stock)
    summary = result.summary(by=None, level=LEVEL).set_index("kpi")
    assert summary.loc["restored_share", "mean"] == 1.0
    for kpi, theory, width, wrong in (
        ("fill_rate", fill, widths[0], palm_fill),
        ("mean_downtime_hours", wait, widths[1] * wait, palm_wait),
    ):
        low, high = bounds(summary, kpi)
        within(kpi, theory, low, high, width, wrong)


def test_a_repair_shop_of_c_servers_is_an_mmc_queue(tmp_path: Path) -> None:
    # S = 2: fill 0.55, wait 0.56 h (with unlimited servers: 0.66 and 0.14 h).
    check_repair_shop(tmp_path, 2, days=25, replications=8, widths=(0.12, 1.0))


@pytest.mark.slow
@pytest.mark.parametrize("base_stock", [2, 3, 4])
def test_a_repair_shop_of_c_servers_is_an_mmc_queue_over_long_runs(
    tmp_path: Path, base_stock: int
) -> None:
    check_repair_shop(tmp_path, base_stock, days=60, replications=16, widths=(0.06, 0.6))


# -- two classes, a critical level ---------------------------------------------------------


def check_critical_level(
    folder: Path,
    base_stock: int,
    level: int,
    days: float,
    replications: int,
    width: float,
) -> None:
    priority_rate, standard_rate, lead_hours = 0.4, 0.8, 4.0
    protection = {"levels": [{"depot_id": "D1", "part_number": "P1", "level": level}]}
    result = run(
        folder,
        [("PM", priority_rate), ("STD", standard_rate)],
        base_stock,
        {"distribution": "exponential", "mean_hours": lead_hours},
        days=days,
        warmup_hours=6 * lead_hours,
        replications=replications,
        options={"protection": protection},
        unmet_demand={"parts_priority": {"outcome": "lost"}, "standard": {"outcome": "lost"}},
    )
    fills = critical_level(priority_rate, standard_rate, lead_hours, base_stock, level)
    # The nearest wrong model: no protection, both classes filled as in Erlang's loss system.
    unprotected = 1.0 - erlang_b(base_stock, (priority_rate + standard_rate) * lead_hours)
    summary = result.summary(by="priority_class", level=LEVEL).set_index(["priority_class", "kpi"])
    for klass, theory in zip(("parts_priority", "standard"), fills, strict=True):
        low, high = bounds(summary, (klass, "fill_rate"))
        within(f"{klass} fill rate", theory, low, high, width, wrong=unprotected)
    kpis = result.kpis()
    # Every order is filled at once or lost: none waits.
    filled = kpis["orders"] * kpis["fill_rate"]
    assert np.allclose(kpis["lost_orders"] + filled, kpis["orders"])


def test_a_critical_level_splits_the_fill_rate_as_dekker_hill_and_kleijn(tmp_path: Path) -> None:
    # S = 5, c = 1: parts priority 0.891, standard 0.550 (without the level: both 0.732).
    check_critical_level(tmp_path, 5, 1, days=25, replications=8, width=0.1)


@pytest.mark.slow
@pytest.mark.parametrize(("base_stock", "level"), [(5, 1), (6, 2)])
def test_a_critical_level_over_long_runs(tmp_path: Path, base_stock: int, level: int) -> None:
    check_critical_level(tmp_path, base_stock, level, days=60, replications=16, width=0.045)


# -- Palm's theorem, gamma lead time -------------------------------------------------------


def check_palm_gamma(
    folder: Path,
    rate: float,
    lead_hours: float,
    base_stock: int,
    days: float,
    replications: int,
    widths: tuple[float, float],
) -> None:
    result = run(
        folder,
        [("STD", rate)],
        base_stock,
        lead("gamma", lead_hours),
        days=days,
        warmup_hours=4 * lead_hours,
        replications=replications,
        drain_days=4 * lead_hours / 24.0 + 2,
    )
    fill, wait = palm_fill_and_wait(rate, lead_hours, base_stock)
    summary = result.summary(by=None, level=LEVEL).set_index("kpi")
    assert summary.loc["restored_share", "mean"] == 1.0
    for kpi, theory, width in (
        ("fill_rate", fill, widths[0]),
        ("mean_downtime_hours", wait, widths[1] * wait),
    ):
        low, high = bounds(summary, kpi)
        within(kpi, theory, low, high, width)


def test_palms_theorem_holds_for_a_gamma_lead_time(tmp_path: Path) -> None:
    # λL = 4, S = 4: fill 0.433, wait 0.78 h.
    check_palm_gamma(tmp_path, 1.0, 4.0, 4, days=20, replications=8, widths=(0.1, 0.6))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("rate", "lead_hours", "base_stock", "days"), [(1.0, 4.0, 6, 100), (0.5, 24.0, 14, 150)]
)
def test_palms_theorem_holds_for_a_gamma_lead_time_over_long_runs(
    tmp_path: Path, rate: float, lead_hours: float, base_stock: int, days: float
) -> None:
    check_palm_gamma(
        tmp_path, rate, lead_hours, base_stock, days, replications=16, widths=(0.06, 0.35)
    )
