"""The proportional split: a short class's units of a part shared in proportion to demand.

The quotas follow the largest-remainder rule
(:func:`allocation.domain.fair_share.largest_remainder`). The reference
(:mod:`reference_model`) gets its own quotas from the code here, computed with fractions
from the units its LP gives each class, and adds one level per class right after its
units: the units within quota, ``y_i ≤ x_i``, ``y_i ≤ quota_i``, ``Σ y_i`` maximised. The
engine must match every level.
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation.adapters.policy_file import allocation_policy_from
from allocation.adapters.snapshot import Snapshot, load_snapshot
from allocation.allocate import allocate
from allocation.domain.fair_share import Cap, FairShare, largest_remainder
from allocation.domain.policy import AllocationPolicy
from allocation.domain.root_causes import ROOT_CAUSES
from allocation.engine import Engine
from allocation.engine._shards import can_shard
from allocation.errors import PolicyError, UnknownIdError
from tests.allocation.engine.builders import World, order, random_worlds, world
from tests.allocation.engine.reference_model import (
    PP,
    STANDARD,
    Reference,
    build_reference,
    lexicographic_levels,
    usable_parts,
)
from tests.budget import examples

EXACT = 1e-6
SPLIT = AllocationPolicy(fair_share=FairShare(split="proportional"))
LEVELS = (
    "parts_priority_units",
    "parts_priority_eta_hours",
    "standard_units",
    "standard_eta_hours",
    "cost",
)
LP = settings(
    max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _got(plan_lines: pd.DataFrame) -> dict[str, int]:
    return {str(k): int(v) for k, v in plan_lines.groupby("order_id")["quantity"].sum().items()}


# -- the rounding rule ------------------------------------------------------------------


def _hamilton(units: int, demand: list[int], rank: list[int]) -> list[int]:
    """The largest-remainder rule with fractions, one order at a time."""
    total = sum(demand)
    exact = [Fraction(units * q, total) for q in demand]
    quota = [math.floor(e) for e in exact]
    by = sorted(range(len(demand)), key=lambda i: (-(exact[i] - quota[i]), rank[i]))
    for i in by[: units - sum(quota)]:
        quota[i] += 1
    return quota


def test_orders_of_5_3_and_2_sharing_7_units_get_4_2_and_1() -> None:
    # 3.5, 2.1 and 1.4 floored to 3, 2, 1; the unit left goes to the largest remainder.
    quota = largest_remainder(
        np.array([7]), np.array([5, 3, 2]), np.zeros(3, dtype=np.int64), np.arange(3)
    )
    assert quota.tolist() == [4, 2, 1]


def test_orders_of_4_3_and_3_sharing_7_units_get_3_2_and_2() -> None:
    quota = largest_remainder(
        np.array([7]), np.array([4, 3, 3]), np.zeros(3, dtype=np.int64), np.arange(3)
    )
    assert quota.tolist() == [3, 2, 2]


def test_equal_remainders_go_to_the_older_order_then_the_smaller_id() -> None:
    # Three orders of 2 share 4: 4/3 each, one unit left, ranks say who is first.
    pools = np.zeros(3, dtype=np.int64)
    assert largest_remainder(
        np.array([4]), np.array([2, 2, 2]), pools, np.array([2, 0, 1])
    ).tolist() == [1, 2, 1]


@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(1, 10**12)), min_size=1, max_size=30),
    st.data(),
)
def test_quotas_are_hamilton_shares_that_add_up_to_the_units(
    rows: list[tuple[int, int]], data: st.DataObject
) -> None:
    pool = np.array([p for p, _ in rows], dtype=np.int64)
    demand = np.array([q for _, q in rows], dtype=np.int64)
    rank = np.array(data.draw(st.permutations(range(len(rows)))), dtype=np.int64)
    n_pools = int(pool.max()) + 1
    need = [int(demand[pool == p].sum()) for p in range(n_pools)]
    units = np.array([data.draw(st.integers(0, n)) for n in need], dtype=np.int64)
    quota = largest_remainder(units, demand, pool, rank)
    for p in range(n_pools):
        mine = np.flatnonzero(pool == p)
        if len(mine) == 0:
            continue
        want = _hamilton(int(units[p]), demand[mine].tolist(), rank[mine].tolist())
        assert quota[mine].tolist() == want
        assert int(quota[mine].sum()) == int(units[p])
    assert np.all(quota <= demand)


# -- plans by hand ----------------------------------------------------------------------


def test_a_short_class_shares_its_units_in_proportion_to_demand() -> None:
    w = world(
        [
            order("O1", "PM", quantity=5, age=9),
            order("O2", "PM", quantity=3, age=5),
            order("O3", "PM", quantity=2, age=1),
        ],
        stock=[("A", "D1", 7)],
    )
    assert _got(allocate(w.snapshot()).to_pandas()) == {"O1": 5, "O2": 2}  # oldest first
    plan = allocate(w.snapshot(), SPLIT)
    assert _got(plan.to_pandas()) == {"O1": 4, "O2": 2, "O3": 1}
    unfilled = plan.unfilled.set_index("order_id")
    assert set(unfilled["code"]) == {"split_by_fair_share"}
    words = (
        "split: parts_priority orders of A got 7 of 10 units, shared in proportion to demand; "
        "this order's share is 2"
    )
    assert unfilled.loc["O2", "reason"] == words
    assert words in plan.explain("O2")


def test_firmed_units_stay_out_of_the_split() -> None:
    # O1 has 2 of its 4 firmed; the other 4 units are shared by what is left to need,
    # 2 and 4: 4/3 and 8/3, floored to 1 and 2, the unit left to the larger remainder.
    w = world(
        [order("O1", "PM", quantity=4, age=9), order("O2", "PM", quantity=4, age=1)],
        stock=[("A", "D1", 6)],
    )
    tables = w.tables()
    tables["overrides"] = pd.DataFrame(
        {
            "kind": ["firm"],
            "order_id": ["O1"],
            "source_kind": ["stock"],
            "origin": ["D1"],
            "quantity": [2],
        }
    )
    plan = allocate(load_snapshot(tables), SPLIT)
    assert _got(plan.to_pandas()) == {"O1": 3, "O2": 3}
    assert "got 4 of 6 units" in plan.unfilled.set_index("order_id").loc["O2", "reason"]


def test_orders_in_other_countries_keep_their_own_quotas() -> None:
    # Not one solver node: each order reaches the depot by its own lane.
    w = world(
        [
            order("O1", "PM", quantity=4, age=9, country="US"),
            order("O2", "PM", quantity=3, age=5, country="DE"),
            order("O3", "PM", quantity=3, age=1, country="FR"),
        ],
        stock=[("A", "D1", 7)],
        lanes=[("D1", "DE", 5.0, 0.0), ("D1", "FR", 9.0, 0.0)],
    )
    assert _got(allocate(w.snapshot(), SPLIT).to_pandas()) == {"O1": 3, "O2": 2, "O3": 2}


def test_a_tie_in_remainders_goes_to_the_older_order() -> None:
    w = world(
        [
            order("O1", "PM", quantity=2, age=1),
            order("O2", "PM", quantity=2, age=5),
            order("O3", "PM", quantity=2, age=3),
        ],
        stock=[("A", "D1", 4)],
    )
    assert _got(allocate(w.snapshot(), SPLIT).to_pandas()) == {"O1": 1, "O2": 2, "O3": 1}


def test_a_class_that_can_be_fully_served_is_untouched() -> None:
    w = world(
        [
            order("P1", "PM", quantity=2, age=2),
            order("P2", "PM", quantity=1, age=1),
            order("S1", "STD", quantity=4, age=9),
            order("S2", "STD", quantity=2, age=1),
        ],
        stock=[("A", "D1", 6)],
    )
    off = allocate(w.snapshot()).to_pandas()
    on = allocate(w.snapshot(), SPLIT).to_pandas()
    pm = ["P1", "P2"]
    pd.testing.assert_frame_equal(
        off[off["order_id"].isin(pm)].reset_index(drop=True),
        on[on["order_id"].isin(pm)].reset_index(drop=True),
    )
    assert _got(off)["S1"] == 3
    assert _got(on) == {"P1": 2, "P2": 1, "S1": 2, "S2": 1}  # 3 of 6 shared 2 : 1


def test_a_class_served_in_full_shares_nothing_and_the_plan_is_the_plan_without_split() -> None:
    w = world([order("O1", quantity=2), order("O2", quantity=1, age=3)], stock=[("A", "D1", 5)])
    off, on = allocate(w.snapshot()), allocate(w.snapshot(), SPLIT)
    assert off.to_pandas().equals(on.to_pandas())
    assert off.objective() == on.objective()


def test_the_split_takes_units_from_the_faster_plan_not_from_the_class() -> None:
    # The split ranks before ETA: the younger order gets its share from the slow receipt
    # rather than the older one taking both units on the shelf.
    w = world(
        [order("O1", "PM", quantity=2, age=9), order("O2", "PM", quantity=2, age=1)],
        stock=[("A", "D1", 2)],
        inbound=[("A", "D1", 1, 48.0)],
    )
    off = allocate(w.snapshot())
    on = allocate(w.snapshot(), SPLIT)
    assert off.objective()["parts_priority_units"] == on.objective()["parts_priority_units"] == 3
    assert _got(on.to_pandas()) == {"O1": 2, "O2": 1}  # 1.5 each, the older takes the rest


def test_a_higher_class_s_split_can_change_what_a_lower_class_gets_and_is_solved_again() -> None:
    # PM may take 2 units (a cap). Without the split its two orders take one each, P1 from
    # D1 and P2 from D2, and standard S1 takes D2's other unit. With it, P2 (5 of 6 asked)
    # has a quota of 2: it takes both of D2's units, and standard, which had 1 unit in the
    # first solve, has none: its quotas are worked out again, from what it really gets.
    w = world(
        [
            order("P1", "PM", quantity=1, age=9, country="US"),
            order("P2", "PM", quantity=5, age=5, country="DE"),
            order("S1", "STD", quantity=1, age=9, country="DE"),
            order("S2", "STD", quantity=1, age=1, country="DE"),
        ],
        stock=[("A", "D1", 1), ("A", "D2", 2)],
        depots=(("D1", "US"), ("D2", "DE")),
        lanes=[("D1", "DE", 5.0, 0.0)],
    )
    cap = (Cap("customer", "A", units=2),)
    off = allocate(w.snapshot(), AllocationPolicy(fair_share=FairShare(cap)))
    assert _got(off.to_pandas()) == {"P1": 1, "P2": 1, "S1": 1}
    on = allocate(w.snapshot(), AllocationPolicy(fair_share=FairShare(cap, "proportional")))
    assert _got(on.to_pandas()) == {"P2": 2}
    unfilled = on.unfilled.set_index("order_id")["code"].to_dict()
    assert unfilled == {
        "P1": "capped_by_fair_share",
        "P2": "capped_by_fair_share",
        "S1": "held_by_higher_class",
        "S2": "held_by_higher_class",
    }


def test_with_whole_orders_only_the_split_shares_among_the_orders_still_in() -> None:
    w = world(
        [order("O1", "PM", quantity=2, age=9), order("O2", "PM", quantity=2, age=1)],
        stock=[("A", "D1", 3)],
    )
    policy = replace(SPLIT, partial_fills=False)
    plan = allocate(w.snapshot(), policy)
    assert _got(plan.to_pandas()) == {"O1": 2}  # O2's share of 1 is dropped, O1 then whole
    assert plan.unfilled.set_index("order_id").loc["O2", "code"] == "whole_order_unavailable"


def test_split_parts_limits_the_split_to_the_parts_named() -> None:
    orders = [
        order("A1", "PM", part="A", quantity=2, age=9),
        order("A2", "PM", part="A", quantity=2, age=1),
        order("B1", "PM", part="B", quantity=2, age=9),
        order("B2", "PM", part="B", quantity=2, age=1),
    ]
    w = world(orders, stock=[("A", "D1", 2), ("B", "D1", 2)])
    policy = AllocationPolicy(fair_share=FairShare(split="proportional", split_parts=("B",)))
    assert _got(allocate(w.snapshot(), policy).to_pandas()) == {"A1": 2, "B1": 1, "B2": 1}


def test_a_split_part_that_is_not_in_the_snapshot_is_refused_by_name() -> None:
    policy = AllocationPolicy(fair_share=FairShare(split="proportional", split_parts=("NOPE",)))
    with pytest.raises(UnknownIdError, match=r"fair_share\.split_parts: unknown part 'NOPE'"):
        allocate(world([order("O1")], stock=[("A", "D1", 1)]).snapshot(), policy)


def test_the_split_code_is_in_the_root_cause_catalogue() -> None:
    assert "split_by_fair_share" in {c.code for c in ROOT_CAUSES}


# -- against the independent LP ---------------------------------------------------------


def _part_groups(snap: Snapshot) -> dict[str, frozenset[str]]:
    """Each part's substitution group: the parts its chains join, either way."""
    reach = usable_parts(snap, True)
    group = {p: {p} for p in reach}
    changed = True
    while changed:
        changed = False
        for p, subs in reach.items():
            for q in subs:
                if group[p] is not group[q]:
                    merged = group[p] | group[q]
                    for r in merged:
                        group[r] = merged
                    changed = True
    return {p: frozenset(g) for p, g in group.items()}


class _Quotas:
    """The reference's quotas, from the units its LP gives each order, by the rule above;
    kept per class to score the engine's plan with the same quotas."""

    def __init__(self, snap: Snapshot, reference: Reference) -> None:
        self.reference = reference
        self.part = list(snap.orders["part_number"])
        self.group = _part_groups(snap)
        reached = {p.order for p in reference.pairs if p.allowed and reference.supply[p.source] > 0}
        self.reached = reached
        self.by_class: dict[str, dict[int, int]] = {}

    def __call__(self, klass: str, units: list[float]) -> dict[int, int]:
        ref = self.reference
        pools: dict[frozenset[str], list[int]] = {}
        for i, c in enumerate(ref.order_class):
            if c == klass and i in self.reached:
                pools.setdefault(self.group[self.part[i]], []).append(i)
        quotas: dict[int, int] = {}
        for members in pools.values():
            need = [ref.order_quantity[i] for i in members]
            got = round(sum(units[i] for i in members))
            if got >= sum(need):
                continue
            ranked = sorted(members, key=lambda i: (ref.order_created_minutes[i], ref.order_ids[i]))
            rank = [ranked.index(i) for i in members]
            quotas.update(zip(members, _hamilton(got, need, rank), strict=True))
        self.by_class[klass] = quotas
        return quotas

    def within(self, klass: str, got: dict[str, int]) -> int:
        ids = self.reference.order_ids
        mine = self.by_class.get(klass, {})
        return sum(min(got.get(ids[i], 0), q) for i, q in mine.items())


@st.composite
def split_worlds(draw: st.DrawFn) -> tuple[World, FairShare]:
    """A random world, the split on, and sometimes a fair-share cap beside it."""
    w = draw(random_worlds())
    caps: tuple[Cap, ...] = ()
    if draw(st.booleans()):
        caps = (Cap("customer", draw(st.sampled_from([*w.part_numbers(), "*"])), units=2),)
    return w, FairShare(caps, split="proportional")


def _reference_caps(w: World, rules: FairShare) -> list[tuple[set[int], int]]:
    groups: dict[tuple[str, str], set[int]] = {}
    for i, o in enumerate(w.orders):
        cap = rules.cap_of(o.part)
        if cap is not None:
            groups.setdefault((o.customer, o.part), set()).add(i)
    return [(members, 2) for members in groups.values()]


@pytest.mark.property
@LP
@given(split_worlds())
def test_every_level_with_the_split_matches_a_sequential_lp(case: tuple[World, FairShare]) -> None:
    w, rules = case
    snap = w.snapshot()
    plan = allocate(snap, AllocationPolicy(fair_share=rules))
    objective = plan.objective()
    reference = build_reference(snap)
    quotas = _Quotas(snap, reference)
    want = lexicographic_levels(
        reference, age_levels=True, caps=_reference_caps(w, rules), split=quotas
    )
    for name in LEVELS:
        assert objective[name] == pytest.approx(want[name], abs=EXACT), (name, want, objective)
    got = _got(plan.to_pandas())
    for klass in (PP, STANDARD):
        assert quotas.within(klass, got) == pytest.approx(want[f"{klass}_split"], abs=EXACT)


@pytest.mark.property
@LP
@given(random_worlds())
def test_the_split_never_costs_parts_priority_a_unit(w: World) -> None:
    off = allocate(w.snapshot()).objective()
    on = allocate(w.snapshot(), SPLIT).objective()
    assert on["parts_priority_units"] == off["parts_priority_units"]
    assert on["standard_units"] <= off["standard_units"] + EXACT  # parts priority's split may


@pytest.mark.property
@settings(LP, max_examples=examples(40))
@given(split_worlds(), st.data())
def test_the_incremental_planner_with_the_split_matches_a_full_plan(
    case: tuple[World, FairShare], data: st.DataObject
) -> None:
    w, rules = case
    policy = AllocationPolicy(fair_share=rules)
    cut = data.draw(st.integers(0, len(w.orders) - 1))
    planner = Engine(replace(w, orders=w.orders[:cut]).snapshot(), policy).planner()
    for row in w.snapshot().orders.iloc[cut:].to_dict(orient="records"):
        planner.add_order({str(k): v for k, v in row.items()})
    full = allocate(w.snapshot(), policy)
    got = planner.plan()
    for name in LEVELS:
        assert got.objective()[name] == pytest.approx(full.objective()[name], abs=EXACT)
    assert _got(got.to_pandas()) == _got(full.to_pandas())


def test_a_cancel_in_a_split_pool_shares_the_units_again() -> None:
    w = world(
        [
            order("O1", "PM", quantity=2, age=9),
            order("O2", "PM", quantity=2, age=5),
            order("O3", "PM", quantity=2, age=1),
        ],
        stock=[("A", "D1", 3)],
    )
    planner = Engine(w.snapshot(), SPLIT).planner()
    assert _got(planner.plan().to_pandas()) == {"O1": 1, "O2": 1, "O3": 1}
    planner.cancel("O3")  # it held a unit; O1 and O2 now share 3 of 4
    assert _got(planner.plan().to_pandas()) == {"O1": 2, "O2": 1}
    rest = replace(w, orders=w.orders[:2])
    assert _got(allocate(rest.snapshot(), SPLIT).to_pandas()) == {"O1": 2, "O2": 1}


@pytest.mark.skipif(not can_shard(), reason="needs fork to share the snapshot")
def test_a_plan_made_in_shards_has_the_tables_of_the_plan_made_whole() -> None:
    from allocation import generate_world, load_snapshot

    snap = load_snapshot(generate_world(1500, 150, 6, 3, coverable_share=0.5))
    whole = Engine(snap, SPLIT).plan().tables()
    sharded = Engine(snap, SPLIT).plan_tables(workers=2)
    pd.testing.assert_frame_equal(sharded.lines, whole.lines, check_exact=True)
    pd.testing.assert_frame_equal(sharded.unfilled, whole.unfilled, check_exact=True)
    assert (whole.unfilled["code"] == "split_by_fair_share").any()


# -- policy files -----------------------------------------------------------------------


def test_the_policy_file_turns_the_split_on_and_names_every_bad_value() -> None:
    policy = allocation_policy_from(
        {"fair_share": {"split": "proportional", "split_parts": ["SSD-512"]}}
    )
    assert policy.fair_share == FairShare(split="proportional", split_parts=("SSD-512",))
    assert allocation_policy_from({"fair_share": {"split": False}}).fair_share.split == "off"
    assert allocation_policy_from({"fair_share": {"split": "off"}}).fair_share == FairShare()
    bad = [
        ({"split": "even"}, r"fair_share\.split: 'even' is not one of off, proportional"),
        ({"split": True}, r"fair_share\.split: True"),
        ({"split": "proportional", "split_parts": "A"}, r"fair_share\.split_parts"),
        ({"split": "proportional", "split_parts": []}, r"fair_share\.split_parts"),
        ({"split": "proportional", "split_parts": [3]}, r"fair_share\.split_parts"),
        ({"spilt": "proportional"}, r"fair_share\.spilt is not an option"),
    ]
    for raw, words in bad:
        with pytest.raises(PolicyError, match=words):
            allocation_policy_from({"fair_share": raw})
