"""Protection levels: units held back at a depot for parts-priority orders.

Hand-built worlds first (depot D1 in the US unless said otherwise; ``PM`` orders are
``parts_priority``, ``STD`` orders ``standard``), then properties on random worlds: the
levels are exact against an LP that caps standard units instead of splitting sources, the
incremental planner still equals a full re-plan, and no standard order ever dips below a
level.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation import AllocationPolicy, Planner, allocate, load_snapshot
from allocation.domain.model import PriorityClass, SourceKind
from allocation.domain.policy import default_allowed_sources
from allocation.domain.protection import ProtectionLevels
from allocation.engine import Engine, Plan
from allocation.errors import PolicyError, UnknownIdError
from tests.allocation.engine.builders import (
    AS_OF,
    PM,
    STD,
    World,
    order,
    protected_worlds,
    ship_in_tables,
    snapshot,
)
from tests.allocation.engine.reference_model import build_reference, lexicographic_levels
from tests.budget import examples


def _protect(levels: dict[tuple[str, str], int], default: int = 0) -> AllocationPolicy:
    return AllocationPolicy(protection=ProtectionLevels(levels, default))


def _got(plan: Plan) -> dict[str, int]:
    return {str(k): int(v) for k, v in plan.lines.groupby("order_id")["quantity"].sum().items()}


def _reason(plan: Plan, order_id: str) -> str:
    return str(plan.unfilled.set_index("order_id").loc[order_id, "reason"])


# -- the rule, by hand ---------------------------------------------------------------------
def test_standard_orders_take_only_the_units_above_the_level() -> None:
    snap = snapshot(
        [order("S1", STD, age=3), order("S2", STD, age=2), order("S3", STD, age=1)],
        stock=[("A", "D1", 3)],
    )
    plan = allocate(snap, _protect({("D1", "A"): 2}))
    assert _got(plan) == {"S1": 1}
    for waiting in ("S2", "S3"):
        assert _reason(plan, waiting) == (
            "held back for parts-priority orders by the protection level at D1"
        )


def test_parts_priority_orders_may_take_every_unit_including_the_protected_ones() -> None:
    snap = snapshot([order("P1", PM, quantity=3)], stock=[("A", "D1", 3)])
    plan = allocate(snap, _protect({("D1", "A"): 2}))
    assert _got(plan) == {"P1": 3}
    # Units above and below the level come from one shelf: one line, not two.
    assert len(plan.lines) == 1
    assert plan.lines.iloc[0]["cost"] == 0.0


def test_an_older_standard_order_gets_what_is_above_the_level_and_nothing_more() -> None:
    snap = snapshot(
        [order("S1", STD, quantity=3, age=48), order("P1", PM, age=1)], stock=[("A", "D1", 3)]
    )
    assert _got(allocate(snap)) == {"S1": 2, "P1": 1}
    plan = allocate(snap, _protect({("D1", "A"): 2}))
    assert _got(plan) == {"S1": 1, "P1": 1}
    assert _reason(plan, "S1").startswith("held back for parts-priority orders")


def test_a_level_above_what_is_on_hand_holds_back_everything_on_hand() -> None:
    snap = snapshot([order("S1", STD)], stock=[("A", "D1", 1)])
    assert _got(allocate(snap, _protect({("D1", "A"): 5}))) == {}


def test_receipts_on_their_way_are_not_held_back() -> None:
    snap = snapshot([order("S1", STD, quantity=2)], inbound=[("A", "D1", 2, 10.0)])
    plan = allocate(snap, _protect({("D1", "A"): 2}))
    assert _got(plan) == {"S1": 2}
    assert set(plan.lines["source"]) == {"inbound"}


def test_the_default_level_applies_where_no_level_is_listed() -> None:
    snap = snapshot(
        [order("S1", STD, part="A", quantity=2), order("S2", STD, part="B", quantity=2)],
        stock=[("A", "D1", 2), ("B", "D1", 2)],
    )
    plan = allocate(snap, _protect({("D1", "A"): 0}, default=1))
    assert _got(plan) == {"S1": 2, "S2": 1}


def test_protected_units_travel_to_parts_priority_orders_at_other_depots() -> None:
    world = {
        "depots": [("D1", "US"), ("D2", "DE")],
        "lanes": [("D1", "DE", 24, 7), ("D2", "US", 24, 7)],
    }
    snap = snapshot([order("P-DE", PM, country="DE")], stock=[("A", "D1", 1)], **world)
    plan = allocate(snap, _protect({("D1", "A"): 1}))
    assert _got(plan) == {"P-DE": 1}
    assert plan.lines.iloc[0]["source"] == "transfer"


def test_standard_orders_allowed_transfers_still_may_not_take_protected_units() -> None:
    world = {
        "depots": [("D1", "US"), ("D2", "DE")],
        "lanes": [("D1", "DE", 24, 7), ("D2", "US", 24, 7)],
    }
    allowed = default_allowed_sources()
    allowed[PriorityClass.STANDARD] = frozenset({SourceKind.STOCK, SourceKind.TRANSFER})
    policy = AllocationPolicy(
        allowed_sources=allowed, protection=ProtectionLevels({("D1", "A"): 1})
    )
    snap = snapshot([order("S-DE", STD, country="DE")], stock=[("A", "D1", 1)], **world)
    plan = allocate(snap, policy)
    assert _got(plan) == {}
    assert _reason(plan, "S-DE") == (
        "held back for parts-priority orders by the protection level at D1"
    )


def test_the_explanation_says_how_many_units_are_held_back_where() -> None:
    snap = snapshot([order("S1", STD, quantity=2)], stock=[("A", "D1", 3)])
    text = allocate(snap, _protect({("D1", "A"): 2})).explain("S1")
    assert "gets 1 from stock at D1" in text
    assert (
        "2 unit(s) of A at D1 (ETA 0.0 h for this order) are held back for parts-priority "
        "orders by the protection level at D1 (level 2)"
    ) in text
    assert "policy already lets it" not in text


def test_when_parts_priority_orders_took_the_protected_units_the_reason_says_so() -> None:
    snap = snapshot(
        [order("S1", STD, age=9), order("P1", PM, quantity=2, age=1)], stock=[("A", "D1", 2)]
    )
    plan = allocate(snap, _protect({("D1", "A"): 2}))
    assert _got(plan) == {"P1": 2}
    assert "went to parts_priority orders" in _reason(plan, "S1")
    assert "went to parts_priority orders" in plan.explain("S1")


@pytest.mark.parametrize("strategy", ["optimal", "fifo", "tier_greedy"])
def test_every_strategy_keeps_a_protected_unit_from_a_lone_standard_order(strategy: str) -> None:
    snap = snapshot([order("S1", STD)], stock=[("A", "D1", 1)])
    assert _got(allocate(snap, strategy=strategy)) == {"S1": 1}
    assert _got(allocate(snap, _protect({("D1", "A"): 1}), strategy=strategy)) == {}


def test_under_fifo_a_level_keeps_the_last_unit_for_a_later_parts_priority_order() -> None:
    snap = snapshot([order("S1", STD, age=48), order("P1", PM, age=1)], stock=[("A", "D1", 1)])
    assert _got(allocate(snap, strategy="fifo")) == {"S1": 1}
    assert _got(allocate(snap, _protect({("D1", "A"): 1}), strategy="fifo")) == {"P1": 1}


def test_levels_naming_an_unknown_depot_or_part_are_refused() -> None:
    snap = snapshot([order("S1", STD)], stock=[("A", "D1", 1)])
    with pytest.raises(UnknownIdError, match="unknown depot 'D-NOWHERE'"):
        allocate(snap, _protect({("D-NOWHERE", "A"): 1}))
    with pytest.raises(UnknownIdError, match="unknown part 'ZZ'"):
        allocate(snap, _protect({("D1", "ZZ"): 1}))


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_a_level_must_be_a_whole_number_of_units(bad: object) -> None:
    with pytest.raises(PolicyError, match="whole number"):
        ProtectionLevels({("D1", "A"): bad})  # type: ignore[dict-item]
    with pytest.raises(PolicyError, match="default level"):
        ProtectionLevels({}, default=bad)  # type: ignore[arg-type]


def test_no_levels_and_zero_levels_give_the_plan_without_protection() -> None:
    snap = snapshot(
        [order("S1", STD, age=3), order("P1", PM, age=1)], stock=[("A", "D1", 1), ("B", "D1", 2)]
    )
    plain = allocate(snap)
    zero = allocate(snap, _protect({("D1", "A"): 0}))
    pd.testing.assert_frame_equal(plain.lines, zero.lines)
    assert plain.objective() == zero.objective()


def test_when_a_parts_priority_order_ships_protected_units_the_level_refills_first() -> None:
    # 3 on hand, level 2: S1 holds the one unit above the level, P1 a protected one. P1
    # ships: 2 are left, both under the level, so S1 gives its unit back (pre-emption on).
    snap = snapshot(
        [order("S1", STD, age=9), order("P1", PM, age=1), order("P2", PM, age=0.5)],
        stock=[("A", "D1", 3)],
    )
    planner = Planner(snap, _protect({("D1", "A"): 2}))
    assert _got(planner.plan()) == {"S1": 1, "P1": 1, "P2": 1}
    planner.remove_order("P1", shipped=True)
    planner.remove_order("P2", shipped=True)
    assert _got(planner.plan()) == {}
    assert "held back for parts-priority orders" in _reason(planner.plan(), "S1")


# -- properties on random worlds -----------------------------------------------------------
PROPERTY = settings(
    max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.property
@PROPERTY
@given(protected_worlds())
def test_every_level_matches_an_lp_that_caps_standard_units_at_the_units_above_each_level(
    case: tuple[World, dict[tuple[str, str], int]],
) -> None:
    world, levels = case
    snap = world.snapshot()
    objective = allocate(snap, _protect(levels)).objective()
    reference = build_reference(snap, protection=levels)
    pure = lexicographic_levels(reference)
    for name in ("parts_priority_units", "parts_priority_eta_hours"):
        assert objective[name] == pytest.approx(pure[name], abs=1e-6), (name, pure, objective)
    for name in ("standard_units", "standard_eta_hours"):
        assert objective[name] == pytest.approx(pure[name], abs=1e-6), (name, pure, objective)
    aged = lexicographic_levels(reference, age_levels=True)
    assert objective["cost"] == pytest.approx(aged["cost"], abs=1e-6)


@pytest.mark.property
@PROPERTY
@given(protected_worlds())
def test_no_strategy_lets_standard_orders_take_a_shelf_below_its_level(
    case: tuple[World, dict[tuple[str, str], int]],
) -> None:
    world, levels = case
    snap = world.snapshot()
    policy = _protect(levels)
    engine = Engine(snap, policy)
    problem = engine.problem()
    on_hand = {
        (d, p): int(q)
        for p, d, q in zip(
            snap.stock["part_number"], snap.stock["depot_id"], snap.stock["on_hand"], strict=True
        )
    }
    for strategy in ("optimal", "fifo", "tier_greedy"):
        plan = engine.plan(strategy)
        arcs, sources = problem.arcs, problem.sources.to_pandas()
        classes = problem.orders.priority_class()
        taken = Counter[tuple[str, str]]()
        for a in range(len(arcs)):
            standard = classes[int(arcs.order[a])] == "standard"
            src = sources.iloc[int(arcs.source[a])]
            if plan.flow[a] > 0 and standard and src["kind_name"] == "stock":
                taken[(str(src["origin"]), str(src["part_number"]))] += int(plan.flow[a])
        for (depot, part), qty in taken.items():
            above = on_hand[(depot, part)] - levels.get((depot, part), 0)
            assert qty <= max(0, above), (strategy, depot, part, qty)


def _order_row(order_id: str, customer: str, part: str, hours_old: float) -> dict[str, object]:
    return {
        "order_id": order_id,
        "customer_id": customer,
        "part_number": part,
        "quantity": 1,
        "created_at": AS_OF - timedelta(hours=hours_old),
        "product_type": "desktop",
        "warranty_valid": True,
        "ship_to_country": "US",
    }


@pytest.mark.property
@settings(max_examples=examples(50), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    protected_worlds(),
    st.lists(
        st.tuples(
            st.sampled_from(["add-pm", "add-std", "stock", "ship", "cancel"]), st.integers(0, 9)
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_with_protection_every_change_leaves_the_plan_a_full_replan_would_make(
    case: tuple[World, dict[tuple[str, str], int]], changes: list[tuple[str, int]]
) -> None:
    world, levels = case
    policy = _protect(levels)
    tables = world.tables()
    planner = Planner(load_snapshot(tables, as_of=AS_OF), policy)
    parts = sorted(tables["parts"]["part_number"])
    depots = sorted(tables["depots"]["depot_id"])
    for n, (kind, a) in enumerate(changes):
        if kind.startswith("add"):
            row = _order_row(f"N{n}", PM if kind == "add-pm" else STD, parts[a % len(parts)], n)
            planner.add_order(row)
            tables["orders"] = pd.concat([tables["orders"], pd.DataFrame([row])], ignore_index=True)
        elif kind == "stock":
            part, depot = parts[a % len(parts)], depots[a % len(depots)]
            planner.add_stock(part, depot, 1)
            tables["stock"] = _add_unit(tables["stock"], part, depot)
        else:
            open_ids = sorted(planner.order_ids())
            if len(open_ids) <= 1:
                continue
            victim = open_ids[a % len(open_ids)]
            if kind == "ship":
                ship_in_tables(tables, planner.plan(), victim)
            planner.remove_order(victim, shipped=kind == "ship")
            tables["orders"] = tables["orders"][tables["orders"]["order_id"] != victim]
        full = allocate(load_snapshot(tables, as_of=AS_OF), policy)
        assert planner.plan().objective() == pytest.approx(full.objective()), (n, kind)
        assert _got(planner.plan()) == _got(full), (n, kind)


def _add_unit(stock: pd.DataFrame, part: str, depot: str) -> pd.DataFrame:
    match = (stock["part_number"] == part) & (stock["depot_id"] == depot)
    if match.any():
        stock = stock.copy()
        stock.loc[match, "on_hand"] += 1
        return stock
    row = pd.DataFrame([{"part_number": part, "depot_id": depot, "on_hand": 1}])
    return pd.concat([stock, row], ignore_index=True)
