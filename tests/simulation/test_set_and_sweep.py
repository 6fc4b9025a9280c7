"""``--set`` and ``sweep``: a value set is the one the run uses and reports, a value a
disruption overrides is warned about, and a bad value is blamed on its ``--set``."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

from simulation.entrypoints.cli import main
from simulation.errors import ScenarioError
from simulation.scenario.load import load_scenario, overridden_by_disruptions
from simulation.use_cases import sweep

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
NORMAL = str(SCENARIOS / "normal-quarter.yaml")
BROKERS = str(SCENARIOS / "broker-failures.yaml")
BROKER_FAILURE = "sources.broker.failure_probability"
QUICK = ["-r", "1", "--workers", "1", "--json"]


def run(*argv: str) -> tuple[int, str, str]:
    """``parts-priority ARGV`` in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def scenario_file(tmp_path: Path, old: str, new: str) -> Path:
    """The normal quarter with one line changed, beside its world."""
    text = Path(NORMAL).read_text(encoding="utf-8")
    assert old in text, old
    (tmp_path / "normal-quarter").symlink_to(SCENARIOS / "normal-quarter")
    path = tmp_path / "scenario.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


# -- a value set is the one used and reported ---------------------------------------------------


def test_a_sweep_reports_the_horizon_set_for_every_point_not_the_files() -> None:
    code, out, err = run(
        "sweep", NORMAL, "--set", "horizon_days=3", "--set", "drain_days=2,4", *QUICK
    )  # fmt: skip

    assert code == 0, err
    document = json.loads(out)
    assert document["horizon_days"] == 3
    assert [point["set"]["horizon_days"] for point in document["points"]] == [3, 3]


def test_simulate_reports_the_horizon_set_and_runs_the_same_orders_as_a_sweep_point() -> None:
    code, out, err = run(
        "simulate", NORMAL, "--set", "horizon_days=3", "--set", "drain_days=2", *QUICK
    )  # fmt: skip
    swept = sweep(NORMAL, {"horizon_days": [3], "drain_days": [2]}, replications=1)

    assert code == 0, err
    document = json.loads(out)
    assert document["horizon_days"] == 3
    [(_, result)] = swept.points
    assert result.scenario.horizon_days == 3
    arrivals = result.records[result.records["event"] == "order_created"]["time"]
    assert arrivals.max() < 3 * 24
    assert result.records["time"].max() <= (3 + 2) * 24
    orders = result.summary().query("kpi == 'orders'")["mean"].sum()
    assert document["overall"]["orders"]["mean"] == pytest.approx(orders)


# -- a value a disruption overrides is warned about ------------------------------------------------


def test_a_swept_broker_failure_below_the_markets_is_warned_about_once() -> None:
    code, _, err = run(
        "sweep", BROKERS, "--set", f"{BROKER_FAILURE}=0,0.25,0.5", "--set", "horizon_days=2",
        "--set", "drain_days=1", *QUICK,
    )  # fmt: skip

    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, err
    assert warnings[0].startswith(f"warning: --set {BROKER_FAILURE}=0,0.25: overridden by ")
    assert "'brokers fail nearly half the time' (broker_market, days 0-91)" in warnings[0]
    assert "probability 0.45" in warnings[0]


@pytest.mark.fast
def test_a_broker_failure_set_above_the_markets_or_without_a_market_draws_no_warning() -> None:
    brokers = load_scenario(BROKERS)
    normal = load_scenario(NORMAL)

    assert overridden_by_disruptions(brokers, {BROKER_FAILURE: [0.5, 0.9]}) == []
    assert overridden_by_disruptions(normal, {BROKER_FAILURE: [0.0]}) == []
    assert overridden_by_disruptions(brokers, {"repair_hours": [0, 24]}) == []


def test_simulate_and_check_warn_of_a_broker_failure_the_market_overrides() -> None:
    code, out, err = run("check", BROKERS, "--set", f"{BROKER_FAILURE}=0.1")

    assert code == 0, err
    assert "ok" in out
    assert f"warning: --set {BROKER_FAILURE}=0.1: overridden by disruption" in err


@pytest.mark.fast
def test_setting_the_whole_broker_section_is_warned_about_too() -> None:
    brokers = load_scenario(BROKERS)

    [warning] = overridden_by_disruptions(
        brokers, {"sources.broker": [{"failure_probability": 0.2}]}
    )

    assert warning.startswith('--set sources.broker={"failure_probability": 0.2}: overridden')


@pytest.mark.fast
def test_an_unnamed_market_is_named_by_its_place_in_the_list() -> None:
    brokers = load_scenario(BROKERS, {"disruptions.1.name": None})

    [warning] = overridden_by_disruptions(brokers, {BROKER_FAILURE: [0.0]})

    assert "overridden by disruption disruptions.1 (broker_market" in warning


@pytest.mark.fast
def test_a_market_swept_above_the_brokers_is_warned_about_only_where_it_overrides() -> None:
    brokers = load_scenario(BROKERS)

    [warning] = overridden_by_disruptions(
        brokers, {BROKER_FAILURE: [0.2], "disruptions.1.failure_probability": [0.1, 0.3]}
    )

    assert warning.startswith(f"--set {BROKER_FAILURE}=0.2: ")
    assert "probability 0.3" in warning


# -- a bad value is blamed on its --set ------------------------------------------------------------


@pytest.mark.parametrize("command", ["simulate", "sweep"])
def test_a_bad_set_value_is_blamed_on_the_set_not_on_a_line_of_the_file(command: str) -> None:
    code, out, err = run(command, NORMAL, "--set", f"{BROKER_FAILURE}=abc")

    assert code == 2
    assert out == ""
    assert err.startswith(f"error: --set {BROKER_FAILURE}=abc: {BROKER_FAILURE}: ")
    assert "valid number" in err
    assert "normal-quarter.yaml" not in err
    assert "Traceback" not in err


def test_a_bad_value_among_swept_ones_is_named_by_its_own_value() -> None:
    code, _, err = run("sweep", NORMAL, "--set", "horizon_days=3,-1")

    assert code == 2
    assert err.startswith("error: --set horizon_days=-1: horizon_days: Input should be greater")


@pytest.mark.fast
def test_a_check_of_a_whole_scenario_is_blamed_on_the_sets_it_names() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(NORMAL, {"seed": 3, "warmup_days": 100})

    assert str(caught.value) == (
        "--set warmup_days=100: (top level): warmup_days (100.0) must be shorter than "
        "horizon_days (91.0)"
    )


# -- a mistyped key is named, and nothing else ----------------------------------------------------


def test_a_mistyped_top_level_key_is_named_with_a_guess_and_nothing_spurious(
    tmp_path: Path,
) -> None:
    path = scenario_file(tmp_path, "horizon_days: 91", "horizon_dayz: 91")

    code, out, err = run("check", str(path))

    assert code == 2
    assert out == ""
    line = path.read_text(encoding="utf-8").splitlines().index("horizon_dayz: 91") + 1
    assert err.strip().splitlines() == [
        f"error: {path}:{line}: horizon_dayz: is not a field here; did you mean 'horizon_days'?"
    ]


def test_a_missing_top_level_field_is_required_without_pointing_at_the_first_line(
    tmp_path: Path,
) -> None:
    path = scenario_file(tmp_path, "horizon_days: 91\n", "")

    code, _, err = run("check", str(path))

    assert code == 2
    assert err.strip() == f"error: {path}: horizon_days: is required"
    assert not re.search(r"\.yaml:\d+", err)
