"""What the simulator's commands hand to machines: one JSON document per run, and tables.

The JSON document has one fixed shape, so that a script can read any run without guessing:
every KPI is an *interval* object ``{"mean": x, "ci_low": a, "ci_high": b}`` over the
replications (``null`` where there is no estimate: a single replication has no interval, a
class without orders has no downtime), both priority classes are always present, and every
KPI of :data:`simulation.metrics.KPI_COLUMNS` is always there, as docs/guide/outputs.md
documents; a run with response-time targets adds those of
:data:`simulation.metrics.TARGET_KPI_COLUMNS` to every block.

Counts are completed before they are averaged: a replication in which a class had no orders
at all counts as zero orders of that class (not as a missing value, which would inflate the
mean), while its downtime and shares stay missing, since there is nothing to measure.

``--out`` tables are written as Parquet *and* CSV with the same content, after every table
has been computed, into a temporary folder beside the target that is moved into place when
every file is there (:func:`allocation.adapters.atomic_folder`): a failed or interrupted run
leaves the folder as it was — absent, if it is new — never half written. A run's report
facts (:func:`simulation.report_facts.facts_from_result`) go into the same temporary folder,
in ``report-facts/`` (a policy's, for ``compare``, in ``<policy>/report-facts/``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from allocation.adapters import atomic_folder
from allocation.adapters.report_facts import FACTS_FOLDER, write_report_facts
from allocation.reports import ReportFacts
from simulation.metrics import (
    ALL_GROUP,
    GROUP_COLUMN,
    KPI_COLUMNS,
    SOURCE_KINDS,
    TARGET_KPI_COLUMNS,
)
from simulation.results import Comparison, SimulationResult, SweepResult
from simulation.scenario.load import ScenarioFile
from simulation.stats import paired_difference, summarize

__all__ = [
    "CLASSES",
    "INTERVAL_KEYS",
    "comparison_document",
    "comparison_tables",
    "interval_summary",
    "simulation_document",
    "simulation_tables",
    "sweep_document",
    "sweep_tables",
    "write_tables",
]

CLASSES = ("parts_priority", "standard")
"""The priority classes every document names, whether or not a run had orders in them."""
INTERVAL_KEYS = ("mean", "ci_low", "ci_high")
_COUNTS = ("orders", "units", "cost", "broker_units", "expedited_units", "target_orders")

Interval = dict[str, float | None]
Block = dict[str, Interval]


def completed_kpis(
    result: SimulationResult, by: str | Sequence[str] | None = "priority_class"
) -> pd.DataFrame:
    """Per-replication KPIs with a row for every replication × group, counts zero-filled.

    Examples
    --------
    >>> table = pd.DataFrame({"replication": [0], "priority_class": ["standard"],
    ...                       "orders": [3], "mean_downtime_hours": [10.0]})
    >>> _complete(table, ["priority_class"], [0, 1]).to_dict("list")
    ... # doctest: +NORMALIZE_WHITESPACE
    {'replication': [0, 1], 'priority_class': ['standard', 'standard'], 'orders': [3, 0],
     'mean_downtime_hours': [10.0, nan]}
    """
    columns = _columns(by)
    replications = [int(r) for r in result.run_stats["replication"]]
    return _complete(result.kpis(by), columns, replications)


def interval_summary(
    result: SimulationResult, by: str | Sequence[str] | None, level: float
) -> pd.DataFrame:
    """Mean and confidence interval of every KPI per group (long format, counts completed)."""
    return summarize(completed_kpis(result, by), by=_columns(by), level=level)


def simulation_document(
    result: SimulationResult,
    source: ScenarioFile,
    level: float,
    by: Sequence[str] = (),
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The document ``simulate --json`` prints (its shape: docs/guide/outputs.md).

    Examples
    --------
    >>> from simulation import simulate
    >>> from simulation.scenario.load import load_scenario
    >>> source = load_scenario("scenarios/normal-quarter.yaml", {"horizon_days": 7})
    >>> document = simulation_document(simulate(source, replications=2), source, 0.95)
    >>> sorted(document["classes"]), sorted(document["classes"]["standard"]["orders"])
    (['parts_priority', 'standard'], ['ci_high', 'ci_low', 'mean'])
    """
    return {
        "command": "simulate",
        **_header(source, result.replications, result.seed, level, overrides),
        "policy": result.strategy,
        **_run_blocks(result, level, by),
    }


def comparison_document(
    comparison: Comparison,
    source: ScenarioFile,
    level: float,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The document ``compare --json`` prints: each policy's KPIs and, for every policy
    after the first, its paired difference from the first (policy − baseline)."""
    results = comparison.results
    baseline = comparison.baseline
    first = results[baseline]
    differences = {}
    for name, result in results.items():
        if name == baseline:
            continue
        differences[name] = {
            "classes": _classes(_paired(first, result, "priority_class", level)),
            "overall": _block(_paired(first, result, None, level), ALL_GROUP),
        }
    return {
        "command": "compare",
        **_header(source, first.replications, first.seed, level, overrides),
        "baseline": baseline,
        "policies": {name: _run_blocks(result, level, ()) for name, result in results.items()},
        "differences": differences,
        "hindsight_bound": bound_block(comparison),
    }


def bound_block(comparison: Comparison) -> dict[str, Any] | None:
    """The hindsight bound in a ``compare`` document: per class its mean downtime over the
    replications, the time its solves took, and each policy's gap to it — ``(policy −
    bound) / bound`` of the parts-priority mean downtime; ``{"note": why}`` when the world
    is one the bound does not model, None when it was not asked for."""
    bound = comparison.bound
    if bound is None:
        return None if comparison.bound_note is None else {"note": comparison.bound_note}
    classes = sorted(set(bound.table["priority_class"]))
    return {
        "mean_downtime_hours": {k: _finite(bound.mean(k)) for k in classes},
        "gap": {name: _finite(gap) for name, gap in comparison.bound_gaps().items()},
        "seconds": round(bound.seconds, 3),
    }


def _finite(value: float) -> float | None:
    return None if value != value else float(value)


def sweep_document(
    sweep: SweepResult, source: ScenarioFile, level: float, policy: str
) -> dict[str, Any]:
    """The document ``sweep --json`` prints: one entry per grid point, in grid order."""
    first = sweep.points[0][1]
    return {
        "command": "sweep",
        **_header(source, first.replications, first.seed, level, None),
        "policy": policy,
        "fields": list(sweep.points[0][0]),
        "points": [
            {"set": _plain_values(overrides), **_run_blocks(result, level, ())}
            for overrides, result in sweep.points
        ],
    }


def simulation_tables(
    result: SimulationResult, level: float, by: Sequence[str] = ()
) -> dict[str, pd.DataFrame]:
    """The tables ``simulate --out`` writes, by file stem."""
    tables = {
        "records": result.records,
        "outcomes": result.outcomes,
        "kpis": completed_kpis(result, "priority_class"),
        "summary": _with_overall(result, level),
        "backorders": result.backorders(),
        "cost_by_source": _completed_costs(result),
        "runs": result.run_stats,
    }
    if by:
        tables["summary_by_" + "_".join(by)] = interval_summary(result, list(by), level)
    suppliers = result.supplier_scorecard(level)
    if len(suppliers):
        tables["suppliers"] = suppliers
    return tables


def comparison_tables(comparison: Comparison, level: float) -> dict[str, pd.DataFrame]:
    """The tables ``compare --out`` writes: each policy's in a folder, and the differences."""
    tables: dict[str, pd.DataFrame] = {}
    for name, result in comparison.results.items():
        tables.update({f"{name}/{stem}": t for stem, t in simulation_tables(result, level).items()})
    baseline = comparison.results[comparison.baseline]
    frames = [
        _paired(baseline, result, "priority_class", level).assign(
            policy=name, baseline=comparison.baseline
        )
        for name, result in comparison.results.items()
        if name != comparison.baseline
    ]
    tables["differences"] = pd.concat(frames, ignore_index=True)
    return tables


def sweep_tables(sweep: SweepResult, level: float) -> dict[str, pd.DataFrame]:
    """The tables ``sweep --out`` writes: every point's summary and KPIs, and its own tables
    in ``point-01/``, ``point-02/``, ..."""
    summaries, kpis, tables = [], [], {}
    for number, (overrides, result) in enumerate(sweep.points, start=1):
        values: dict[str, Any] = {"point": number, **{k: _text(v) for k, v in overrides.items()}}
        summaries.append(_with_overall(result, level).assign(**values))
        kpis.append(completed_kpis(result).assign(**values))
        for stem, table in simulation_tables(result, level).items():
            tables[f"point-{number:02d}/{stem}"] = table
    front = ["point", *sweep.points[0][0]]
    tables["points"] = _front(pd.concat(summaries, ignore_index=True), front)
    tables["kpis"] = _front(pd.concat(kpis, ignore_index=True), front)
    return tables


def write_tables(
    tables: Mapping[str, pd.DataFrame],
    folder: str | Path,
    document: Mapping[str, Any],
    facts: Mapping[str, ReportFacts] | None = None,
) -> list[Path]:
    """Write every table as ``<stem>.parquet`` and ``<stem>.csv`` and the run's JSON
    document as ``result.json`` under ``folder``; return the paths written.

    ``facts`` are report facts to write too, by the folder that holds them (``""``: the
    out folder itself; ``"fifo"``: a policy's folder), each into its ``report-facts``
    folder (:func:`allocation.adapters.report_facts.write_report_facts`), where
    ``parts-priority report --run`` and :func:`~allocation.adapters.report_facts.read_report_facts`
    read them.

    Text columns are written as plain strings (categories would not survive CSV), missing
    values as empty CSV cells and Parquet nulls, so both files read back the same. The files
    appear in ``folder`` all at once, when every one is written (an existing folder keeps
    its other files); a failure or an interrupt leaves it as it was.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = write_tables({"t": pd.DataFrame({"a": [1]})}, folder, {"ok": True})
    ...     sorted(p.name for p in paths)
    ['result.json', 't.csv', 't.parquet']
    """
    root = Path(folder)
    plain = {stem: _plain_frame(table) for stem, table in tables.items()}
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    names: list[str] = []
    with atomic_folder(root) as temporary:
        for stem, table in plain.items():
            base = temporary / stem
            base.parent.mkdir(parents=True, exist_ok=True)
            table.to_parquet(base.with_name(base.name + ".parquet"), index=False)
            table.to_csv(base.with_name(base.name + ".csv"), index=False, lineterminator="\n")
            names += [f"{stem}.parquet", f"{stem}.csv"]
        (temporary / "result.json").write_text(text, encoding="utf-8")
        names.append("result.json")
        for where, run_facts in (facts or {}).items():
            place = temporary / where / FACTS_FOLDER
            for path in write_report_facts(run_facts, place):
                names.append(path.relative_to(temporary).as_posix())
    return [root / name for name in names]


# -- building blocks ---------------------------------------------------------------------------


def _header(
    source: ScenarioFile,
    replications: int,
    seed: int,
    level: float,
    overrides: Mapping[str, Any] | None,
) -> dict[str, Any]:
    scenario = source.scenario
    return {
        "scenario": {"name": scenario.name, "file": str(source.path)},
        "overrides": _plain_values(overrides or {}),
        "replications": replications,
        "seed": seed,
        "confidence_level": level,
        "horizon_days": scenario.horizon_days,
        "target_hours": scenario.target_hours,
        "currency": scenario.currency,
    }


def _run_blocks(result: SimulationResult, level: float, by: Sequence[str]) -> dict[str, Any]:
    blocks: dict[str, Any] = {
        "classes": _classes(interval_summary(result, "priority_class", level)),
        "overall": _block(interval_summary(result, None, level), ALL_GROUP),
        "cost_by_source": _costs_document(result, level),
    }
    if by:
        summary = interval_summary(result, list(by), level)
        names = _group_names(summary, list(by))
        blocks["groups"] = {
            "by": list(by),
            "values": {name: _block(summary, name, list(by)) for name in names},
        }
    return blocks


def _classes(summary: pd.DataFrame) -> dict[str, Block]:
    names = list(CLASSES) + [
        n for n in _group_names(summary, ["priority_class"]) if n not in CLASSES
    ]
    return {name: _block(summary, name, ["priority_class"]) for name in names}


def _block(summary: pd.DataFrame, name: str, columns: Sequence[str] | None = None) -> Block:
    """One group's KPIs, every KPI present (null intervals where the group has none)."""
    columns = list(columns) if columns else [GROUP_COLUMN]
    labels = _labels(summary, columns)
    rows = summary[labels == name]
    found = {str(row["kpi"]): row for row in rows.to_dict("records")}
    block: Block = {}
    for kpi in _kpis(summary):
        row = found.get(kpi)
        block[kpi] = {key: _number(row[key]) if row else None for key in INTERVAL_KEYS}
    return block


def _kpis(summary: pd.DataFrame) -> tuple[str, ...]:
    """Every KPI a block has: all of :data:`KPI_COLUMNS`, and the response-time ones
    (:data:`TARGET_KPI_COLUMNS`) when the run had targets."""
    named = set(summary["kpi"].astype(str)) if "kpi" in summary.columns else set()
    return (*KPI_COLUMNS, *(kpi for kpi in TARGET_KPI_COLUMNS if kpi in named))


def _costs_document(result: SimulationResult, level: float) -> dict[str, Block]:
    costs = _completed_costs(result)
    if costs.empty:
        return {}
    summary = summarize(costs, by="source_kind", level=level)
    document: dict[str, Block] = {}
    for row in summary.to_dict("records"):
        document.setdefault(str(row["source_kind"]), {})[str(row["kpi"])] = {
            key: _number(row[key]) for key in INTERVAL_KEYS
        }
    order = {kind: i for i, kind in enumerate(SOURCE_KINDS)}
    return dict(sorted(document.items(), key=lambda item: order.get(item[0], len(order))))


def _completed_costs(result: SimulationResult) -> pd.DataFrame:
    """Units and money per replication and source kind, zero where a kind was not used."""
    costs = result.costs()
    replications = [int(r) for r in result.run_stats["replication"]]
    kinds = [str(k) for k in pd.unique(costs["source_kind"].astype(object))]
    grid = pd.MultiIndex.from_product([replications, kinds], names=["replication", "source_kind"])
    plain = costs.assign(source_kind=costs["source_kind"].astype(object).astype(str))
    table = plain.set_index(["replication", "source_kind"]).reindex(grid, fill_value=0)
    return table.reset_index()


def _paired(
    base: SimulationResult, other: SimulationResult, by: str | None, level: float
) -> pd.DataFrame:
    columns = _columns(by)
    return paired_difference(completed_kpis(base, by), completed_kpis(other, by), columns, level)


def _with_overall(result: SimulationResult, level: float) -> pd.DataFrame:
    """Per class and for all orders together, in one long table (``priority_class`` ``all``)."""
    by_class = interval_summary(result, "priority_class", level)
    overall = interval_summary(result, None, level).rename(columns={GROUP_COLUMN: "priority_class"})
    table = pd.concat([by_class, overall], ignore_index=True)
    table["priority_class"] = table["priority_class"].astype(object).astype(str)
    return table


def _complete(table: pd.DataFrame, columns: list[str], replications: list[int]) -> pd.DataFrame:
    if table.empty:
        return table
    keys = ["replication", *columns]
    plain = table.copy()
    for column in columns:
        plain[column] = plain[column].astype(object).where(plain[column].notna(), "unknown")
        plain[column] = plain[column].astype(str)
    groups = plain[columns].drop_duplicates().sort_values(columns)
    grid = pd.MultiIndex.from_tuples(
        [(r, *g) for r in replications for g in groups.itertuples(index=False, name=None)],
        names=keys,
    )
    full = plain.set_index(keys).reindex(grid)
    for name in _COUNTS:
        if name in full.columns:
            full[name] = full[name].fillna(0).astype(table[name].dtype)
    return full.reset_index()


def _columns(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return [GROUP_COLUMN]
    return [by] if isinstance(by, str) else list(by)


def _labels(summary: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    text = summary[list(columns)].astype(object).where(summary[list(columns)].notna(), "unknown")
    return text.astype(str).agg("/".join, axis=1) if len(text) else pd.Series([], dtype=object)


def _group_names(summary: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(_labels(summary, columns)))


def _number(value: Any) -> float | None:
    number = float(value)
    return number if np.isfinite(number) else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _plain_values(values: Mapping[str, Any]) -> dict[str, Any]:
    return {str(key): json.loads(json.dumps(value, default=str)) for key, value in values.items()}


def _front(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    return frame[[*columns, *(c for c in frame.columns if c not in columns)]]


def _plain_frame(table: pd.DataFrame) -> pd.DataFrame:
    plain = table.copy()
    for column in plain.columns:
        dtype = plain[column].dtype
        if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(dtype):
            values = plain[column].astype(object)
            plain[column] = values.where(values.notna(), None)
    return plain
