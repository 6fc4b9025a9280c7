"""Scenario files: a mistake is reported with its file, line and field; the schema that
editors use is the one the models give; the shipped scenarios and their worlds are sound."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from simulation.entrypoints.cli import main
from simulation.errors import ScenarioError
from simulation.scenario.load import load_scenario
from simulation.scenario.schema import (
    check_schema,
    scenario_schema,
    schema_text,
    undocumented_fields,
    write_schema,
)
from simulation.world.setup import build_setup

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))
BASE = SCENARIOS / "normal-quarter.yaml"


def scenario_with(tmp_path: Path, edit: str = "", append: str = "") -> Path:
    """The normal quarter, edited (``old=>new`` on one line) or extended, beside its world."""
    text = BASE.read_text(encoding="utf-8")
    if edit:
        old, new = edit.split("=>")
        assert old in text, old
        text = text.replace(old, new, 1)
    (tmp_path / "normal-quarter").symlink_to(SCENARIOS / "normal-quarter")
    path = tmp_path / "scenario.yaml"
    path.write_text(text + append, encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    """1-based number of the first line of ``path`` containing ``text``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def run_check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["check", str(path)])
    captured = capsys.readouterr()
    return code, captured.err


DISRUPTION = "disruptions:\n  - kind: {kind}\n    start_day: 1\n    end_day: 5\n{extra}"

MISTAKES = [
    pytest.param(
        "horizon_days: 91=>horizon_dayz: 91",
        "",
        "horizon_dayz",
        "horizon_dayz: is not a field here; did you mean 'horizon_days'?",
        id="unknown key",
    ),
    pytest.param(
        "horizon_days: 91=>horizon_days: ninety",
        "",
        "horizon_days",
        "horizon_days: Input should be a valid number",
        id="wrong type",
    ),
    pytest.param(
        "  strategy: optimal=>  strategy: fastest",
        "",
        "strategy: fastest",
        "policy.strategy: Input should be 'optimal', 'fifo' or 'tier_greedy' (got 'fastest')",
        id="bad enum",
    ),
    pytest.param(
        "  rates: normal-quarter/rates.csv\n=>\n",
        "",
        "demand:",
        "demand: model 'poisson' needs 'orders_per_day' or a 'rates' CSV",
        id="missing field",
    ),
    pytest.param(
        "repair_hours: 4=>repair_hours: -4",
        "",
        "repair_hours",
        "repair_hours: Input should be greater than or equal to 0 (got -4)",
        id="negative value",
    ),
    pytest.param(
        "demand:=>demand: [oops",
        "",
        "  model: poisson",
        "not valid YAML: expected ',' or ']'",
        id="malformed YAML",
    ),
    pytest.param(
        "  snapshot: normal-quarter=>  snapshot: no-such-world",
        "",
        "snapshot: no-such-world",
        "world.snapshot: no folder '",
        id="missing snapshot folder",
    ),
    pytest.param(
        "",
        DISRUPTION.format(kind="depot_offline", extra="    depots: [D-ATLANTIS]\n"),
        "depots: [D-ATLANTIS]",
        "disruptions.0.depots: unknown depot 'D-ATLANTIS' (the world has D-MEMPHIS,",
        id="unknown depot in a disruption",
    ),
    pytest.param(
        "",
        DISRUPTION.format(kind="supply_cut", extra="    parts: [HDD-*, FLUX-CAPACITOR]\n"),
        "parts: [HDD-*, FLUX-CAPACITOR]",
        "disruptions.0.parts.1: 'FLUX-CAPACITOR' matches no part of the world",
        id="unknown part in a disruption",
    ),
    pytest.param(
        "",
        DISRUPTION.format(kind="demand_surge", extra="    factor: 2\n    countries: [Atlantis]\n"),
        "countries: [Atlantis]",
        "disruptions.0.countries.0: unknown country 'Atlantis'",
        id="unknown country in a disruption",
    ),
    pytest.param(
        "",
        DISRUPTION.format(kind="meteor", extra=""),
        "- kind: meteor",
        "disruptions.0: unknown kind 'meteor' (use 'depot_offline', 'supply_cut',",
        id="unknown disruption kind",
    ),
    pytest.param(
        "",
        "disruptions:\n  - kind: supply_cut\n    start_day: 9\n    end_day: 5\n",
        "- kind: supply_cut",
        "disruptions.0: end_day (5.0) must be after start_day (9.0)",
        id="window ending before it starts",
    ),
    pytest.param(
        "  strategy: optimal=>  strategy: optimal\n  options:\n    preemption: maybe",
        "",
        "  options:",
        "policy.options: allocation.preemption must be true or false, got 'maybe'",
        id="bad policy option",
    ),
]


@pytest.mark.parametrize(("edit", "append", "line_text", "message"), MISTAKES)
def test_a_bad_scenario_is_refused_with_its_file_line_and_field(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    edit: str,
    append: str,
    line_text: str,
    message: str,
) -> None:
    path = scenario_with(tmp_path, edit, append)

    code, err = run_check(path, capsys)

    assert code == 2
    expected = f"{path}:{line_of(path, line_text)}: "
    assert expected in err, err
    assert message in err, err
    assert "Traceback" not in err


def test_a_scenario_that_is_not_a_mapping_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")

    code, err = run_check(path, capsys)

    assert code == 2
    assert f"{path}: a scenario is a mapping of fields" in err


def test_a_missing_scenario_file_is_refused_with_its_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_check(tmp_path / "nowhere.yaml", capsys)

    assert code == 2
    assert f"{tmp_path / 'nowhere.yaml'}: cannot read scenario" in err


def test_several_mistakes_are_reported_together_each_on_its_line(tmp_path: Path) -> None:
    path = scenario_with(tmp_path, "repair_hours: 4=>repair_hours: -4\ncolour: red")

    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)

    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert lines[0] == (
        f"{path}:{line_of(path, 'repair_hours')}: repair_hours: Input should be greater than "
        "or equal to 0 (got -4)"
    )
    assert lines[1].startswith(
        f"{path}:{line_of(path, 'colour')}: colour: is not a field here (fields here: version,"
    )


def test_an_override_is_validated_like_the_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"horizon_days: Input should be greater than 0"):
        load_scenario(BASE, {"horizon_days": -3})


def test_the_committed_schema_is_the_one_the_models_give() -> None:
    assert check_schema(SCENARIOS / "schema.json"), (
        "scenarios/schema.json is out of date: run python -m simulation.scenario.schema"
    )


def test_the_schema_check_notices_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "schema.json"
    stale.write_text(schema_text().replace("horizon_days", "horizon"), encoding="utf-8")

    assert not check_schema(stale)
    write_schema(stale)
    assert check_schema(stale)


def test_the_schema_module_regenerates_and_checks_the_file_from_the_command_line(
    tmp_path: Path,
) -> None:
    target = tmp_path / "schema.json"
    command = [sys.executable, "-m", "simulation.scenario.schema", "--out", str(target)]

    stale = subprocess.run([*command, "--check"], capture_output=True, text=True, check=False)
    written = subprocess.run(command, capture_output=True, text=True, check=False)
    current = subprocess.run([*command, "--check"], capture_output=True, text=True, check=False)

    assert (stale.returncode, written.returncode, current.returncode) == (1, 0, 0)
    assert json.loads(target.read_text(encoding="utf-8")) == scenario_schema()


def test_the_cli_prints_the_schema_and_checks_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scenario-schema"]) == 0
    assert json.loads(capsys.readouterr().out) == scenario_schema()
    target = tmp_path / "schema.json"
    assert main(["scenario-schema", "--out", str(target), "--check"]) == 1
    assert main(["scenario-schema", "--out", str(target)]) == 0
    assert main(["scenario-schema", "--out", str(target), "--check"]) == 0


def test_every_field_of_every_scenario_model_is_described_in_the_schema() -> None:
    assert undocumented_fields() == []
    schema = scenario_schema()
    for definition in [schema, *schema["$defs"].values()]:
        for name, spec in definition.get("properties", {}).items():
            assert spec.get("description"), name


def test_the_scenario_files_guide_documents_every_scenario_field() -> None:
    readme = (ROOT / "docs" / "guide" / "scenario-files.md").read_text(encoding="utf-8")
    schema = scenario_schema()
    names = {
        name
        for definition in [schema, *schema["$defs"].values()]
        for name in definition.get("properties", {})
    }
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert missing == []


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_validates_against_its_world(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(path)]) == 0
    assert ": ok" in capsys.readouterr().out


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_points_editors_at_the_schema_and_says_where_it_comes_from(
    path: Path,
) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=schema.json\n")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert len(header) >= 10, "the header explains what happened and where the numbers are from"
    world = load_scenario(path).scenario.world.snapshot
    assert world == path.stem, "each scenario has its own world folder"


def test_the_committed_worlds_are_exactly_what_the_builder_writes(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCENARIOS / "build_worlds.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    built = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.csv"))
    assert built, "the builder wrote no world"
    for relative in built:
        committed = SCENARIOS / relative
        assert committed.read_bytes() == (tmp_path / relative).read_bytes(), relative
    names = {p.parts[0] for p in built}
    assert names == {p.stem for p in SHIPPED}


def test_a_scenario_error_names_the_line_even_for_a_field_found_wrong_by_the_world(
    tmp_path: Path,
) -> None:
    path = scenario_with(tmp_path, "  snapshot: normal-quarter=>  snapshot: elsewhere")
    source = load_scenario(path)

    message = source.locate(f"{path}: world.snapshot: no folder 'elsewhere'")

    assert re.fullmatch(
        rf"{re.escape(str(path))}:\d+: world\.snapshot: no folder 'elsewhere'", message
    )
    assert source.locate("something else entirely") == "something else entirely"
    assert source.locate(f"{path}: nowhere.in.file: x") == f"{path}: nowhere.in.file: x"


def test_a_world_with_a_planners_overrides_table_is_refused_by_name(tmp_path: Path) -> None:
    world = tmp_path / "with-overrides"
    shutil.copytree(SCENARIOS / "normal-quarter", world)
    first = pd.read_csv(world / "orders.csv")["order_id"].iloc[0]
    (world / "overrides.csv").write_text(
        f"kind,order_id,source_kind,origin,quantity\nforbid,{first},broker,,\n", encoding="utf-8"
    )
    path = scenario_with(tmp_path, "  snapshot: normal-quarter=>  snapshot: with-overrides")

    with pytest.raises(ScenarioError, match="has an overrides table; a simulated world takes none"):
        build_setup(load_scenario(path))


def test_a_scenario_whose_policy_caps_fair_shares_is_refused_by_name(tmp_path: Path) -> None:
    path = scenario_with(
        tmp_path,
        "policy:\n=>policy:\n  options:\n    fair_share:\n      caps:\n"
        "        - {by: customer, part: '*', units: 1, period: week}\n",
    )

    with pytest.raises(ScenarioError, match="fair-share caps are for plans, not simulated"):
        build_setup(load_scenario(path))


def test_a_scenario_whose_policy_splits_fair_shares_is_refused_by_name(tmp_path: Path) -> None:
    path = scenario_with(
        tmp_path,
        "policy:\n=>policy:\n  options:\n    fair_share:\n      split: proportional\n",
    )

    with pytest.raises(ScenarioError, match=r"fair_share\.split: the proportional split is for"):
        build_setup(load_scenario(path))
