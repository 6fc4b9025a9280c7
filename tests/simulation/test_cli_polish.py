"""The command line for people: quick to start, help in words, errors that name the option,
counts that say what they count, money with its currency, a verdict after each run.

Runs are short (six days of the normal quarter, two replications); the verdicts are checked
against the document the same run wrote with ``--out``.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console

from simulation.entrypoints.cli import app, main
from simulation.entrypoints.views import (
    comparison_verdict,
    format_interval,
    show_comparison,
    simulation_verdict,
)
from simulation.metrics import KPI_COLUMNS
from simulation.scenario.load import load_scenario
from tests.cli_run import Run, run_main

ROOT = Path(__file__).resolve().parents[2]
NORMAL = ROOT / "scenarios" / "normal-quarter.yaml"
SHORT = ["--set", "horizon_days=6", "--set", "drain_days=12", "-r", "2", "--workers", "1"]
HEAVY = ("pandas", "matplotlib", "numpy", "sqlalchemy", "fastapi", "simpy", "ortools")
PYTHON_TYPES = ("<bool>", "<int", "<float", "<list", "<str>", "<path>", "x>=", "x<=")


def run(*argv: str) -> Run:
    """``parts-priority ARGV`` in this process, with its stdout and stderr."""
    return run_main(main, *argv)


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # no label or cell wrapped over two lines


def scenario_with(tmp_path: Path, extra: str) -> Path:
    """The normal quarter with ``extra`` YAML at its end, beside a link to its world."""
    (tmp_path / "normal-quarter").symlink_to(ROOT / "scenarios" / "normal-quarter")
    path = tmp_path / "scenario.yaml"
    path.write_text(NORMAL.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


# -- starting up --------------------------------------------------------------------------------


def test_importing_the_command_line_loads_no_data_plotting_or_service_library() -> None:
    code = (
        "import json, sys, simulation.entrypoints.cli\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )

    assert json.loads(result.stdout) == []


def test_version_prints_the_installed_package_version() -> None:
    result = run("--version")

    assert result.code == 0
    assert result.out == f"parts-priority {metadata.version('parts-priority')}\n"


# -- help ---------------------------------------------------------------------------------------


def command_names() -> list[str]:
    group: Any = typer.main.get_command(app)
    return list(group.list_commands(group.context_class(group)))


@pytest.mark.parametrize("argv", [[], *([name] for name in command_names())], ids=str)
def test_help_names_values_in_words_not_python_types(argv: list[str]) -> None:
    result = run(*argv, "--help")

    assert result.code == 0, result.err
    assert "Usage:" in result.out
    shown = [text for text in PYTHON_TYPES if text in result.out]
    assert shown == [], result.out


def test_help_shows_placeholders_and_ranges_in_words() -> None:
    result = run("compare", "--help")

    assert "{SCENARIO}" in result.out
    assert "POLICY[,POLICY…]" in result.out
    assert "N ≥ 1" in result.out  # --replications
    assert "LEVEL 0.5–0.999" in result.out  # --confidence
    assert "FIELD=VALUE" in result.out


def test_a_value_out_of_range_is_still_refused_by_name() -> None:
    result = run("simulate", str(NORMAL), "--confidence", "2")

    assert result.code == 2
    assert "Invalid value for '--confidence'" in result.err


# -- errors that name the option ----------------------------------------------------------------


def test_an_unknown_policy_in_compare_names_policies_the_value_and_the_choices() -> None:
    result = run("compare", str(NORMAL), "--policies", "optimal,fif0")

    assert result.code == 2
    assert "Invalid value for --policies: unknown policy 'fif0'" in result.err
    assert "--policy:" not in result.err
    assert "optimal, fifo, tier_greedy" in result.err
    assert result.out == ""


@pytest.mark.parametrize(
    ("argv", "option", "value"),
    [
        (["simulate", str(NORMAL), "--policy", "fif0"], "--policy", "'fif0'"),
        (["sweep", str(NORMAL), "--set", "seed=1,2", "--policy", "fif0"], "--policy", "'fif0'"),
        (["simulate", str(NORMAL), "--by", "planet"], "--by", "'planet'"),
        (["protect", str(NORMAL), "--parts", ","], "--parts", "','"),
        (["protect", str(NORMAL), "--depots", " , "], "--depots", "' , '"),
    ],
)
def test_a_bad_value_is_reported_with_its_option_and_the_value(
    argv: list[str], option: str, value: str
) -> None:
    result = run(*argv)

    assert result.code == 2, result.err
    assert f"Invalid value for {option}: " in result.err
    assert value in result.err
    assert "replications" not in result.err  # refused before anything ran


# -- simulate: labelled counts, currency, a verdict ---------------------------------------------


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, dict[str, Any]]:
    """One short run shown in the terminal; ``--out`` keeps the document it was drawn from."""
    out = tmp_path_factory.mktemp("simulate") / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "200")
        result = run("simulate", str(NORMAL), *SHORT, "--out", str(out))
    document: dict[str, Any] = json.loads((out / "result.json").read_text(encoding="utf-8"))
    return result, document


def test_simulate_ends_with_the_parts_priority_downtime_and_its_interval(
    simulated: tuple[Run, dict[str, Any]],
) -> None:
    result, document = simulated
    downtime = document["classes"]["parts_priority"]["mean_downtime_hours"]

    assert result.code == 0, result.err
    last = result.out.rstrip("\n").splitlines()[-1]
    assert last == simulation_verdict(document)
    assert last == (
        f"parts-priority orders: mean downtime {downtime['mean']:.1f} h "
        f"(95% CI {downtime['ci_low']:.1f}–{downtime['ci_high']:.1f} h) over 2 replications"
    )


def test_simulate_says_which_count_its_counts_are(simulated: tuple[Run, dict[str, Any]]) -> None:
    result, _ = simulated
    labels = [line.split("│")[1].strip() for line in result.out.splitlines() if "│" in line]

    assert "orders / replication" in labels
    assert "broker units / replication" in labels
    assert "orders" not in labels
    assert "units / replication" in result.out  # the table by source kind


def test_simulate_shows_money_in_the_default_currency(
    simulated: tuple[Run, dict[str, Any]],
) -> None:
    result, document = simulated

    assert document["currency"] == "USD"
    assert "money spent / replication (USD)" in result.out
    assert "money / replication (USD)" in result.out


def test_a_scenario_currency_labels_the_money(tmp_path: Path) -> None:
    scenario = scenario_with(tmp_path, "currency: eur\n")
    out = tmp_path / "out"

    result = run("simulate", str(scenario), *SHORT[:4], "-r", "1", "--out", str(out))

    assert result.code == 0, result.err
    assert "money spent / replication (EUR)" in result.out
    assert "(USD)" not in result.out
    assert json.loads((out / "result.json").read_text())["currency"] == "EUR"


def test_a_scenario_currency_that_is_no_iso_code_exits_2_naming_the_field(tmp_path: Path) -> None:
    scenario = scenario_with(tmp_path, "currency: XYZ\n")

    result = run("check", str(scenario))

    assert result.code == 2
    assert f"{scenario}:" in result.err
    assert "currency: 'XYZ' is not an ISO 4217 currency code" in result.err
    assert "Traceback" not in result.err


def test_the_policys_currency_option_is_the_scenarios_currency() -> None:
    named_once = load_scenario(NORMAL, {"policy.options.currency": "eur"}).scenario
    assert named_once.currency == "EUR"
    agreeing = {"currency": "EUR", "policy.options.currency": "eur"}
    assert load_scenario(NORMAL, agreeing).scenario.currency == "EUR"


def test_two_different_currencies_exit_2_naming_both(tmp_path: Path) -> None:
    scenario = scenario_with(tmp_path, "currency: EUR\n")
    text = scenario.read_text(encoding="utf-8")
    policy = "\npolicy:\n  strategy: optimal\n"
    assert policy in text
    with_option = policy + "  options:\n    currency: JPY\n"
    scenario.write_text(text.replace(policy, with_option), encoding="utf-8")

    result = run("check", str(scenario))

    assert result.code == 2
    assert "currency (EUR) and policy.options.currency (JPY) differ" in result.err
    assert "Traceback" not in result.err


def test_the_scenario_currency_defaults_to_usd_and_is_kept_in_capitals() -> None:
    assert load_scenario(NORMAL).scenario.currency == "USD"
    assert load_scenario(NORMAL, {"currency": "jpy"}).scenario.currency == "JPY"


# -- compare: the verdict -----------------------------------------------------------------------


def test_compare_ends_with_a_verdict_drawn_from_the_paired_difference(tmp_path: Path) -> None:
    out = tmp_path / "out"

    result = run("compare", str(NORMAL), *SHORT, "--policies", "optimal,fifo", "--out", str(out))

    assert result.code == 0, result.err
    document = json.loads((out / "result.json").read_text(encoding="utf-8"))
    last = result.out.rstrip("\n").splitlines()[-1]
    assert last == comparison_verdict(document, "fifo")
    assert last.startswith("parts-priority orders wait ")
    assert "(95% CI " in last


def _compared(mean: float | None, low: float | None, high: float | None) -> dict[str, Any]:
    gap = {"mean": mean, "ci_low": low, "ci_high": high}
    return {
        "baseline": "optimal",
        "confidence_level": 0.95,
        "differences": {"fifo": {"classes": {"parts_priority": {"mean_downtime_hours": gap}}}},
    }


@pytest.mark.parametrize(
    ("gap", "verdict"),
    [
        (
            (66.0, 62.0, 70.0),
            "parts-priority orders wait 66.0 h less under optimal than under fifo "
            "(95% CI 62.0–70.0 h)",
        ),
        (
            (-3.5, -5.0, -2.0),
            "parts-priority orders wait 3.5 h less under fifo than under optimal "
            "(95% CI 2.0–5.0 h)",
        ),
        (
            (1.2, -0.5, 2.9),
            "parts-priority orders wait 1.2 h less under optimal than under fifo "
            "(95% CI -0.5 to 2.9 h); the interval includes zero: no clear difference",
        ),
        (
            (-0.0, -0.0, 0.0),
            "parts-priority orders wait as long under fifo as under optimal (95% CI 0.0–0.0 h)",
        ),
        (
            (4.0, None, None),
            "parts-priority orders wait 4.0 h less under optimal than under fifo "
            "(one replication: no interval)",
        ),
    ],
)
def test_the_compare_verdict_says_which_policy_makes_parts_priority_orders_wait_less(
    gap: tuple[float, float | None, float | None], verdict: str
) -> None:
    assert comparison_verdict(_compared(*gap), "fifo") == verdict


# -- negative zero ------------------------------------------------------------------------------


def test_a_negative_zero_prints_as_zero() -> None:
    zero = {"mean": -0.0, "ci_low": -0.0, "ci_high": 0.0}

    assert format_interval("mean_downtime_hours", zero) == "0.0 ± 0.0"
    assert format_interval("mean_downtime_hours", zero, signed=True) == "0.0 ± 0.0"
    assert format_interval("fill_rate", {"mean": -0.0, "ci_low": None, "ci_high": None}) == "0.0%"
    assert format_interval("orders", {"mean": -0.3, "ci_low": -0.6, "ci_high": 0.0}) == "0 ± 0"


def test_a_comparison_whose_differences_are_negative_zero_prints_no_minus_zero() -> None:
    kpis = list(KPI_COLUMNS)
    same = {kpi: {"mean": 1.0, "ci_low": 0.5, "ci_high": 1.5} for kpi in kpis}
    zero = {kpi: {"mean": -0.0, "ci_low": -0.0, "ci_high": -0.0} for kpi in kpis}
    run_blocks = {"classes": {"parts_priority": same, "standard": same}, "overall": same}
    document = {
        "scenario": {"name": "tiny", "file": "tiny.yaml"},
        "replications": 2,
        "seed": 1,
        "confidence_level": 0.95,
        "horizon_days": 1,
        "target_hours": 48,
        "currency": "USD",
        "baseline": "optimal",
        "policies": {"optimal": run_blocks, "fifo": run_blocks},
        "differences": {
            "fifo": {"classes": {"parts_priority": zero, "standard": zero}, "overall": zero}
        },
    }
    console_file = io.StringIO()

    show_comparison(Console(file=console_file, width=200), document)

    text = console_file.getvalue()
    assert "-0" not in text
    assert "0.0 ± 0.0" in text


def test_a_diff_of_two_runs_says_its_orders_are_those_of_all_replications(tmp_path: Path) -> None:
    for policy in ("fifo", "optimal"):
        out = str(tmp_path / policy)
        assert run("simulate", str(NORMAL), *SHORT, "--policy", policy, "--out", out).code == 0

    result = run("diff", str(tmp_path / "fifo"), str(tmp_path / "optimal"))

    assert result.code == 0, result.err
    assert "orders (all replications together):" in result.out
    assert "By priority class (orders of all replications together)" in result.out
