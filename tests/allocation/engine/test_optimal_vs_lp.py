"""The optimal strategy against an independent reference, level by level, on random worlds.

The reference (:mod:`reference_model`) works out home depots, kinds, ETAs, money and
permissions from the tables with its own code, and solves the lexicographic objective with
one HiGHS LP per level. Random worlds use half-hours and quarter-money (see
:mod:`builders`), so every ETA is an exact multiple of the engine's 0.1 h tick and every
price an exact number of cents: the engine's integer levels are then the true levels, and
the comparison is exact (up to float summation of exactly representable values, hence the
tiny absolute tolerance).

The engine also ranks older orders first within a class, between that class's ETA and the
next level; the reference has no age level, which is only sound for the levels it compares
if age never buys a worse listed level.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from allocation.allocate import allocate
from tests.allocation.engine.builders import World, random_worlds
from tests.allocation.engine.reference_model import build_reference, lexicographic_levels

LEVELS = (
    "parts_priority_units",
    "parts_priority_eta_hours",
    "standard_units",
    "standard_eta_hours",
    "cost",
)
# Sums of at most 36 units × values that are exact in binary: any difference is a real one.
EXACT = 1e-6


def _compare(expected: dict[str, float], got: dict[str, float]) -> None:
    for name in LEVELS:
        assert got[name] == pytest.approx(expected[name], abs=EXACT), (name, expected, got)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_worlds())
def test_every_level_of_the_optimal_plan_matches_a_sequential_lp(world: World) -> None:
    snapshot = world.snapshot()
    plan = allocate(snapshot)
    expected = lexicographic_levels(build_reference(snapshot))
    _compare(expected, plan.objective())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_worlds())
def test_every_allocation_line_is_a_pair_the_reference_allows_with_its_kind_eta_and_cost(
    world: World,
) -> None:
    snapshot = world.snapshot()
    plan = allocate(snapshot)
    reference = build_reference(snapshot)
    allowed = {}
    for p in reference.pairs:
        if p.allowed:
            key = (reference.order_ids[p.order], p.part, p.origin, p.kind)
            allowed.setdefault(key, set()).add((round(p.eta_hours, 6), round(p.money, 6)))
    for line in plan.lines.itertuples(index=False):
        key = (line.order_id, line.part_number, line.origin, line.source)
        assert key in allowed, (key, sorted(allowed))
        per_unit = round(line.cost / line.quantity, 6)
        assert (round(line.eta_hours, 6), per_unit) in allowed[key], (key, allowed[key])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_worlds(with_substitutes=True))
def test_levels_match_the_lp_with_substitutes_switched_off_by_policy(world: World) -> None:
    from allocation.domain.policy import AllocationPolicy

    snapshot = world.snapshot()
    plan = allocate(snapshot, AllocationPolicy(substitutes=False))
    expected = lexicographic_levels(build_reference(snapshot, substitutes=False))
    _compare(expected, plan.objective())
