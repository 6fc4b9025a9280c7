"""The simulator agrees with queueing theory: Palm's theorem for one-for-one base stock.

One depot, one part, Poisson demand of rate λ per hour, base stock S, every demand reordered
at once with a fixed lead time L, no other source. By Palm's theorem the units on order are
Poisson with mean λL in steady state, so (PASTA) a demand finds stock with probability
``P(N <= S - 1)`` and, by Little's law, waits on average ``EBO(S) / λ`` where
``EBO(S) = E[(N - S)+]``. The theory is computed here with SciPy, independently of the
simulator; the simulated KPIs, averaged over replications, must hold it inside their
confidence interval, and the interval must be narrow enough for that to mean something.

The warm-up is one lead time: from then on the units on order are exactly the demands of the
last L hours, so the steady state starts there. The policy's ETA resolution is made fine:
by default the engine treats ETAs within 0.1 h as equal, so a receipt landing a minute later
may win a tie with the shelf — right for planners, but Palm's theorem assumes stock on hand
is always used first.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scipy import stats

from simulation.use_cases import simulate
from tests.simulation.worlds import TinyWorld

LEVEL = 0.99


def palm(rate_per_hour: float, lead_hours: float, base_stock: int) -> tuple[float, float]:
    """Fill rate and mean wait (hours) by Palm's theorem."""
    on_order = stats.poisson(rate_per_hour * lead_hours)
    fill = float(on_order.cdf(base_stock - 1))
    top = int(on_order.ppf(1 - 1e-15)) + 10
    expected_backorders = sum(
        (n - base_stock) * float(on_order.pmf(n)) for n in range(base_stock + 1, top)
    )
    return fill, expected_backorders / rate_per_hour


def check_palm(
    folder: Path,
    rate_per_hour: float,
    lead_hours: float,
    base_stock: int,
    days: float,
    replications: int,
    widths: tuple[float, float],
) -> None:
    """Simulate and compare; ``widths`` bound the intervals (fill rate absolute, mean wait
    relative to the theory), so that a wrong simulator cannot hide behind a wide one."""
    world = TinyWorld(
        stock={("P1", "D1"): base_stock},
        base_stock={("P1", "D1"): base_stock},
        rates=[("STD", "P1", rate_per_hour * 24.0)],
    )
    warmup = lead_hours / 24.0
    source = world.write(
        folder,
        horizon_days=warmup + days,
        warmup_days=warmup,
        drain_days=warmup + 2,
        replenishment={"lead_time": {"distribution": "fixed", "mean_hours": lead_hours}},
        replications=replications,
        seed=11,
        policy={"options": {"eta_resolution_hours": 0.0001}},
    )
    result = simulate(source)
    summary = result.summary(by=None, level=LEVEL).set_index("kpi")
    fill, wait = palm(rate_per_hour, lead_hours, base_stock)
    assert summary.loc["restored_share", "mean"] == 1.0
    for kpi, theory, width in (
        ("fill_rate", fill, widths[0]),
        ("mean_downtime_hours", wait, widths[1] * wait),
    ):
        low, high = summary.loc[kpi, "ci_low"], summary.loc[kpi, "ci_high"]
        assert low <= theory <= high, f"{kpi}: theory {theory:.4f} outside [{low:.4f}, {high:.4f}]"
        assert high - low < width, f"{kpi}: interval [{low:.4f}, {high:.4f}] too wide to test"


@pytest.mark.parametrize(
    ("rate", "lead", "base_stock", "days"),
    [(1.0, 4.0, 6, 40), (0.5, 24.0, 10, 200)],
)
def test_fill_rate_and_mean_wait_match_palms_theorem(
    tmp_path: Path, rate: float, lead: float, base_stock: int, days: float
) -> None:
    check_palm(tmp_path, rate, lead, base_stock, days, replications=8, widths=(0.07, 0.5))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("rate", "lead", "base_stock", "days"),
    [
        (2.0, 12.0, 24, 400),
        (0.5, 24.0, 10, 400),
        (1.0, 48.0, 40, 400),
        (0.25, 96.0, 24, 1200),
        (3.0, 8.0, 20, 400),
        (1.0, 24.0, 18, 400),
    ],
)
def test_palms_theorem_holds_over_long_runs(
    tmp_path: Path, rate: float, lead: float, base_stock: int, days: float
) -> None:
    check_palm(tmp_path, rate, lead, base_stock, days, replications=20, widths=(0.04, 0.2))
