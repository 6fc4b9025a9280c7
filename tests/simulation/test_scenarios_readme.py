"""The README's first screen runs: its opening command works as written; the simulator guide's
Python example (docs/guide/simulator.md) runs, and the outputs page (docs/guide/outputs.md)
names every event and KPI the simulator has."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SIMULATOR = (ROOT / "docs" / "guide" / "simulator.md").read_text(encoding="utf-8")
OUTPUTS = (ROOT / "docs" / "guide" / "outputs.md").read_text(encoding="utf-8")


def code_blocks(language: str, text: str = README) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def opening_command() -> list[str]:
    """The simulate part of the README's first command (after install)."""
    first = code_blocks("bash")[0].strip()
    steps = [step.strip() for step in first.split("&&")]
    assert steps[0] == "python3 -m venv .venv"
    assert steps[1].startswith(".venv/bin/pip install -q -e .")
    return shlex.split(steps[2])


def test_the_readme_opens_with_the_simulator_on_a_shipped_scenario_then_the_tests() -> None:
    command = opening_command()
    assert command[:2] == [".venv/bin/parts-priority", "simulate"]
    assert (ROOT / command[2]).is_file()
    assert code_blocks("bash")[1].strip() == (
        'python3 -m venv .venv && .venv/bin/pip install -q -e ".[dev]" && '
        ".venv/bin/python -m pytest -n 2 --dist loadfile"
    )


def console_script() -> str:
    script = Path(sys.executable).with_name("parts-priority")
    assert script.exists(), f"the console script is not installed next to {sys.executable}"
    return str(script)


def test_the_opening_scenario_runs_end_to_end_on_a_short_horizon() -> None:
    command = opening_command()
    result = subprocess.run(
        [console_script(), *command[1:], "-r", "2", "--set", "horizon_days=20", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["classes"]["parts_priority"]["orders"]["mean"] > 0


@pytest.mark.slow
def test_the_opening_command_runs_as_written_and_prints_a_table() -> None:
    command = opening_command()
    result = subprocess.run(
        [console_script(), *command[1:]],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "KPIs per priority class" in result.stdout
    assert "replications" in result.stderr


def test_the_simulator_guides_python_example_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    examples = [
        block
        for block in code_blocks("python", SIMULATOR)
        if "from simulation import compare" in block
    ]
    assert len(examples) == 1
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}

    exec(compile(examples[0], "docs/guide/simulator.md", "exec"), namespace)

    summary = namespace["result"].summary()  # type: ignore[attr-defined]
    assert set(summary["priority_class"]) == {"parts_priority", "standard"}
    differences = namespace["both"].differences()  # type: ignore[attr-defined]
    assert set(differences["policy"]) == {"fifo"}
    points = namespace["grid"].summary()  # type: ignore[attr-defined]
    assert sorted(points["sources.broker.price_multiplier"].unique()) == ["1.0", "3.0"]


def test_the_outputs_page_names_every_event_of_the_records_and_every_kpi() -> None:
    from simulation.metrics import KPI_COLUMNS
    from simulation.records import COLUMNS, EVENTS

    missing = [name for name in (*EVENTS, *KPI_COLUMNS) if f"`{name}`" not in OUTPUTS]
    assert missing == []
    assert ", ".join(c for c in COLUMNS if c not in ("replication", "time", "event")) in OUTPUTS
