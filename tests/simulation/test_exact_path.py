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


#: ``broker_risk: priced`` with each way of pricing a failure: detected at the buy's ETA or
#: after a fixed time, then the same buy again or a unit from elsewhere after a fixed time.
PRICED = st.fixed_dictionaries(
    {
        "broker_risk": st.just("priced"),
        "broker_failure_detected_hours": st.sampled_from([None, 0.0, 20.0, 96.0]),
        "broker_fallback_hours": st.sampled_from([None, 0.0, 30.0, 150.0]),
    }
)


@pytest.mark.property
@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(), st.integers(0, 3), PRICED, st.sampled_from([0.1, 8.0]))
def test_the_exact_paths_price_broker_risk_as_the_engine_does(
    case: tuple[TinyWorld, dict[str, Any], str],
    seed: int,
    priced: dict[str, Any],
    resolution: float,
) -> None:
    world, scenario, strategy = case
    scenario["policy"]["options"].update(priced, eta_resolution_hours=resolution)
    note(f"{world!r}\n{scenario!r}\n{strategy}")
    with tempfile.TemporaryDirectory() as folder:
        setup = build_setup(world.write(Path(folder), **scenario))
    assert setup.policy.broker_risk == "priced"
    fast = run_world(setup, strategy, seed=seed, shortcut=True, audit=False)
    slow = run_world(setup, strategy, seed=seed, shortcut=False, audit=False)
    pd.testing.assert_frame_equal(
        fast.recorder.to_frame(), slow.recorder.to_frame(), check_exact=True
    )


def response_hours() -> st.SearchStrategy[dict[str, Any]]:
    """A policy's ``response_hours``: by tier, product type and country, some of each.

    Hours near the worlds' lanes and lead times (6 h and 30 h lanes, 12 h and 48 h buys),
    some exactly on them, so that units land on, just before and just after their
    targets; with ``eta_resolution_hours`` drawn too (up to a day, so that a 6 h lane and
    a shelf at home are one ETA tick), lateness and ETA ticks disagree.
    """
    hours = st.sampled_from([0.5, 6.0, 6.04, 12.0, 30.0, 40.0, 58.0])
    return st.fixed_dictionaries(
        {},
        optional={
            "tier": st.dictionaries(st.sampled_from(["PM", "standard"]), hours, max_size=2),
            "product_type": st.dictionaries(st.just("desktop"), hours, max_size=1),
            "country": st.dictionaries(st.sampled_from(["DE", "FR", "UY"]), hours, max_size=2),
        },
    ).filter(lambda r: any(r.values()))


@pytest.mark.property
@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    worlds(), st.integers(0, 3), response_hours(), st.sampled_from([0.1, 1.0, 8.0, 24.0]), st.data()
)
def test_the_exact_paths_honour_response_times_as_the_engine_does(
    case: tuple[TinyWorld, dict[str, Any], str],
    seed: int,
    targets: dict[str, Any],
    resolution: float,
    data: st.DataObject,
) -> None:
    world, scenario, _ = case
    # Lanes of other costs: within one ETA tick a dearer shelf may be on time where a
    # cheaper one is late, and lateness ranks before money.
    cost = st.sampled_from([0.5, 2.0, 9.0])
    world.lanes = [(o, d, h, data.draw(cost)) for o, d, h, _ in world.lanes]
    options = scenario["policy"]["options"]
    options["response_hours"] = targets
    options["eta_resolution_hours"] = resolution
    note(f"{world!r}\n{scenario!r}")
    with tempfile.TemporaryDirectory() as folder:
        setup = build_setup(world.write(Path(folder), **scenario))
    assert setup.has_targets
    fast = run_world(setup, "optimal", seed=seed, shortcut=True, audit=False)
    slow = run_world(setup, "optimal", seed=seed, shortcut=False, audit=False)
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


def test_a_dearer_shelf_on_time_beats_a_cheaper_one_late_without_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both shelves are one ETA tick away (a day's resolution), FR's at once and dear, US's
    # in 6 h and cheap. Without a target the cheaper wins; with a 1 h target FR's is on
    # time and US's late, and lateness ranks before money: the exact path, the engine and
    # the shelves it reads (not stopping at the first tick's cheapest) all agree.
    world = TinyWorld(
        depots={"D1": "DE", "D2": "FR", "D3": "US"},
        stock={("P1", "D2"): 1, ("P1", "D3"): 1},
        lanes=[("D2", "DE", 0.0, 9.0), ("D3", "DE", 6.0, 0.5)],
        orders=[("O1", "PM", "P1", 1, 2.0)],
    )
    calls: list[int] = []
    original = decide.Decider._engine

    def counted(self: decide.Decider, rows: list[int], rank: int, now: float) -> Any:
        calls.append(len(rows))
        return original(self, rows, rank, now)

    monkeypatch.setattr(decide.Decider, "_engine", counted)
    origins = {}
    for name, options in (
        ("none", {"eta_resolution_hours": 24.0}),
        ("1h", {"eta_resolution_hours": 24.0, "response_hours": {"tier": {"PM": 1.0}}}),
    ):
        setup = build_setup(world.write(tmp_path / name, policy={"options": options}))
        calls.clear()
        fast = run_world(setup, shortcut=True).recorder.to_frame()
        assert calls == []
        slow = run_world(setup, shortcut=False).recorder.to_frame()
        assert calls
        pd.testing.assert_frame_equal(fast, slow, check_exact=True)
        origins[name] = fast.query("event == 'allocated'")["origin"].astype(str).tolist()
    assert origins == {"none": ["D3"], "1h": ["D2"]}
