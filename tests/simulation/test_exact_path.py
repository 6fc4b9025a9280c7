"""The exact no-solve paths decide exactly what the engine would, in every record.

Single orders, several orders of one node (``optimal``) and several orders of any kind (the
baselines, which are sequential) are decided without the engine when the shortcut is on.
Here random small worlds — every strategy, both modes, pre-emption on and off, overlapping
disruptions, failing brokers, substitutes — run twice, with the shortcut and with every
decision sent to the engine, and must leave identical records.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import simulation.world.decide as decide
from simulation.world.setup import build_setup
from tests.budget import examples
from tests.simulation.test_conservation import protection, worlds
from tests.simulation.worlds import TinyWorld, run_world


@pytest.mark.property
@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(), st.integers(0, 3))
def test_the_exact_paths_leave_the_same_records_as_the_engine(
    case: tuple[TinyWorld, dict[str, Any], str], seed: int
) -> None:
    world, scenario, strategy = case
    note(f"{world!r}\n{scenario!r}\n{strategy}")
    with tempfile.TemporaryDirectory() as folder:
        setup = build_setup(world.write(Path(folder), **scenario))
    fast = run_world(setup, strategy, seed=seed, shortcut=True, audit=False)
    slow = run_world(setup, strategy, seed=seed, shortcut=False, audit=False)
    pd.testing.assert_frame_equal(
        fast.recorder.to_frame(), slow.recorder.to_frame(), check_exact=True
    )


@pytest.mark.property
@settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(), st.integers(0, 3), st.data())
def test_the_exact_paths_honour_protection_levels_as_the_engine_does(
    case: tuple[TinyWorld, dict[str, Any], str], seed: int, data: st.DataObject
) -> None:
    world, scenario, strategy = case
    depots, parts = list(world.depots), world.parts
    levels = data.draw(
        protection(depots, parts).filter(
            lambda p: any(r["level"] for r in p["levels"]) or p["default"]
        )
    )
    scenario["policy"]["options"]["protection"] = levels
    note(f"{world!r}\n{scenario!r}\n{strategy}")
    with tempfile.TemporaryDirectory() as folder:
        setup = build_setup(world.write(Path(folder), **scenario))
    fast = run_world(setup, strategy, seed=seed, shortcut=True, audit=False)
    slow = run_world(setup, strategy, seed=seed, shortcut=False, audit=False)
    pd.testing.assert_frame_equal(
        fast.recorder.to_frame(), slow.recorder.to_frame(), check_exact=True
    )


def test_several_orders_of_one_node_are_decided_without_the_engine(tmp_path: Path) -> None:
    # Five standard orders of one country pile up while their depot is offline; when it is
    # back, one unit is on the shelf and two are on their way: the three oldest orders get
    # them, the fastest unit to the oldest order.
    world = TinyWorld(
        stock={("P1", "D1"): 1},
        inbound=[("P1", "D1", 1, 20.0), ("P1", "D1", 1, 30.0)],
        orders=[(f"O{i}", "STD", "P1", 1, 1.0 + i) for i in range(5)],
    )
    outage = {"kind": "depot_offline", "start_day": 0, "end_day": 0.5, "depots": ["D1"]}
    setup = build_setup(world.write(tmp_path, disruptions=[outage]))
    calls: list[int] = []
    original = decide.Decider._engine

    def counted(self: decide.Decider, rows: list[int], rank: int, now: float) -> Any:
        calls.append(len(rows))
        return original(self, rows, rank, now)

    decide.Decider._engine = counted  # type: ignore[method-assign]
    try:
        fast = run_world(setup, shortcut=True)
        assert calls == []
        slow = run_world(setup, shortcut=False)
        assert max(calls) == 5
    finally:
        decide.Decider._engine = original  # type: ignore[method-assign]
    pd.testing.assert_frame_equal(fast.recorder.to_frame(), slow.recorder.to_frame())
    allocated = fast.recorder.to_frame().query("event == 'allocated'")
    assert list(zip(allocated["order_id"], allocated["time"], strict=True)) == [
        ("O0", 12.0),
        ("O1", 20.0),
        ("O2", 30.0),
    ]
