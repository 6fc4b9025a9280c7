"""Broker risk priced in the simulator: the option from the command line to the records.

The exact no-solve paths are held to the engine with priced risk by
``test_exact_path.test_the_exact_paths_price_broker_risk_as_the_engine_does``; here the
planner's commands take the option and refuse a bad one by name.
"""

from __future__ import annotations

import json
from pathlib import Path

from simulation.entrypoints.cli import main
from tests.cli_run import Run, run_main

ROOT = Path(__file__).resolve().parents[2]
BROKERS = str(ROOT / "scenarios" / "broker-failures.yaml")
SHORT = ["--set", "horizon_days=21", "--set", "drain_days=14", "-r", "1", "--workers", "1"]


def run(*argv: str) -> Run:
    """``parts-priority ARGV`` in this process, with its stdout and stderr."""
    return run_main(main, *argv)


def test_a_sweep_over_broker_risk_runs_both_valuations_on_the_same_orders() -> None:
    result = run(
        "sweep", BROKERS, "--set", "policy.options.broker_risk=threshold,priced",
        "--set", "policy.options.broker_failure_detected_hours=96", *SHORT, "--json",
    )  # fmt: skip

    assert result.code == 0, result.err
    points = json.loads(result.out)["points"]
    assert [p["set"]["policy.options.broker_risk"] for p in points] == ["threshold", "priced"]
    orders = [p["classes"]["parts_priority"]["orders"]["mean"] for p in points]
    assert orders[0] == orders[1] > 0  # common random numbers: the same demand


def test_an_unknown_broker_risk_exits_2_naming_the_option() -> None:
    result = run("simulate", BROKERS, "--set", "policy.options.broker_risk=expected", *SHORT)

    assert result.code == 2
    assert "allocation.broker_risk must be one of threshold, priced, got 'expected'" in result.err
    assert "Traceback" not in result.err
