"""The churn penalty: money per unit moved from a previous plan, priced below every class
level, exactly (hand-built cases and a sequential LP)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation.adapters.policy_file import allocation_policy_from
from allocation.domain.fair_share import Cap, FairShare
from allocation.domain.policy import AllocationPolicy
from allocation.engine import Engine
from allocation.engine._churn import churn_between
from allocation.errors import PolicyError
from tests.allocation.engine.builders import STD, World, order, random_worlds, snapshot
from tests.allocation.engine.reference_model import build_reference, lexicographic_levels
from tests.budget import examples

LEVELS = (
    "parts_priority_units",
    "parts_priority_eta_hours",
    "standard_units",
    "standard_eta_hours",
)
LP = settings(
    max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
COLUMNS = ["order_id", "source", "origin", "quantity"]


def _previous(*rows: tuple[str, str, str, int]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=COLUMNS)


def _lines(engine: Engine) -> list[tuple[str, str, str, int]]:
    lines = engine.plan().lines
    return sorted(
        zip(lines["order_id"], lines["source"], lines["origin"], lines["quantity"], strict=True)
    )


def test_a_penalty_keeps_an_order_on_its_previous_source_when_a_cheaper_one_appears() -> None:
    # Stock at the home depot (free) and a transfer from D2 at 2 a unit, both 0 h away.
    snap = snapshot(
        [order("O1", quantity=2)],
        depots=(("D1", "US"), ("D2", "US")),
        stock=[("A", "D1", 2), ("A", "D2", 2)],
        lanes=[("D2", "US", 0.0, 0.0)],
    )
    before = _previous(("O1", "transfer", "D2", 2))
    assert _lines(Engine(snap)) == [("O1", "stock", "D1", 2)]
    kept = Engine(snap, AllocationPolicy(churn_penalty=5.0), previous=before)
    assert _lines(kept) == [("O1", "transfer", "D2", 2)]


def test_an_order_that_needs_less_than_it_held_keeps_the_places_that_cost_least_to_keep() -> None:
    # O1 held 2 units at D2 and 1 at D3 when it asked for 3; it now asks for 2, and D2 has
    # 1 unit left. Keeping D2's and D3's units moves 1 unit and costs 2 in transfers;
    # D2's and the free one at home moves 2; both at home move all 3.
    snap = snapshot(
        [order("O1", quantity=2)],
        depots=(("D1", "US"), ("D2", "US"), ("D3", "US")),
        stock=[("A", "D1", 2), ("A", "D2", 1), ("A", "D3", 1)],
        lanes=[("D2", "US", 0.0, 1.0), ("D3", "US", 0.0, 1.0)],
    )
    before = _previous(("O1", "transfer", "D2", 2), ("O1", "transfer", "D3", 1))
    engine = Engine(snap, AllocationPolicy(churn_penalty=5.0), previous=before)
    assert _lines(engine) == [("O1", "transfer", "D2", 1), ("O1", "transfer", "D3", 1)]
    churn = churn_between(before, engine.plan().lines, snap.orders["order_id"])
    assert churn.units_moved == 1
    # A penalty below a transfer's cost keeps nothing it need not.
    cheap = Engine(snap, AllocationPolicy(churn_penalty=0.5), previous=before)
    assert _lines(cheap) == [("O1", "stock", "D1", 2)]


def test_a_small_penalty_does_not_pay_for_a_dearer_source() -> None:
    snap = snapshot(
        [order("O1")],
        depots=(("D1", "US"), ("D2", "US")),
        stock=[("A", "D1", 1), ("A", "D2", 1)],
        lanes=[("D2", "US", 0.0, 3.0)],
    )
    before = _previous(("O1", "transfer", "D2", 1))
    cheap = Engine(snap, AllocationPolicy(churn_penalty=2.0), previous=before)
    assert _lines(cheap) == [("O1", "stock", "D1", 1)]
    dear = Engine(snap, AllocationPolicy(churn_penalty=4.0), previous=before)
    assert _lines(dear) == [("O1", "transfer", "D2", 1)]


def test_a_penalty_never_costs_a_higher_class_a_unit() -> None:
    # One unit; previously the standard order had it; now a PM order arrives.
    snap = snapshot([order("P1"), order("S1", STD)], stock=[("A", "D1", 1)])
    before = _previous(("S1", "stock", "D1", 1))
    engine = Engine(snap, AllocationPolicy(churn_penalty=1e6), previous=before)
    assert _lines(engine) == [("P1", "stock", "D1", 1)]


def test_a_penalty_never_costs_an_hour_of_eta() -> None:
    snap = snapshot(
        [order("O1")],
        depots=(("D1", "US"), ("D2", "US")),
        stock=[("A", "D1", 1), ("A", "D2", 1)],
        lanes=[("D2", "US", 5.0, 0.0)],
    )
    before = _previous(("O1", "transfer", "D2", 1))
    engine = Engine(snap, AllocationPolicy(churn_penalty=1e6), previous=before)
    assert _lines(engine) == [("O1", "stock", "D1", 1)]


def test_penalty_zero_or_no_previous_plan_is_todays_plan() -> None:
    snap = snapshot(
        [order("O1", quantity=2), order("O2", STD)],
        depots=(("D1", "US"), ("D2", "US")),
        stock=[("A", "D1", 2), ("A", "D2", 2)],
        lanes=[("D2", "US", 1.0, 1.0)],
    )
    today = Engine(snap).plan()
    before = _previous(("O1", "transfer", "D2", 2))
    for engine in (
        Engine(snap, AllocationPolicy(churn_penalty=0.0), previous=before),
        Engine(snap, AllocationPolicy(churn_penalty=3.0)),
    ):
        assert engine.plan().lines.equals(today.lines)
        assert engine.plan().objective() == today.objective()


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf, "5", True])
def test_a_bad_penalty_is_refused_by_name(bad: object) -> None:
    with pytest.raises(PolicyError, match="churn_penalty"):
        AllocationPolicy(churn_penalty=bad)  # type: ignore[arg-type]
    with pytest.raises(PolicyError, match="churn_penalty"):
        allocation_policy_from({"churn_penalty": bad})


def test_the_policy_file_reads_the_penalty() -> None:
    assert allocation_policy_from({"churn_penalty": 2.5}).churn_penalty == 2.5


def test_what_does_not_price_churn_refuses_it_by_name() -> None:
    snap = snapshot([order("O1")], stock=[("A", "D1", 1)])
    before = _previous(("O1", "stock", "D1", 1))
    engine = Engine(snap, AllocationPolicy(churn_penalty=1.0), previous=before)
    with pytest.raises(PolicyError, match="churn_penalty"):
        engine.planner()
    with pytest.raises(PolicyError, match="churn_penalty"):
        engine.plan("fifo")
    capped = AllocationPolicy(churn_penalty=1.0, fair_share=FairShare((Cap("customer", "A", 1),)))
    with pytest.raises(PolicyError, match="churn_penalty"):
        Engine(snap, capped, previous=before).plan()


def test_workers_honour_the_penalty() -> None:
    snap = snapshot(
        [order("O1", quantity=2)],
        depots=(("D1", "US"), ("D2", "US")),
        stock=[("A", "D1", 2), ("A", "D2", 2)],
        lanes=[("D2", "US", 0.0, 0.0)],
    )
    before = _previous(("O1", "transfer", "D2", 2))
    engine = Engine(snap, AllocationPolicy(churn_penalty=5.0), previous=before)
    tables = engine.plan_tables(workers=2)
    assert tables.lines["source"].tolist() == ["transfer"]


@st.composite
def churned_worlds(draw: st.DrawFn) -> tuple[World, pd.DataFrame, float]:
    """A random world, a previous plan drawn from another world's plan (some lines cut,
    some orders gone) and a penalty."""
    w = draw(random_worlds(with_substitutes=False))
    other = draw(random_worlds(with_substitutes=False))
    lines = Engine(w.snapshot()).plan().lines
    if draw(st.booleans()) and len(other.orders):
        lines = pd.concat([lines, Engine(other.snapshot()).plan().lines.head(3)])
    lines = lines.reindex(columns=COLUMNS).reset_index(drop=True)
    keep = [draw(st.booleans()) for _ in range(len(lines))]
    previous = lines[pd.Series(keep, index=lines.index, dtype=bool)].reset_index(drop=True)
    penalty = draw(st.sampled_from([0.25, 1.0, 7.5, 40.0]))
    return w, previous, penalty


@st.composite
def shrunk_worlds(draw: st.DrawFn) -> tuple[World, pd.DataFrame, float]:
    """A random world whose previous plan held its orders more units than they now ask
    for: the world's own plan with some lines' units multiplied (as if the orders' quantities
    had since been cut), so that orders' previous units exceed their need."""
    w = draw(random_worlds(with_substitutes=False))
    lines = Engine(w.snapshot()).plan().lines.reindex(columns=COLUMNS).reset_index(drop=True)
    factors = [draw(st.sampled_from([1, 2, 3])) for _ in range(len(lines))]
    lines["quantity"] = lines["quantity"] * pd.Series(factors, index=lines.index, dtype="int64")
    penalty = draw(st.sampled_from([0.25, 1.0, 7.5, 40.0]))
    return w, lines, penalty


@pytest.mark.property
@LP
@given(churned_worlds())
def test_every_level_with_a_churn_penalty_matches_a_sequential_lp(
    case: tuple[World, pd.DataFrame, float],
) -> None:
    _matches_the_lp(case)


@pytest.mark.property
@LP
@given(shrunk_worlds())
def test_orders_that_held_more_than_they_need_are_priced_exactly(
    case: tuple[World, pd.DataFrame, float],
) -> None:
    _matches_the_lp(case)


def _matches_the_lp(case: tuple[World, pd.DataFrame, float]) -> None:
    """Every level of the plan with the penalty, and its money plus the penalty for what
    moved, equal the independent LP's."""
    w, previous, penalty = case
    snap = w.snapshot()
    engine = Engine(snap, AllocationPolicy(churn_penalty=penalty), previous=previous)
    plan = engine.plan()
    got = plan.objective()
    churn = churn_between(previous, plan.lines, snap.orders["order_id"])
    got_cost = got["cost"] + penalty * churn.units_moved
    units: dict[tuple[str, str, str], int] = {}
    for oid, kind, origin, q in previous.itertuples(index=False):
        units[(oid, kind, origin)] = units.get((oid, kind, origin), 0) + int(q)
    reference = build_reference(snap, substitutes=False)
    if not any(p.allowed for p in reference.pairs):
        return  # the reference answers zeros without solving: nothing to compare
    want = lexicographic_levels(reference, age_levels=True, churn=(units, penalty))
    for name in LEVELS:
        assert got[name] == pytest.approx(want[name], abs=1e-6), (name, want, got)
    assert got_cost == pytest.approx(want["cost"], abs=1e-6), (want, got, churn.table)
