"""A factory reorder that is late is not a unit on the shelf.

Base-stock reorders are planned at release + mean lead time and land at release + a random
lead time. Once the planned time has passed, the planner knows only that the reorder is
still out: it expects it at release + ``E[lead | lead > elapsed]``, not at once. A unit on
another depot's shelf that arrives sooner must win over such a receipt, in the engine and
in the exact paths alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import simpy
from hypothesis import example, given, settings
from hypothesis import strategies as st

from simulation.metrics import kpis, order_outcomes
from simulation.world.model import ShortageWorld
from simulation.world.sampling import ExpectedLead, Streams, expected_lead_time
from simulation.world.setup import build_setup
from simulation.world.solo import Commit
from simulation.world.state import DepotInbound
from tests.simulation.worlds import TinyWorld, run_world

GAMMA_336 = {"distribution": "gamma", "mean_hours": 336.0, "cv": 0.3}


def _decide_with_a_late_reorder(folder: Path, strategy: str, shortcut: bool) -> list[Commit]:
    # A PM order in Germany at 400 h. Its home depot D1 (6 h away) has nothing on the shelf
    # and one unit of a reorder released at 0 h, planned at 336 h and still out; D2 in
    # France (24 h away) has one unit on the shelf.
    world = TinyWorld(
        depots={"D1": "DE", "D2": "FR"},
        stock={("P1", "D2"): 1},
        lanes=[("D1", "DE", 6.0, 1.0), ("D2", "DE", 24.0, 2.0)],
        orders=[("PM-1", "PM", "P1", 1, 400.0)],
    )
    replenishment = {"policy": "none", "lead_time": GAMMA_336}
    setup = build_setup(world.write(folder, horizon_days=30, replenishment=replenishment))
    core = ShortageWorld(
        simpy.Environment(), setup, Streams(1, 0), strategy=strategy, shortcut=shortcut
    )
    d1 = setup.depot_ids.index("D1")
    assert core.book.home[0] == d1
    core.state.expect(0, d1, 1, planned=336.0, kind="replenishment", since=0.0)
    return core.decider.decide([0], core.book.rank[0], 400.0)


@pytest.mark.parametrize("shortcut", [True, False], ids=["exact path", "engine"])
@pytest.mark.parametrize("strategy", ["optimal", "fifo", "tier_greedy"])
def test_a_late_reorder_loses_to_a_unit_on_another_depots_shelf(
    tmp_path: Path, strategy: str, shortcut: bool
) -> None:
    # Expected at 0 + E[lead | lead > 400 h] ≈ 473 h, i.e. 73 h + 6 h away: the shelf
    # unit 24 h away is sooner. Planned at 336 h it would have looked due at once (6 h).
    commits = _decide_with_a_late_reorder(tmp_path, strategy, shortcut)
    assert [(c.kind, c.base, c.quantity) for c in commits] == [("transfer", 0, 1)]


@pytest.mark.parametrize("shortcut", [True, False], ids=["exact path", "engine"])
@pytest.mark.parametrize("customer", ["PM", "STD"])
def test_a_late_reorder_at_home_loses_to_the_unit_on_the_home_shelf(
    tmp_path: Path, customer: str, shortcut: bool
) -> None:
    # Planned at 336 h and still out at 400 h, the reorder used to tie with the shelf unit
    # (both "due now", same lane), and the optimizer's tie-break promised it about half
    # the time: the order then waited for the late truck with a unit on the shelf.
    world = TinyWorld(stock={("P1", "D1"): 1}, orders=[("O-1", customer, "P1", 1, 400.0)])
    replenishment = {"policy": "none", "lead_time": GAMMA_336}
    setup = build_setup(world.write(tmp_path, horizon_days=30, replenishment=replenishment))
    core = ShortageWorld(simpy.Environment(), setup, Streams(1, 0), shortcut=shortcut)
    core.state.expect(0, 0, 1, planned=336.0, kind="replenishment", since=0.0)
    commits = core.decider.decide([0], core.book.rank[0], 400.0)
    assert [(c.kind, c.base, c.quantity) for c in commits] == [("stock", 0, 1)]


def test_a_reorder_still_out_is_promised_at_its_expected_landing(tmp_path: Path) -> None:
    world = TinyWorld(
        depots={"D1": "DE", "D2": "FR"},
        stock={("P1", "D2"): 1},
        lanes=[("D1", "DE", 6.0, 1.0), ("D2", "DE", 200.0, 2.0)],
        orders=[("PM-1", "PM", "P1", 1, 300.0)],
    )
    replenishment = {"policy": "none", "lead_time": GAMMA_336}
    setup = build_setup(world.write(tmp_path, horizon_days=30, replenishment=replenishment))
    core = ShortageWorld(simpy.Environment(), setup, Streams(1, 0))
    d1 = setup.depot_ids.index("D1")
    core.state.expect(0, d1, 1, planned=336.0, kind="replenishment", since=0.0)
    commits = core.decider.decide([0], core.book.rank[0], 300.0)
    # Expected at E[lead | lead > 300 h] (later than planned: it has not come early), still
    # far sooner than the shelf 200 h away: the receipt is promised.
    expected = expected_lead_time(336.0, 0.3, "gamma", 300.0)
    assert 336.0 < expected < 400.0
    assert [(c.kind, c.base) for c in commits] == [("inbound", 1)]
    assert commits[0].planned == pytest.approx(expected)


@pytest.mark.parametrize(
    ("law", "cv"), [("gamma", 0.3), ("gamma", 1.5), ("lognormal", 0.5), ("uniform", 0.5)]
)
def test_the_expected_landing_of_a_late_reorder_matches_the_distribution(
    law: str, cv: float
) -> None:
    stats = pytest.importorskip("scipy.stats")
    mean = 336.0
    if law == "gamma":
        shape = 1 / cv**2
        dist = stats.gamma(shape, scale=mean / shape)
    elif law == "lognormal":
        sigma = np.sqrt(np.log1p(cv**2))
        dist = stats.lognorm(sigma, scale=mean * np.exp(-(sigma**2) / 2))
    else:
        half = mean * cv * np.sqrt(3)
        dist = stats.uniform(mean - half, 2 * half)
    previous = mean
    for elapsed in (0.0, 100.0, 336.0, 450.0, 600.0):
        got = expected_lead_time(mean, cv, law, elapsed)
        if dist.sf(elapsed) > 1e-9:
            want = dist.expect(lambda x: x, lb=elapsed, conditional=True) if elapsed else mean
            assert got == pytest.approx(want, rel=1e-6)
        assert got >= max(elapsed, previous)
        previous = got


def _parts_priority_downtime(world: Any) -> float:
    outcomes = order_outcomes(world.recorder.to_frame(), (0.0, 60 * 24.0))
    table = kpis(outcomes)
    return float(table.set_index("priority_class").loc["parts_priority", "mean_downtime_hours"])


def test_optimal_serves_parts_priority_no_worse_than_fifo_in_a_normal_quarter(
    tmp_path: Path,
) -> None:
    # Five countries, each with its depot (base stock 2 of one part, 12 h home lanes, 36 h
    # between countries), Poisson failures at PM and standard customers, gamma factory lead
    # times of 10 days (cv 0.4: reorders are often late). Same random numbers for both
    # policies. While late reorders looked due at once, optimal promised them in place of
    # shelf units and lost to fifo by about 2 h on average over these seeds (−2.1 ± 0.9 h
    # with reorders following the units that leave a depot; +0.6 ± 0.7 h without the bug).
    countries = ["DE", "FR", "NL", "BE", "AT"]
    world = TinyWorld(
        depots={f"D{c}": c for c in countries},
        customers={
            **{f"PM-{c}": (c, "PM") for c in countries},
            **{f"STD-{c}": (c, "standard") for c in countries},
        },
        stock={("P1", f"D{c}"): 2 for c in countries},
        base_stock={("P1", f"D{c}"): 2 for c in countries},
        lanes=[
            (f"D{origin}", c, 12.0 if origin == c else 36.0, 1.0)
            for origin in countries
            for c in countries
        ],
        rates=[(f"PM-{c}", "P1", 0.1) for c in countries]
        + [(f"STD-{c}", "P1", 0.05) for c in countries],
    )
    scenario = world.write(
        tmp_path,
        horizon_days=60,
        drain_days=30,
        replenishment={"lead_time": {"distribution": "gamma", "mean_hours": 240, "cv": 0.4}},
    )
    setup = build_setup(scenario)
    gaps = []
    for seed in range(16):
        optimal = run_world(setup, "optimal", seed=seed, audit=False)
        fifo = run_world(setup, "fifo", seed=seed, audit=False)
        gaps.append(_parts_priority_downtime(fifo) - _parts_priority_downtime(optimal))
    assert np.mean(gaps) >= 0, gaps


LAWS = [("gamma", cv) for cv in (0.1, 0.3, 0.7, 1.0, 2.0)] + [
    ("lognormal", 0.3),
    ("lognormal", 1.5),
    ("uniform", 0.3),
    ("exponential", 1.0),
    ("fixed", 0.0),
]


@pytest.mark.parametrize(("law", "cv"), LAWS)
def test_the_fast_estimate_is_the_exact_one_to_a_hundred_thousandth_and_never_decreases(
    law: str, cv: float
) -> None:
    estimate = ExpectedLead(cv, law)
    for mean in (24.0, 336.0, 2000.0):
        elapsed = np.linspace(0.0, 10.0 * mean, 4001)
        fast = np.array([estimate(mean, e) for e in elapsed])
        exact = np.array([expected_lead_time(mean, cv, law, e) for e in elapsed])
        assert np.max(np.abs(fast - exact)) <= 1e-5 * mean
        assert np.all(np.diff(fast) >= -1e-9 * mean)


@given(
    st.lists(
        st.tuples(st.floats(0, 500), st.integers(1, 5), st.one_of(st.none(), st.floats(0, 400))),
        max_size=12,
    ),
    st.floats(0, 600),
    st.integers(0, 20),
    st.integers(0, 20),
    st.floats(0, 50),
)
# A reorder released the smallest float before its planned landing: a mean lead time too
# small for a float, still out, is as good as due now.
@example([(5e-324, 1, 0.0)], 5.0, 0, 1, 0.0)
# Receipts expected at the moment of the last unit asked for are read in key order: one
# planned exactly at that moment (key 0 here) may come first, so it must be read.
@example(
    [
        (3.0, 1, None),
        (0.0, 3, 0.0),
        (5.5, 3, 1.0),
        (1.0, 3, None),
        (2.0, 1, None),
        (2.0, 2, 2.0),
        (0.0, 3, 1.0),
    ],
    3.0,
    2,
    2,
    0.0,
)
@settings(deadline=None)
def test_reading_only_the_receipts_that_can_matter_gives_the_same_free_units(
    receipts: list[tuple[float, int, float | None]],
    now: float,
    skip: int,
    units: int,
    margin: float,
) -> None:
    estimate = ExpectedLead(0.3, "gamma")
    lazy, full = DepotInbound(), DepotInbound()
    for key, (planned, count, since) in enumerate(receipts):
        released = None if since is None else min(since, planned)
        lazy.add(planned, key, count, since=released)
        full.add(planned, key, count, since=released)
    # Several questions at one moment share what was read, as decisions do.
    for ask in ((skip, units), (0, 1), (skip + units, units + 3)):
        wanted = lazy.free_after(*ask, margin, lazy.landing(now, estimate, sum(ask), margin))
        assert wanted == full.free_after(*ask, margin, full.landing(now, estimate))
