"""The planner's commands end to end: simulate, compare, sweep, check, through ``main``.

Runs are short (a few days of a shipped scenario, two replications) but real: the numbers
the commands print are checked against the Python API on the same seed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from allocation.adapters.report_facts import FACTS_FOLDER
from simulation.entrypoints.cli import main
from simulation.entrypoints.output import CLASSES, INTERVAL_KEYS, simulation_document
from simulation.metrics import KPI_COLUMNS, SOURCE_KINDS
from simulation.scenario.load import load_scenario
from simulation.use_cases import simulate
from tests.cli_run import Run, run_main

ROOT = Path(__file__).resolve().parents[2]
NORMAL = str(ROOT / "scenarios" / "normal-quarter.yaml")
FLOODS = str(ROOT / "scenarios" / "thailand-floods-2011.yaml")
SHORT = ["--set", "horizon_days=6", "--set", "drain_days=12"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REPORT_FACT_FILES = ("orders.parquet", "sources.parquet", "customers.parquet", "facts.json")
SIMULATE_TABLES = ("records", "outcomes", "kpis", "summary", "backorders", "cost_by_source", "runs")


def run(*argv: str) -> Run:
    """``parts-priority ARGV`` in this process, with its stdout and stderr."""
    return run_main(main, *argv)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("simulate")


@pytest.fixture(scope="module")
def simulated(outputs: Path) -> Run:
    """One short simulate run with every output: JSON, tables, charts, a group breakdown."""
    return run(
        "simulate", NORMAL, "-r", "2", "--workers", "1", *SHORT, "--by", "tier",
        "--json", "--out", str(outputs / "out"), "--plots", str(outputs / "plots"),
    )  # fmt: skip


def intervals(block: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for kpi in KPI_COLUMNS:
        yield kpi, block[kpi]


# -- simulate -----------------------------------------------------------------------------------


def test_simulate_prints_one_json_document_with_every_kpi_per_class_as_an_interval(
    simulated: Run,
) -> None:
    assert simulated.code == 0, simulated.err
    document = json.loads(simulated.out)

    assert document["command"] == "simulate"
    assert document["scenario"] == {"name": "Normal quarter (baseline)", "file": NORMAL}
    assert (document["policy"], document["replications"], document["seed"]) == ("optimal", 2, 2025)
    assert document["overrides"] == {"horizon_days": 6, "drain_days": 12}
    assert list(document["classes"]) == list(CLASSES)
    for block in [*document["classes"].values(), document["overall"]]:
        assert list(block) == list(KPI_COLUMNS)
        for kpi, interval in intervals(block):
            assert list(interval) == list(INTERVAL_KEYS), kpi
            low, mean, high = interval["ci_low"], interval["mean"], interval["ci_high"]
            assert low <= mean <= high, kpi
    orders = {c: document["classes"][c]["orders"]["mean"] for c in CLASSES}
    assert orders["parts_priority"] > 0
    assert orders["standard"] > 0
    assert document["overall"]["orders"]["mean"] == pytest.approx(sum(orders.values()))
    assert set(document["groups"]["values"]) >= {"PM", "standard"}
    assert set(document["cost_by_source"]["stock"]) == {"units", "money"}
    kinds = list(document["cost_by_source"])
    assert kinds == [kind for kind in SOURCE_KINDS if kind in kinds]


def test_simulate_json_holds_the_numbers_of_the_python_api_on_the_same_seed(
    simulated: Run,
) -> None:
    source = load_scenario(NORMAL, {"horizon_days": 6, "drain_days": 12})
    result = simulate(source, replications=2)

    expected = simulation_document(
        result, source, 0.95, ["tier"], {"horizon_days": 6, "drain_days": 12}
    )

    assert json.loads(simulated.out) == json.loads(json.dumps(expected))


def test_simulate_shows_progress_on_stderr_and_nothing_but_json_on_stdout(
    simulated: Run, outputs: Path
) -> None:
    assert simulated.out.lstrip().startswith("{")
    json.loads(simulated.out)  # the whole of stdout is the document
    assert "2/2 replications" in simulated.err
    assert "Normal quarter (baseline)" in simulated.err
    written = 2 * len(SIMULATE_TABLES) + 2 + 1 + len(REPORT_FACT_FILES)
    assert f"wrote {written} files to {outputs / 'out'}" in simulated.err
    assert f"wrote 3 charts to {outputs / 'plots'}" in simulated.err


def test_simulate_writes_every_table_as_parquet_and_csv_with_the_same_content(
    simulated: Run, outputs: Path
) -> None:
    folder = outputs / "out"
    stems = {*SIMULATE_TABLES, "summary_by_tier"}

    assert {p.name for p in folder.iterdir()} == {
        *(f"{s}.parquet" for s in stems),
        *(f"{s}.csv" for s in stems),
        "result.json",
        FACTS_FOLDER,
    }
    assert {p.name for p in (folder / FACTS_FOLDER).iterdir()} == set(REPORT_FACT_FILES)
    for stem in stems:
        parquet = pd.read_parquet(folder / f"{stem}.parquet")
        csv = pd.read_csv(folder / f"{stem}.csv")
        assert len(parquet) > 0, stem
        assert list(csv.columns) == list(parquet.columns), stem
        for column in parquet.columns:
            left = parquet[column].astype(object).where(parquet[column].notna(), None)
            right = csv[column].astype(object).where(csv[column].notna(), None)
            if pd.api.types.is_numeric_dtype(parquet[column]):
                assert right.astype(float).tolist() == pytest.approx(
                    left.astype(float).tolist(), nan_ok=True
                ), (stem, column)
            else:
                assert right.map(_text).tolist() == left.map(_text).tolist(), (stem, column)
    assert json.loads((folder / "result.json").read_text()) == json.loads(simulated.out)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def test_simulate_tables_hold_the_records_and_the_kpis_of_every_replication(
    simulated: Run, outputs: Path
) -> None:
    folder = outputs / "out"
    records = pd.read_parquet(folder / "records.parquet")
    kpis = pd.read_parquet(folder / "kpis.parquet")
    summary = pd.read_parquet(folder / "summary.parquet")

    assert sorted(records["replication"].unique()) == [0, 1]
    assert set(records["event"]) >= {"order_created", "allocated", "delivered", "restored", "end"}
    assert sorted(kpis["replication"].unique()) == [0, 1]
    assert set(kpis["priority_class"]) == set(CLASSES)
    mean_orders = kpis.groupby("priority_class")["orders"].mean()
    by_class = summary[summary["kpi"] == "orders"].set_index("priority_class")["mean"]
    for name in CLASSES:
        assert by_class[name] == pytest.approx(mean_orders[name])
    created = records[records["event"] == "order_created"]
    document = json.loads(simulated.out)
    window = created[(created["time"] >= 0) & (created["time"] < 6 * 24)]
    assert len(window) / 2 == pytest.approx(document["overall"]["orders"]["mean"])


def test_simulate_saves_its_charts_as_png_files(simulated: Run, outputs: Path) -> None:
    folder = outputs / "plots"

    names = sorted(p.name for p in folder.iterdir())

    assert names == ["backorders.png", "cost_by_source.png", "downtime_ecdf.png"]
    for name in names:
        data = (folder / name).read_bytes()
        assert data[:8] == PNG_SIGNATURE
        assert len(data) > 10_000, name


def test_simulate_shows_tables_per_class_in_the_terminal() -> None:
    result = run("simulate", NORMAL, "-r", "2", "--workers", "1", *SHORT)

    assert result.code == 0, result.err
    assert "Normal quarter (baseline)" in result.out
    assert "KPIs per priority class" in result.out
    for label in ("parts_priority", "standard", "all orders", "mean downtime (h)", "p90"):
        assert label in result.out
    assert "By source kind" in result.out
    assert "2/2 replications" in result.err


def test_replications_in_worker_processes_give_the_same_document_as_in_one() -> None:
    one = run("simulate", NORMAL, "-r", "2", "--workers", "1", *SHORT, "--json")
    two = run("simulate", NORMAL, "-r", "2", "--workers", "2", *SHORT, "--json")

    assert one.code == two.code == 0
    assert json.loads(one.out) == json.loads(two.out)


def test_a_different_seed_gives_different_numbers() -> None:
    first = run("simulate", NORMAL, "-r", "2", "--workers", "1", *SHORT, "--json", "--seed", "1")
    second = run("simulate", NORMAL, "-r", "2", "--workers", "1", *SHORT, "--json", "--seed", "2")

    assert json.loads(first.out)["seed"] == 1
    assert json.loads(first.out)["overall"] != json.loads(second.out)["overall"]


@pytest.mark.slow
def test_replications_on_a_local_dask_cluster_give_the_same_document() -> None:
    pytest.importorskip("distributed")
    local = run("simulate", NORMAL, "-r", "2", "--workers", "1", *SHORT, "--json")
    dask = run("simulate", NORMAL, "-r", "2", "--workers", "2", *SHORT, "--json", "--dask", "local")

    assert dask.code == 0, dask.err
    assert json.loads(dask.out) == json.loads(local.out)


# -- compare ------------------------------------------------------------------------------------


def test_compare_reports_each_policy_and_its_paired_difference_from_the_first(
    tmp_path: Path,
) -> None:
    result = run(
        "compare", FLOODS, "--policies", "optimal,fifo", "-r", "2", "--workers", "1",
        "--set", "horizon_days=10", "--set", "drain_days=10", "--json",
        "--out", str(tmp_path / "out"), "--plots", str(tmp_path / "plots"),
    )  # fmt: skip

    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document["command"] == "compare"
    assert document["baseline"] == "optimal"
    assert list(document["policies"]) == ["optimal", "fifo"]
    assert list(document["differences"]) == ["fifo"]
    difference = document["differences"]["fifo"]["classes"]["parts_priority"]
    # Common random numbers: both policies saw exactly the same orders.
    assert difference["orders"] == {"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0}
    for name in CLASSES:
        both = [document["policies"][p]["classes"][name] for p in ("optimal", "fifo")]
        expected = both[1]["mean_downtime_hours"]["mean"] - both[0]["mean_downtime_hours"]["mean"]
        got = document["differences"]["fifo"]["classes"][name]["mean_downtime_hours"]
        assert got["mean"] == pytest.approx(expected)
        assert got["ci_low"] <= got["mean"] <= got["ci_high"]
    assert "4/4 replications" in result.err
    folders = {p.name for p in (tmp_path / "out").iterdir()}
    assert folders == {"optimal", "fifo", "differences.parquet", "differences.csv", "result.json"}
    differences = pd.read_parquet(tmp_path / "out" / "differences.parquet")
    assert set(differences["policy"]) == {"fifo"}
    assert (tmp_path / "out" / "fifo" / "records.csv").exists()
    charts = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert "comparison.png" in charts
    assert "downtime_ecdf.png" in charts
    assert all((tmp_path / "plots" / c).read_bytes()[:8] == PNG_SIGNATURE for c in charts)


def test_compare_shows_a_table_per_class_with_the_differences(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "160")  # a wide terminal: no header is wrapped
    result = run(
        "compare", NORMAL, "--policies", "optimal,fifo,tier_greedy", "-r", "2",
        "--workers", "1", *SHORT,
    )  # fmt: skip

    assert result.code == 0, result.err
    assert "fifo − optimal" in result.out
    assert "tier_greedy − optimal" in result.out
    assert "paired by replication" in result.out


# -- sweep --------------------------------------------------------------------------------------


def test_sweep_runs_every_point_of_the_grid_in_order(tmp_path: Path) -> None:
    result = run(
        "sweep", NORMAL, "--set", "demand.orders_per_day=20,80", "--set", "repair_hours=0,24",
        "-r", "2", "--workers", "1", *SHORT[:2], "--json", "--out", str(tmp_path / "out"),
        "--plots", str(tmp_path / "plots"),
    )  # fmt: skip

    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document["command"] == "sweep"
    assert document["fields"] == ["demand.orders_per_day", "repair_hours", "horizon_days"]
    points = [p["set"] for p in document["points"]]
    assert points == [
        {"demand.orders_per_day": 20, "repair_hours": 0, "horizon_days": 6},
        {"demand.orders_per_day": 20, "repair_hours": 24, "horizon_days": 6},
        {"demand.orders_per_day": 80, "repair_hours": 0, "horizon_days": 6},
        {"demand.orders_per_day": 80, "repair_hours": 24, "horizon_days": 6},
    ]
    orders = [p["overall"]["orders"]["mean"] for p in document["points"]]
    assert orders[2] > 2 * orders[0]
    downtime = [p["overall"]["mean_downtime_hours"]["mean"] for p in document["points"]]
    assert downtime[1] > downtime[0]
    assert "8/8 replications" in result.err
    table = pd.read_csv(tmp_path / "out" / "points.csv")
    assert list(table.columns[:4]) == [
        "point",
        "demand.orders_per_day",
        "repair_hours",
        "horizon_days",
    ]
    assert sorted(table["point"].unique()) == [1, 2, 3, 4]
    assert (tmp_path / "out" / "point-04" / "records.parquet").exists()
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "sweep.png",
        "sweep_within_target.png",
    ]


def test_sweep_shows_a_row_per_point_and_class() -> None:
    result = run(
        "sweep", NORMAL, "--set", "repair_hours=0,24", "-r", "1", "--workers", "1", *SHORT,
    )  # fmt: skip

    assert result.code == 0, result.err
    assert "KPIs per grid point" in result.out
    assert result.out.count("parts_priority") == 2


# -- check and the allocation commands ----------------------------------------------------------


def test_check_validates_a_scenario_against_its_world_without_running_it() -> None:
    result = run("check", FLOODS)

    assert result.code == 0
    assert "ok" in result.out
    assert "3 disruptions" in result.out


def test_the_allocation_commands_are_mounted_on_the_same_command_line() -> None:
    example = ROOT / "scenarios" / "example"
    result = run(
        "entitle", "--customers", str(example / "customers.csv"),
        "--contracts", str(example / "contracts.csv"), "--orders", str(example / "orders.csv"),
        "--json",
    )  # fmt: skip

    assert result.code == 0, result.err
    assert {r["order_id"] for r in json.loads(result.out)} >= {"O-1001", "O-1007"}


# -- bad input and unexpected errors ------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["simulate", NORMAL, "--policy", "greedy"], "unknown policy 'greedy'"),
        (["simulate", NORMAL, "--set", "horizon_days"], "expected FIELD=VALUE"),
        (["simulate", NORMAL, "--set", "horizon_days=5,6"], "one value per field here"),
        (["simulate", NORMAL, "--set", "horizon_days=-5"], "horizon_days: Input should be"),
        (["simulate", NORMAL, "--set", "demand.colour=red"], "demand.colour: is not a field"),
        (["simulate", NORMAL, "--by", "planet"], "unknown group 'planet'"),
        (["simulate", NORMAL, "-r", "0"], "Invalid value for '--replications'"),
        (["simulate", NORMAL, "--workers", "-1"], "Invalid value for '--workers'"),
        (["simulate", "no/such/scenario.yaml"], "no/such/scenario.yaml: cannot read scenario"),
        (["compare", NORMAL, "--policies", "optimal"], "at least two policies"),
        (["compare", NORMAL, "--policies", "optimal,magic"], "unknown policy 'magic'"),
        (["sweep", NORMAL], "Missing option '--set'"),
        (["sweep", NORMAL, "--set", "replications=1,0"], "replications: Input should be"),
        (["sweep", NORMAL, "--set", "horizon_days=5", "--set", "horizon_days=6"], "set twice"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(argv: list[str], message: str) -> None:
    result = run(*argv)

    assert result.code == 2, result.err
    assert message in result.err
    assert "Traceback" not in result.err
    assert result.out == ""


def test_an_output_folder_that_is_a_file_is_refused_before_the_run(tmp_path: Path) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("not a folder")

    result = run("simulate", NORMAL, *SHORT, "--out", str(blocker))

    assert result.code == 2
    assert f"{blocker} exists and is not a folder" in result.err
    assert "replications" not in result.err  # nothing ran
    assert blocker.read_text() == "not a folder"


def test_a_failure_after_the_run_writes_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> dict[str, pd.DataFrame]:
        raise RuntimeError("disk on fire")

    import simulation.entrypoints.output

    monkeypatch.setattr(simulation.entrypoints.output, "simulation_tables", broken)

    result = run(
        "simulate", NORMAL, "-r", "1", *SHORT, "--out", str(tmp_path / "out"),
        "--plots", str(tmp_path / "plots"),
    )  # fmt: skip

    assert result.code == 1
    assert "RuntimeError: disk on fire" in result.err
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "plots").exists()


def test_an_unexpected_error_exits_1_with_its_message_and_the_traceback_only_on_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(*_: object, **__: object) -> None:
        raise ZeroDivisionError("the world divided by zero")

    import simulation.use_cases

    monkeypatch.setattr(simulation.use_cases, "simulate", explode)

    quiet = run("simulate", NORMAL)
    monkeypatch.setenv("PARTS_PRIORITY_DEBUG", "1")
    loud = run("simulate", NORMAL)

    assert quiet.code == loud.code == 1
    assert "ZeroDivisionError: the world divided by zero" in quiet.err
    assert "PARTS_PRIORITY_DEBUG=1" in quiet.err
    assert "Traceback" not in quiet.err
    assert "Traceback" in loud.err


# -- the installed console script ---------------------------------------------------------------


def console_script() -> str:
    script = Path(sys.executable).with_name("parts-priority")
    found = str(script) if script.exists() else shutil.which("parts-priority")
    assert found, f"the parts-priority console script is not installed next to {sys.executable}"
    return found


def test_the_installed_command_simulates_a_scenario_end_to_end(tmp_path: Path) -> None:
    result = subprocess.run(
        [console_script(), "simulate", NORMAL, "-r", "2", *SHORT, "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["replications"] == 2
    assert "2/2 replications" in result.stderr


def test_the_installed_command_exits_2_on_a_bad_scenario_without_a_traceback(
    tmp_path: Path,
) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(Path(NORMAL).read_text().replace("repair_hours: 4", "repair_hours: -4"))
    (tmp_path / "normal-quarter").symlink_to(ROOT / "scenarios" / "normal-quarter")

    result = subprocess.run(
        [console_script(), "simulate", str(scenario)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )

    assert result.returncode == 2
    assert f"{scenario}:" in result.stderr
    assert "repair_hours: Input should be greater than or equal to 0 (got -4)" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
