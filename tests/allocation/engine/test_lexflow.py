"""The lexicographic min-cost flow against an independent sequential LP, and its guards."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocation.engine.solve._lexflow import FlowProblem, Level, solve_lexicographic
from allocation.errors import OutOfRangeError
from tests.allocation.engine.lp_reference import level_values, lexicographic_optimum
from tests.budget import examples


@st.composite
def problems(draw: st.DrawFn) -> tuple[FlowProblem, list[Level]]:
    n_src = draw(st.integers(1, 6))
    n_ord = draw(st.integers(1, 12))
    supply = np.array(draw(st.lists(st.integers(0, 6), min_size=n_src, max_size=n_src)))
    demand = np.array(draw(st.lists(st.integers(1, 4), min_size=n_ord, max_size=n_ord)))
    pairs = sorted(
        draw(
            st.sets(
                st.tuples(st.integers(0, n_src - 1), st.integers(0, n_ord - 1)),
                min_size=1,
                max_size=n_src * n_ord,
            )
        )
    )
    arc_source = np.array([p[0] for p in pairs], dtype=np.int64)
    arc_order = np.array([p[1] for p in pairs], dtype=np.int64)
    capacity = demand[arc_order]
    problem = FlowProblem(supply, demand, arc_source, arc_order, capacity)
    n_arcs = len(pairs)
    classes = np.array(draw(st.lists(st.integers(0, 1), min_size=n_ord, max_size=n_ord)))
    levels: list[Level] = []
    for k in (0, 1):
        levels.append(Level(f"units{k}", "order", -(classes == k).astype(np.int64)))
        eta = np.array(draw(st.lists(st.integers(0, 50), min_size=n_arcs, max_size=n_arcs)))
        levels.append(Level(f"eta{k}", "arc", np.where(classes[arc_order] == k, eta, 0)))
        age = np.argsort(np.argsort(np.array(draw(st.permutations(range(n_ord))))))
        levels.append(Level(f"age{k}", "order", np.where(classes == k, age, 0)))
    money = np.array(draw(st.lists(st.integers(0, 1000), min_size=n_arcs, max_size=n_arcs)))
    levels.append(Level("money", "arc", money))
    return problem, levels


def _feasible(problem: FlowProblem, flow: np.ndarray) -> None:
    assert np.all(flow >= 0)
    assert np.all(flow <= problem.arc_capacity)
    used = np.bincount(problem.arc_source, weights=flow, minlength=len(problem.supply))
    got = np.bincount(problem.arc_order, weights=flow, minlength=len(problem.demand))
    assert np.all(used <= problem.supply)
    assert np.all(got <= problem.demand)


@pytest.mark.property
@settings(max_examples=examples(300), deadline=None)
@given(problems())
def test_every_level_matches_a_sequential_lp(case: tuple[FlowProblem, list[Level]]) -> None:
    problem, levels = case
    flow = solve_lexicographic(problem, levels)
    _feasible(problem, flow)
    expected = lexicographic_optimum(problem, levels)
    assert level_values(problem, levels, flow) == expected


@pytest.mark.property
@settings(max_examples=examples(100), deadline=None)
@given(problems())
def test_levels_split_into_stages_still_match_the_lp(case: tuple[FlowProblem, list[Level]]) -> None:
    # Huge costs on a low level force the solver to split the objective into several stages
    # and fix each stage's optimal face before the next.
    problem, levels = case
    big = 2**40
    levels = [*levels[:-1], Level("money", "arc", levels[-1].costs * big)]
    flow = solve_lexicographic(problem, levels)
    _feasible(problem, flow)
    expected = lexicographic_optimum(problem, levels[:-1])
    assert level_values(problem, levels[:-1], flow) == expected


def test_a_level_too_large_for_int64_is_refused_by_name() -> None:
    problem = FlowProblem(np.array([1]), np.array([1]), np.array([0]), np.array([0]), np.array([1]))
    with pytest.raises(OutOfRangeError, match="too large"):
        solve_lexicographic(problem, [Level("money", "arc", np.array([2**62]))])


def test_a_higher_level_is_never_traded_for_any_amount_of_a_lower_one() -> None:
    # One unit, two orders: order 0 is in the top class; order 1 would save a fortune.
    problem = FlowProblem(
        np.array([1]), np.array([1, 1]), np.array([0, 0]), np.array([0, 1]), np.array([1, 1])
    )
    levels = [
        Level("units_top", "order", np.array([-1, 0])),
        Level("units_rest", "order", np.array([0, -1])),
        Level("money", "arc", np.array([10**12, 0])),
    ]
    assert solve_lexicographic(problem, levels).tolist() == [1, 0]


@pytest.mark.property
@settings(max_examples=examples(100), deadline=None)
@given(st.lists(problems(), min_size=2, max_size=4))
def test_independent_groups_solved_together_match_each_solved_alone(
    cases: list[tuple[FlowProblem, list[Level]]],
) -> None:
    # Batching groups into one network must not change any group's answer: the groups meet
    # only at the sink. Low levels are inflated so that stages and face fixing are exercised.
    big = 2**36
    supply, demand, a_src, a_ord, cap, s_comp, o_comp = [], [], [], [], [], [], []
    merged: dict[str, list[np.ndarray]] = {}
    n_src = n_ord = 0
    for g, (problem, levels) in enumerate(cases):
        supply.append(problem.supply)
        demand.append(problem.demand)
        a_src.append(problem.arc_source + n_src)
        a_ord.append(problem.arc_order + n_ord)
        cap.append(problem.arc_capacity)
        s_comp.append(np.full(len(problem.supply), g))
        o_comp.append(np.full(len(problem.demand), g))
        for level in levels:
            costs = level.costs * big if level.name == "money" else level.costs
            merged.setdefault(level.name, []).append(costs)
        n_src += len(problem.supply)
        n_ord += len(problem.demand)
    batch = FlowProblem(
        np.concatenate(supply),
        np.concatenate(demand),
        np.concatenate(a_src),
        np.concatenate(a_ord),
        np.concatenate(cap),
        np.concatenate(s_comp),
        np.concatenate(o_comp),
    )
    names = [level.name for level in cases[0][1]]
    batch_levels = [
        Level(n, cases[0][1][i].on, np.concatenate(merged[n])) for i, n in enumerate(names)
    ]
    flow = solve_lexicographic(batch, batch_levels)
    _feasible(batch, flow)
    expected = [0.0] * len(names)
    for problem, levels in cases:
        scaled = [
            Level(lv.name, lv.on, lv.costs * big if lv.name == "money" else lv.costs)
            for lv in levels
        ]
        for i, value in enumerate(lexicographic_optimum(problem, scaled[:-1])):
            expected[i] += value
    assert level_values(batch, batch_levels[:-1], flow) == expected[:-1]
