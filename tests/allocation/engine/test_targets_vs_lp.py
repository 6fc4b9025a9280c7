"""Response-time targets against the independent LP, level by level.

With ``need_by`` on some orders, each class's objective reads: units, units late, hours
late, ETA, age; then money (``allocation.engine.objective``). The reference
(:mod:`reference_model`) computes lateness from the tables with its own code and solves one
HiGHS LP per level. Worlds keep every time on the half-hour grid, so ticks of 0.1 h are
exact and the comparison is too.

The interesting worlds are those where the plan that ignores targets (ETA first) and the
plan that honours them differ: the reference solves both orders of the levels, and the
second test keeps only worlds where they disagree on lateness.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings

from allocation.allocate import allocate
from tests.allocation.engine.builders import (
    World,
    order,
    target_worlds,
    tight_target_worlds,
    world,
)
from tests.allocation.engine.reference_model import build_reference, lexicographic_levels
from tests.budget import examples

EXACT = 1e-6
LEVELS = [
    f"{klass}_{level}"
    for klass in ("parts_priority", "standard")
    for level in ("units", "units_late", "late_hours", "eta_hours")
]
LP = settings(
    max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _differ(eta_first: dict[str, float], breach_first: dict[str, float]) -> bool:
    return any(
        abs(eta_first[name] - breach_first[name]) > EXACT for name in LEVELS if "late" in name
    )


def _assert_levels_match(w: World) -> dict[str, float]:
    snapshot = w.snapshot()
    objective = allocate(snapshot).objective()
    reference = build_reference(snapshot)
    pure = lexicographic_levels(reference, targets=True)
    for name in LEVELS:
        assert objective[name] == pytest.approx(pure[name], abs=EXACT), (name, pure, objective)
    aged = lexicographic_levels(reference, age_levels=True, targets=True)
    assert objective["cost"] == pytest.approx(aged["cost"], abs=EXACT), (aged, objective)
    return pure


@pytest.mark.property
@LP
@given(target_worlds())
def test_every_level_with_targets_matches_a_sequential_lp(w: World) -> None:
    _assert_levels_match(w)


@pytest.mark.slow  # most draws are filtered out: the slow lane runs it, every example
@settings(
    LP,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(tight_target_worlds())
def test_where_targets_change_the_plan_the_engine_follows_the_targets(w: World) -> None:
    reference = build_reference(w.snapshot())
    ignoring = lexicographic_levels(reference, age_levels=True, targets=True, eta_first=True)
    honouring = lexicographic_levels(reference, targets=True)
    assume(_differ(ignoring, honouring))
    got = _assert_levels_match(w)
    # Honouring targets is lexicographically no worse for parts priority, the first class:
    # the same units, then no more units late, then no more hours late. (Standard orders
    # share what parts priority leaves, which differs between the two plans once any
    # parts-priority level does: no such claim holds for them.)
    pp = [
        (-got[f"parts_priority_{level}"], -ignoring[f"parts_priority_{level}"])
        if level == "units"
        else (got[f"parts_priority_{level}"], ignoring[f"parts_priority_{level}"])
        for level in ("units", "units_late", "late_hours")
    ]
    for mine, theirs in pp:
        assert mine <= theirs + EXACT, (pp, got, ignoring)
        if mine < theirs - EXACT:
            break


def test_an_order_due_sooner_takes_the_near_unit_though_the_sum_of_etas_grows() -> None:
    # One unit in Mexico (1 h to the US and to Canada), one in Germany (3 h to the US, 9 h to
    # Canada). ETA first, A (US) takes Germany and B (Canada) Mexico: Σ ETA 4 h, but A is due
    # in 2 h and is late by 1 h. Honouring targets, A takes Mexico and B Germany: Σ ETA 10 h,
    # nobody late (B is due in 10 h).
    w = world(
        [order("A", age=1, due=2.0), order("B", age=5, due=10.0, country="CA")],
        stock=[("A", "D1", 1), ("A", "D2", 1)],
        depots=[("D1", "MX"), ("D2", "DE")],
        lanes=[
            ("D1", "US", 1.0, 0.0),
            ("D1", "CA", 1.0, 0.0),
            ("D2", "US", 3.0, 0.0),
            ("D2", "CA", 9.0, 0.0),
        ],
    )
    reference = build_reference(w.snapshot())
    ignoring = lexicographic_levels(reference, age_levels=True, targets=True, eta_first=True)
    assert (ignoring["parts_priority_units_late"], ignoring["parts_priority_eta_hours"]) == (1, 4)
    got = _assert_levels_match(w)
    assert (got["parts_priority_units_late"], got["parts_priority_eta_hours"]) == (0, 10)
    lines = allocate(w.snapshot()).lines.set_index("order_id")
    assert lines.loc["A", "origin"] == "D1"
    assert lines.loc["B", "origin"] == "D2"
    assert lines.loc["A", "late_hours"] == 0.0


def test_of_two_equally_fast_plans_the_one_meeting_the_target_wins_over_age() -> None:
    # A shelf (0 h) and a transfer (8 h) for two orders: the same Σ ETA either way. Without
    # targets the older B gets the shelf; A is due in 2 h and B in 10 h, so A gets it.
    orders = [order("A", age=1, due=2.0), order("B", age=5, due=10.0)]
    rows = {
        "stock": [("A", "D1", 1), ("A", "D2", 1)],
        "depots": [("D1", "US"), ("D2", "CA")],
        "lanes": [("D2", "US", 8.0, 1.0)],
    }
    untimed = allocate(world([order("A", age=1), order("B", age=5)], **rows).snapshot())
    assert untimed.lines.set_index("order_id").loc["B", "origin"] == "D1"
    w = world(orders, **rows)
    got = _assert_levels_match(w)
    assert got["parts_priority_units_late"] == 0.0
    assert allocate(w.snapshot()).lines.set_index("order_id").loc["A", "origin"] == "D1"


def test_a_class_never_buys_its_lateness_with_a_worse_higher_class() -> None:
    # The shelf unit goes to the parts-priority order even though the standard order is due
    # now and the parts-priority order has no target.
    w = world(
        [order("P", age=1), order("S", customer="STD", age=9, due=0.0)],
        stock=[("A", "D1", 1)],
    )
    _assert_levels_match(w)
    lines = allocate(w.snapshot()).lines
    assert lines["order_id"].tolist() == ["P"]
