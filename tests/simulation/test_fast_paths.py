"""The shortcuts taken on the hottest paths of a replication give what the long way gives."""

from __future__ import annotations

import gc
import threading
from typing import cast

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocation.engine import objective
from simulation.records import Recorder, _categorical
from simulation.world.collector import collector_paused
from simulation.world.solo import fill_optimal
from simulation.world.state import DepotInbound, Promise
from simulation.world.supply import Candidate, Supply
from tests.budget import examples


class _Keys:
    """A stand-in for Supply: each candidate's (ticks, cents) given, tie costs from ids."""

    def __init__(self, keys: list[tuple[int, int]]) -> None:
        self.keys = keys

    def keys_of(self, found: list[Candidate]) -> list[tuple[int, int]]:
        return self.keys

    def tie(self, node: int, candidate: Candidate) -> int:
        return (node * 7919 + candidate.depot * 104729) % 1000


def _candidate(depot: int, units: int) -> Candidate:
    return Candidate(0, 0, 0, depot, -1, units, 0.0, 0.0, 0.0, 0.0)


@pytest.mark.property
@settings(max_examples=examples(300), deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(1, 4)), min_size=1, max_size=6
    ),
    st.integers(1, 6),
)
def test_a_lone_order_is_filled_as_the_engines_rule_fills_it(
    sources: list[tuple[int, int, int]], need: int
) -> None:
    found = [_candidate(d, units) for d, (_, _, units) in enumerate(sources)]
    keys = [(t, c) for t, c, _ in sources]
    stub = _Keys(keys)
    take = objective.fill_alone_lazy(
        [k[0] for k in keys],
        [k[1] for k in keys],
        lambda i: stub.tie(5, found[i]),
        [c.units for c in found],
        need,
    )
    expected = None
    if take is not None:
        ranked = sorted(range(len(found)), key=lambda i: (keys[i], i))
        expected = [(i, take[i]) for i in ranked if take[i] > 0]
    assert fill_optimal(cast(Supply, stub), found, need, 5) == expected


@pytest.mark.property
@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.tuples(st.sampled_from("jtsrw"), st.integers(0, 3), st.integers(1, 4))))
def test_the_units_held_through_a_rank_are_those_of_the_queue_up_to_it(
    steps: list[tuple[str, int, int]],
) -> None:
    inbound = DepotInbound()
    inbound.add(1.0, 0, 50)
    for seq, (step, rank, units) in enumerate(steps):
        if step == "j":
            inbound.join(Promise(rank, seq, seq % 5, units, "inbound", 0.0, 0.0))
        elif step == "t":
            inbound.units = max(inbound.units - units, 0)
            inbound.trim()
        elif step == "s":
            inbound.serve(units)
        elif step == "r":
            inbound.release(units % 5)
        for r in range(4):
            prefix = sum(p.units for p in inbound.queue if p.rank <= r)
            assert inbound.held_through(r) == prefix
        assert inbound.held == sum(p.units for p in inbound.queue)


@pytest.mark.property
@settings(max_examples=examples(100), deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["b", "a", "C", "a1", "é", ""]))))
def test_a_text_column_is_the_categorical_pandas_makes_of_it(values: list[str | None]) -> None:
    array = np.array(values, dtype=object)
    ours = _categorical(array)
    empty = all(value is None for value in values)
    theirs = pd.Categorical(values if empty else array)
    assert ours.dtype == theirs.dtype
    assert ours.categories.dtype == theirs.categories.dtype
    assert ours.codes.tolist() == theirs.codes.tolist()


def test_an_order_created_row_is_the_row_emit_makes() -> None:
    fast, slow = Recorder(), Recorder()
    info = ("C1", "DE", "standard", "PA", None)
    fast.order_created(1.5, "O1", "P1", None, 2, info)
    slow.emit(
        1.5,
        "order_created",
        order_id="O1",
        part_number="P1",
        quantity=2,
        customer_id="C1",
        country="DE",
        priority_class="standard",
        tier="PA",
    )
    assert fast.to_frame().equals(slow.to_frame())


def test_the_collector_runs_again_when_the_last_pause_ends() -> None:
    assert gc.isenabled()
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_pauses_in_threads_leave_the_collector_running() -> None:
    inside, leave = threading.Event(), threading.Event()

    def pause() -> None:
        with collector_paused():
            inside.set()
            leave.wait()

    other = threading.Thread(target=pause)
    other.start()
    inside.wait()
    with collector_paused():
        leave.set()
        other.join()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_stopped_before_stays_stopped() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
