"""The "Notebooks" guide (docs/guide/notebooks.md) runs as written and lists the notebooks
there are."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from simulation import ProtectionRecommendation, ResultDiff, ScenarioWhatIf, SimulationResult

ROOT = Path(__file__).resolve().parents[2]


def _section() -> str:
    return (ROOT / "docs" / "guide" / "notebooks.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", _section(), flags=re.DOTALL)


def test_the_notebook_example_runs_in_about_ten_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    (code,) = _blocks("python")
    assert len([line for line in code.splitlines() if line.strip()]) <= 11
    namespace: dict[str, object] = {}
    exec(compile(code, "docs/guide/notebooks.md", "exec"), namespace)
    assert isinstance(namespace["result"], SimulationResult)
    change = namespace["change"]
    assert isinstance(change, ResultDiff)
    assert change.summary()["only_in_a"] == 0  # the same seed: every order matched
    assert isinstance(namespace["advice"], ProtectionRecommendation)
    assert isinstance(namespace["protected"], ScenarioWhatIf)


def test_the_notebooks_listed_are_the_notebooks_shipped() -> None:
    listed = set(re.findall(r"`(examples/[\w.-]+\.ipynb)`", _section()))
    shipped = {str(path.relative_to(ROOT)) for path in (ROOT / "examples").glob("*.ipynb")}
    assert listed == shipped


def test_the_commands_to_run_them_name_real_notebooks_and_the_dev_extra_has_the_runner() -> None:
    (commands,) = _blocks("bash")
    for line in commands.strip().splitlines():
        words = shlex.split(line.split("#")[0])
        notebooks = [w for w in words if w.endswith(".ipynb")]
        assert all((ROOT / n).is_file() for n in notebooks), line
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert all(f'"{name}>=' in project for name in ("nbclient", "nbformat", "ipykernel"))
    assert '.venv/bin/pip install -e ".[dev]"' in _section()
