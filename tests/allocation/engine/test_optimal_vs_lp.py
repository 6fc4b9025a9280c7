"""The optimal strategy against an independent reference, level by level, on random worlds.

The reference (:mod:`reference_model`) works out home depots, kinds, ETAs, money and
permissions from the tables with its own code, and solves the lexicographic objective with
one HiGHS LP per level. Random worlds use half-hours and quarter-money (see
:mod:`builders`), so every ETA is an exact multiple of the engine's 0.1 h tick and every
price an exact number of cents: the engine's integer levels are then the true levels, and
the comparison is exact (the tolerance only absorbs float summation; the smallest real
difference is 0.5 h or 0.25 in money).

Age: within a class the engine ranks older orders first, right after that class's ETA
(``allocation.engine.objective``). That never changes units or ETA of any class — the first
four levels are compared with a reference that knows nothing of age — but it does rank
above money: an older order can win an equal-ETA tie even when a newer one would be served
more cheaply. Money is therefore compared with the reference's age-aware variant.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation.adapters.snapshot import Snapshot, load_snapshot
from allocation.allocate import allocate, decisions_frame
from allocation.domain.model import PriorityClass, SourceKind
from allocation.domain.policy import AllocationPolicy
from tests.allocation.engine.builders import World, random_worlds
from tests.allocation.engine.reference_model import build_reference, lexicographic_levels
from tests.budget import examples

EXAMPLE = Path(__file__).resolve().parents[3] / "scenarios" / "example"

LEVELS = (
    "parts_priority_units",
    "parts_priority_eta_hours",
    "standard_units",
    "standard_eta_hours",
)
EXACT = 1e-6
KINDS = [k.value for k in SourceKind]


def _assert_matches(
    snapshot: Snapshot,
    policy: AllocationPolicy | None = None,
    allowed: dict[str, frozenset[str]] | None = None,
) -> None:
    policy = policy or AllocationPolicy()
    objective = allocate(snapshot, policy).objective()
    reference = build_reference(snapshot, allowed=allowed, substitutes=policy.substitutes)
    pure = lexicographic_levels(reference)
    for name in LEVELS:
        assert objective[name] == pytest.approx(pure[name], abs=EXACT), (name, pure, objective)
    aged = lexicographic_levels(reference, age_levels=True)
    assert objective["cost"] == pytest.approx(aged["cost"], abs=EXACT), (aged, objective)


LP = settings(
    max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
FEWER = settings(LP, max_examples=examples(40))


@pytest.mark.property
@LP
@given(random_worlds())
def test_every_level_of_the_optimal_plan_matches_a_sequential_lp(world: World) -> None:
    _assert_matches(world.snapshot())


@pytest.mark.slow
@settings(LP, max_examples=600)
@given(random_worlds())
def test_every_level_matches_a_sequential_lp_on_many_more_worlds(world: World) -> None:
    _assert_matches(world.snapshot())


@pytest.mark.property
@FEWER
@given(random_worlds(with_substitutes=True))
def test_levels_match_the_lp_with_substitutes_switched_off_by_policy(world: World) -> None:
    _assert_matches(world.snapshot(), AllocationPolicy(substitutes=False))


@pytest.mark.property
@FEWER
@given(random_worlds(), st.sets(st.sampled_from(KINDS)), st.sets(st.sampled_from(KINDS)))
def test_levels_match_the_lp_whatever_kinds_policy_allows_each_class(
    world: World, for_priority: set[str], for_standard: set[str]
) -> None:
    policy = AllocationPolicy(
        allowed_sources={
            PriorityClass.PARTS_PRIORITY: frozenset(SourceKind(k) for k in for_priority),
            PriorityClass.STANDARD: frozenset(SourceKind(k) for k in for_standard),
        }
    )
    allowed = {"parts_priority": frozenset(for_priority), "standard": frozenset(for_standard)}
    _assert_matches(world.snapshot(), policy, allowed)


@pytest.mark.property
@settings(LP, max_examples=examples(60))
@given(random_worlds())
def test_every_allocation_line_is_a_pair_the_reference_allows_with_its_kind_eta_and_cost(
    world: World,
) -> None:
    snapshot = world.snapshot()
    plan = allocate(snapshot)
    reference = build_reference(snapshot)
    allowed: dict[tuple[str, str, str, str], set[tuple[float, float]]] = {}
    for p in reference.pairs:
        if p.allowed:
            key = (reference.order_ids[p.order], p.part, p.origin, p.kind)
            allowed.setdefault(key, set()).add((round(p.eta_hours, 6), round(p.money, 6)))
    for line in plan.lines.itertuples(index=False):
        key = (line.order_id, line.part_number, line.origin, line.source)
        assert key in allowed, (key, sorted(allowed))
        per_unit = round(line.cost / line.quantity, 6)
        assert (round(line.eta_hours, 6), per_unit) in allowed[key], (key, allowed[key])


def test_the_example_scenario_matches_the_lp() -> None:
    # Real-looking numbers, not on the exact grid: ETAs agree to a tick, money to a cent.
    snapshot = load_snapshot(EXAMPLE)
    objective = allocate(snapshot).objective()
    decided = decisions_frame(snapshot)  # its customers need the whole entitlement engine
    classes = dict(zip(decided["order_id"], decided["priority_class"], strict=True))
    reference = build_reference(snapshot, classes=classes)
    pure = lexicographic_levels(reference)
    for name in LEVELS:
        assert objective[name] == pytest.approx(pure[name], abs=0.05), name
    assert objective["cost"] == pytest.approx(
        lexicographic_levels(reference, age_levels=True)["cost"], abs=0.005
    )
