"""Fair-share caps: what one customer or country takes of a part is a flow capacity.

The reference (:mod:`reference_model`) groups the orders by party and part with its own
code, works out each cap (units, or the floor of the share of the part's supply) and adds
one constraint per capped party to every LP level; the engine must match it level by level
and never give a party more than its cap.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation.adapters.policy_file import allocation_policy_from
from allocation.adapters.snapshot import load_snapshot
from allocation.allocate import allocate
from allocation.domain.fair_share import Cap, FairShare, TakenEarlier, period_start
from allocation.domain.policy import AllocationPolicy
from allocation.engine import Engine
from allocation.errors import PolicyError, UnknownIdError
from tests.allocation.engine.builders import World, order, random_worlds, snapshot, world
from tests.allocation.engine.reference_model import (
    build_reference,
    lexicographic_levels,
    source_rows,
)
from tests.budget import examples

EXACT = 1e-6
LEVELS = (
    "parts_priority_units",
    "parts_priority_eta_hours",
    "standard_units",
    "standard_eta_hours",
)
LP = settings(
    max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def capped_worlds(draw: st.DrawFn) -> tuple[World, FairShare]:
    """A random world and one or two caps on its parts, by customer or country."""
    w = draw(random_worlds())
    parts = w.part_numbers()
    by = draw(st.sampled_from(["customer", "country"]))
    names = draw(st.lists(st.sampled_from([*parts, "*"]), min_size=1, max_size=2, unique=True))
    caps = []
    for name in names:
        if draw(st.booleans()):
            caps.append(Cap(by, name, units=draw(st.integers(0, 4))))
        else:
            caps.append(Cap(by, name, share=draw(st.sampled_from([0.2, 0.25, 0.4, 0.5, 0.75]))))
    return w, FairShare(tuple(caps))


def _reference_caps(w: World, rules: FairShare) -> list[tuple[set[int], int]]:
    """(order positions, cap) per capped party and part, from the rows alone."""
    snap = w.snapshot()
    supply: dict[str, int] = {}
    for part, _, _, units, _, _ in source_rows(snap):
        supply[part] = supply.get(part, 0) + units
    groups: dict[tuple[str, str], set[int]] = {}
    for i, o in enumerate(w.orders):
        cap = rules.cap_of(o.part)
        if cap is not None:
            party = o.customer if cap.by == "customer" else o.country
            groups.setdefault((party, o.part), set()).add(i)
    out = []
    for (_, part), members in groups.items():
        cap = rules.cap_of(part)
        assert cap is not None
        units = (
            cap.units
            if cap.units is not None
            else math.floor(cap.share * supply.get(part, 0) + 1e-9)
        )  # type: ignore[operator]
        out.append((members, int(units)))
    return out


def _taken(plan_frame_orders: list[str], quantities: list[int], w: World) -> dict[int, int]:
    got = dict.fromkeys(range(len(w.orders)), 0)
    position = {o.order_id: i for i, o in enumerate(w.orders)}
    for oid, q in zip(plan_frame_orders, quantities, strict=True):
        got[position[oid]] += q
    return got


def _o2_firms_two_at_d1(w: World) -> dict[str, pd.DataFrame]:
    """The world's tables with an overrides table that firms 2 of O2's units at D1."""
    tables = w.tables()
    tables["overrides"] = pd.DataFrame(
        {
            "kind": ["firm"],
            "order_id": ["O2"],
            "source_kind": ["stock"],
            "origin": ["D1"],
            "quantity": [2],
        }
    )
    return tables


@pytest.mark.property
@LP
@given(capped_worlds(), st.sampled_from(["optimal", "fifo", "tier_greedy"]))
def test_no_capped_party_ever_takes_more_than_its_cap(
    case: tuple[World, FairShare], strategy: str
) -> None:
    w, rules = case
    lines = allocate(w.snapshot(), AllocationPolicy(fair_share=rules), strategy).to_pandas()
    got = _taken(lines["order_id"].tolist(), lines["quantity"].astype(int).tolist(), w)
    for members, cap in _reference_caps(w, rules):
        assert sum(got[i] for i in members) <= cap, (members, cap, lines)


@pytest.mark.parametrize("strategy", ["fifo", "tier_greedy"])
def test_the_baselines_honour_caps_and_the_firmed_units_against_them(strategy: str) -> None:
    # PM may take 3 units; it firmed 2 for its younger order, so its older one gets 1 and
    # the standard order, served last by either baseline, takes what is left.
    w = world(
        [
            order("O1", "PM", quantity=3, age=9),
            order("O2", "PM", quantity=3, age=1),
            order("S1", "STD", quantity=2, age=0.5),
        ],
        stock=[("A", "D1", 6)],
    )
    tables = _o2_firms_two_at_d1(w)
    policy = AllocationPolicy(fair_share=FairShare((Cap("customer", "*", units=3),)))
    plan = allocate(load_snapshot(tables), policy, strategy)
    got = plan.to_pandas().groupby("order_id")["quantity"].sum().to_dict()
    assert got == {"O1": 1, "O2": 2, "S1": 2}
    uncapped = allocate(load_snapshot(tables), AllocationPolicy(), strategy)
    assert uncapped.to_pandas().groupby("order_id")["quantity"].sum().to_dict()["O1"] == 3


@pytest.mark.parametrize("strategy", ["fifo", "tier_greedy"])
def test_the_baselines_refuse_the_proportional_split_by_name(strategy: str) -> None:
    w = world([order("O1", "PM"), order("O2", "STD")], stock=[("A", "D1", 1)])
    policy = AllocationPolicy(fair_share=FairShare(split="proportional"))
    with pytest.raises(PolicyError, match=r"fair_share\.split is a level of the optimal strategy"):
        allocate(w.snapshot(), policy, strategy)


@pytest.mark.property
@LP
@given(capped_worlds())
def test_every_level_with_caps_matches_a_sequential_lp(case: tuple[World, FairShare]) -> None:
    w, rules = case
    snap = w.snapshot()
    objective = allocate(snap, AllocationPolicy(fair_share=rules)).objective()
    reference = build_reference(snap)
    caps = _reference_caps(w, rules)
    # Age ranks within a class, before the next class's units. Without caps that never
    # changes what a lower class gets (which orders of a class are served and which
    # sources serve them can be chosen apart); a cap hub ties the two together, so the
    # reference must rank age where the engine does.
    aged = lexicographic_levels(reference, age_levels=True, caps=caps)
    for name in (*LEVELS, "cost"):
        assert objective[name] == pytest.approx(aged[name], abs=EXACT), (name, aged, objective)


@pytest.mark.property
@settings(LP, max_examples=examples(40))
@given(capped_worlds(), st.data())
def test_the_incremental_planner_with_caps_matches_a_full_plan(
    case: tuple[World, FairShare], data: st.DataObject
) -> None:
    w, rules = case
    policy = AllocationPolicy(fair_share=rules)
    cut = data.draw(st.integers(0, len(w.orders) - 1))
    planner = Engine(replace(w, orders=w.orders[:cut]).snapshot(), policy).planner()
    frame = w.snapshot().orders
    for row in frame.iloc[cut:].to_dict(orient="records"):
        planner.add_order({str(k): v for k, v in row.items()})
    got = planner.plan().objective()
    want = allocate(w.snapshot(), policy).objective()
    for name in (*LEVELS, "cost"):
        assert got[name] == pytest.approx(want[name], abs=EXACT), (name, got, want)


def test_a_customer_capped_at_40_percent_leaves_the_rest_to_others() -> None:
    snap = snapshot(
        [order("O1", "PM", quantity=5, age=9), order("O2", "PA", quantity=5, age=1)],
        stock=[("A", "D1", 5)],
    )
    policy = AllocationPolicy(fair_share=FairShare((Cap("customer", "A", share=0.4),)))
    plan = allocate(snap, policy)
    got = plan.to_pandas().groupby("order_id")["quantity"].sum().to_dict()
    assert got == {"O1": 2, "O2": 2}  # floor(0.4 × 5) = 2 each; one unit stays on the shelf
    unfilled = plan.unfilled.set_index("order_id")
    assert unfilled.loc["O1", "code"] == "capped_by_fair_share"
    assert unfilled.loc["O1", "reason"] == "capped: customer PM has taken its 40% of A this week"


def test_under_a_cap_the_older_order_of_a_class_comes_before_the_next_class() -> None:
    # PM may take one unit. Its older order, in Germany, can only be served from D2; so
    # can the standard order. Age ranks within parts priority, before standard units: the
    # older PM order takes D2's unit although a younger PM order could have used D3's.
    w = world(
        [
            order("OLD", "PM", part="A", country="DE", age=2.0),
            order("NEW", "PM", part="A", country="US", age=1.0),
            order("STD", "STD", part="A", country="DE", age=1.0),
        ],
        stock=[("A", "D2", 1), ("A", "D3", 1)],
        depots=(("D2", "US"), ("D3", "US")),
        lanes=(("D2", "DE", 0.0, 0.0),),
    )
    policy = AllocationPolicy(fair_share=FairShare((Cap("customer", "A", units=1),)))
    lines = allocate(w.snapshot(), policy).to_pandas()
    assert lines[["order_id", "origin"]].values.tolist() == [["OLD", "D2"]]


def test_firmed_units_count_against_the_cap() -> None:
    w = world(
        [order("O1", "PM", quantity=3, age=9), order("O2", "PM", quantity=3, age=1)],
        stock=[("A", "D1", 6)],
    )
    tables = _o2_firms_two_at_d1(w)
    snap = load_snapshot(tables)
    policy = AllocationPolicy(fair_share=FairShare((Cap("customer", "*", units=3),)))
    got = allocate(snap, policy).to_pandas().groupby("order_id")["quantity"].sum().to_dict()
    assert got == {"O1": 1, "O2": 2}  # PM firmed 2, so only 1 more for its older order


def test_without_fair_share_plans_are_the_same_as_before() -> None:
    w = world(
        [order("O1", "PM", quantity=2), order("O2", "STD", quantity=2, age=3)],
        stock=[("A", "D1", 3)],
    )
    a = allocate(w.snapshot()).to_pandas()
    b = allocate(w.snapshot(), AllocationPolicy(fair_share=FairShare())).to_pandas()
    assert a.equals(b)


def test_a_cap_too_large_to_bind_changes_no_level() -> None:
    w = world(
        [order("O1", "PM", quantity=2), order("O2", "STD", quantity=2, age=3)],
        stock=[("A", "D1", 3)],
    )
    big = AllocationPolicy(fair_share=FairShare((Cap("customer", "*", units=100),)))
    assert allocate(w.snapshot(), big).objective() == allocate(w.snapshot()).objective()


def test_the_policy_file_reads_caps_and_names_every_bad_key() -> None:
    policy = allocation_policy_from(
        {"fair_share": {"caps": [{"by": "region", "part": "*", "units": 5, "period": "day"}]}}
    )
    assert policy.fair_share.cap_of("X") == Cap("region", "*", units=5, period="day")
    bad = [
        ({"caps": [{"by": "planet", "part": "*", "units": 1}]}, "caps[0].by"),
        ({"caps": [{"by": "customer", "part": "*", "units": -1}]}, "caps[0].units"),
        ({"caps": [{"by": "customer", "part": "*", "share": 1.5}]}, "caps[0].share"),
        ({"caps": [{"by": "customer", "part": "*", "units": 1, "period": "year"}]}, "period"),
        ({"caps": [{"by": "customer", "part": "*"}]}, "needs units or share"),
        ({"caps": [{"by": "customer", "part": "*", "units": 1, "color": 1}]}, "caps[0].color"),
        ({"limits": []}, "fair_share.limits"),
        (
            {
                "caps": [
                    {"by": "customer", "part": "A", "units": 1},
                    {"by": "country", "part": "A", "units": 1},
                ]
            },
            "two caps",
        ),
    ]
    for raw, words in bad:
        with pytest.raises(PolicyError, match=words.replace("[", r"\[").replace("]", r"\]")):
            allocation_policy_from({"fair_share": raw})


def test_a_cap_on_an_unknown_part_is_refused_by_name() -> None:
    policy = AllocationPolicy(fair_share=FairShare((Cap("customer", "NOPE", units=1),)))
    with pytest.raises(UnknownIdError, match=r"fair_share\.caps: unknown part 'NOPE'"):
        allocate(snapshot([order("O1")], stock=[("A", "D1", 1)]), policy)


def test_a_region_cap_holds_orders_of_every_country_in_the_region() -> None:
    snap = snapshot(
        [
            order("O1", "PM", quantity=2, age=5, country="US"),
            order("O2", "PM", quantity=2, age=4, country="CA"),
            order("O3", "PM", quantity=2, age=3, country="DE"),
        ],
        stock=[("A", "D1", 6)],
        lanes=[("D1", "CA", 1.0, 0.0), ("D1", "DE", 2.0, 0.0)],
    )
    policy = AllocationPolicy(fair_share=FairShare((Cap("region", "A", units=3),)))
    lines = allocate(snap, policy).to_pandas()
    got = lines.groupby("order_id")["quantity"].sum().to_dict()
    assert got["O1"] + got["O2"] == 3
    assert got["O3"] == 2
    assert np.all(lines["quantity"] > 0)


def test_units_taken_earlier_in_the_period_count_against_the_cap() -> None:
    # PM may take 2 units of A a week and took 1 earlier this week: of its 2-unit order only
    # one is served now, though a third unit stays on the shelf.
    w = world(
        [order("O1", "PM", quantity=2, age=9), order("S1", "STD", quantity=1, age=1)],
        stock=[("A", "D1", 4)],
    )
    policy = AllocationPolicy(fair_share=FairShare((Cap("customer", "*", units=2),)))
    earlier = TakenEarlier(by_party={("A", "PM"): 1}, by_part={"A": 1})
    snap = replace(w.snapshot(), taken_earlier=earlier)
    plan = allocate(snap, policy)
    got = plan.to_pandas().groupby("order_id")["quantity"].sum().to_dict()
    assert got == {"O1": 1, "S1": 1}
    assert plan.unfilled[["order_id", "code", "reason"]].values.tolist() == [
        ["O1", "capped_by_fair_share", "capped: customer PM has taken its 2 units of A this week"]
    ]
    assert Engine(snap, policy).planner().plan().filled.tolist() == plan.filled.tolist()
    # Nothing taken earlier: the cap lets both units through.
    fresh = allocate(w.snapshot(), policy).to_pandas().groupby("order_id")["quantity"].sum()
    assert fresh.to_dict() == {"O1": 2, "S1": 1}


def test_a_share_cap_is_a_share_of_the_periods_supply_shipped_units_included() -> None:
    # Half of A's supply this week: 4 on hand now and 4 that shipped earlier (3 of them to
    # PM) make 8, so PM may take 4 and has 1 left; half of today's 4 alone would leave none.
    w = world([order("O1", "PM", quantity=3)], stock=[("A", "D1", 4)])
    policy = AllocationPolicy(fair_share=FairShare((Cap("customer", "*", share=0.5),)))
    earlier = TakenEarlier(by_party={("A", "PM"): 3}, by_part={"A": 4})
    plan = allocate(replace(w.snapshot(), taken_earlier=earlier), policy)
    assert plan.filled.tolist() == [1]


def test_a_cap_period_starts_at_midnight_on_its_first_day() -> None:
    thursday = datetime(2026, 12, 10, 15, 30)
    assert period_start("day", thursday) == datetime(2026, 12, 10)
    assert period_start("week", thursday) == datetime(2026, 12, 7)  # Monday
    assert period_start("week", datetime(2026, 12, 7)) == datetime(2026, 12, 7)
    assert period_start("month", thursday) == datetime(2026, 12, 1)
    with pytest.raises(PolicyError, match="fortnight"):
        period_start("fortnight", thursday)
