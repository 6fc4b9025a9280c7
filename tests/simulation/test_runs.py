"""Runs are reproducible: the same seed gives the same records bit for bit, wherever the
replications run, and the exact no-solve path changes nothing the engine would decide.

The world here is generated (a few hundred orders over a few dozen parts and depots, with a
backlog, a supply cut and a broker market that fails often), so decisions go both through
the single-order path and through the engine with many orders at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from simulation.replicate import ReplicationOutput
from simulation.scenario.load import ScenarioFile, load_scenario
from simulation.use_cases import compare, simulate, sweep
from simulation.world.setup import build_setup
from tests.simulation.worlds import run_world


def generated(folder: Path, **changes: Any) -> ScenarioFile:
    fields: dict[str, Any] = {
        "version": 1,
        "name": "generated",
        "world": {"generate": {"orders": 300, "parts": 30, "depots": 4, "seed": 5}},
        "horizon_days": 12,
        "drain_days": 5,
        "demand": {"model": "poisson", "orders_per_day": 30},
        "replenishment": {"lead_time": {"distribution": "gamma", "mean_hours": 96, "cv": 0.5}},
        "disruptions": [
            {
                "kind": "supply_cut",
                "start_day": 2,
                "end_day": 6,
                "volume_lost": 0.7,
                "lead_time_factor": 1.5,
            },
            {"kind": "broker_market", "start_day": 0, "end_day": 8, "failure_probability": 0.4},
        ],
        "replications": 2,
        "seed": 3,
    }
    fields.update(changes)
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(fields), encoding="utf-8")
    return load_scenario(path)


def test_the_same_seed_gives_the_same_records_bit_for_bit(tmp_path: Path) -> None:
    setup = build_setup(generated(tmp_path))
    first = run_world(setup, seed=3, replication=1, audit=False).recorder.to_frame()
    second = run_world(setup, seed=3, replication=1, audit=False).recorder.to_frame()
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    other = run_world(setup, seed=4, replication=1, audit=False).recorder.to_frame()
    assert not first["time"].equals(other["time"])


@pytest.mark.parametrize("strategy", ["optimal", "fifo", "tier_greedy"])
def test_the_exact_shortcut_changes_no_record(tmp_path: Path, strategy: str) -> None:
    setup = build_setup(generated(tmp_path))
    fast = run_world(setup, strategy, shortcut=True, audit=False)
    slow = run_world(setup, strategy, shortcut=False, audit=False)
    assert fast.shortcuts > 100
    assert slow.shortcuts == 0
    pd.testing.assert_frame_equal(
        fast.recorder.to_frame(), slow.recorder.to_frame(), check_exact=True
    )


def test_local_processes_give_the_same_results_as_one_process(tmp_path: Path) -> None:
    source = generated(tmp_path, replications=3)
    seen: list[ReplicationOutput] = []
    alone = simulate(source)
    forked = simulate(source, workers=2, progress=seen.append)
    pd.testing.assert_frame_equal(alone.records, forked.records, check_exact=True)
    pd.testing.assert_frame_equal(alone.summary(), forked.summary(), check_exact=True)
    assert sorted(out.task.replication for out in seen) == [0, 1, 2]


def test_a_local_dask_cluster_gives_the_same_results_as_one_process(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    source = generated(tmp_path)
    alone = simulate(source)
    on_dask = simulate(source, dask="local", workers=2)
    pd.testing.assert_frame_equal(alone.records, on_dask.records, check_exact=True)
    pd.testing.assert_frame_equal(alone.summary(), on_dask.summary(), check_exact=True)


def test_policies_are_compared_on_the_same_demand(tmp_path: Path) -> None:
    comparison = compare(generated(tmp_path), ["optimal", "fifo"])
    created = {
        name: result.records.query("event == 'order_created'")[
            ["replication", "order_id", "time"]
        ].reset_index(drop=True)
        for name, result in comparison.results.items()
    }
    pd.testing.assert_frame_equal(created["optimal"], created["fifo"])
    differences = comparison.differences()
    assert set(differences["policy"]) == {"fifo"}
    assert (differences["replications"] == 2).all()


def test_a_sweep_runs_every_point_of_its_grid(tmp_path: Path) -> None:
    result = sweep(generated(tmp_path), {"demand.orders_per_day": [10, 40]}, replications=1)
    orders = result.summary().query("kpi == 'orders'").groupby("demand.orders_per_day")["mean"]
    assert orders.sum()["10"] < orders.sum()["40"]
