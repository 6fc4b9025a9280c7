"""Results of simulation runs: tables, documents and plots of replications.

Every table here is computed from the event records by the pure functions of
:mod:`simulation.metrics` and :mod:`simulation.stats`, replication by replication: each
replication reduced its own records where it ran (:mod:`simulation._reduce`), and a result
puts those reductions together. So a result shows the same numbers, to the last bit,
whether its records were kept (``keep_records=True``, ``--out``) or not; without them it
holds a few kilobytes per replication instead of megabytes, and makes the records again by
replaying the replications (the same seed gives the same records) only when something asks
for them: :attr:`SimulationResult.records`, the per-order outcomes, writing the tables, a
grouping of KPIs or a backorder grid that no replication reduced.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from allocation.adapters import atomic_write
from allocation.engine import html_block, html_table
from allocation.reports import (
    PerformanceReport,
    Period,
    ReportFacts,
    customer_report,
    reports_for_all,
    supplier_scorecard,
)
from simulation._backups import backup_counts
from simulation._causes import cut_windows
from simulation._reduce import BACKORDER_GROUP, BACKORDER_STEP_HOURS, combine_kpis, grouping
from simulation._store import ReplicationStore, concat_records
from simulation.figure import ChartContext
from simulation.hindsight import HindsightBound
from simulation.metrics import backorders_over_time, kpis, order_outcomes
from simulation.plots import (
    backorders_chart,
    comparison_chart,
    cost_chart,
    downtime_ecdf,
    sweep_chart,
    write_plots,
)
from simulation.purchases import purchases
from simulation.replicate import ReplicationOutput
from simulation.report_facts import RunWorld, facts_from_result
from simulation.scenario.model import Scenario
from simulation.stats import paired_difference, summarize, summary_document

__all__ = [
    "HEADLINE_KPIS",
    "Comparison",
    "SimulationResult",
    "SweepResult",
    "concat_records",
    "disruption_windows",
    "headline",
]

HEADLINE_KPIS = (
    "orders",
    "mean_downtime_hours",
    "p90_downtime_hours",
    "within_target",
    "fill_rate",
)


@dataclass
class SimulationResult:
    """The replications of one scenario under one policy.

    Orders count when created between the warm-up and the horizon. The replications' tables
    are in ``store``; :attr:`records` holds every event of every replication (see
    :mod:`simulation.records`), kept from the run or made again on request. ``world`` is
    what its performance reports need of the world (hour 0's date and the customers; see
    :mod:`simulation.report_facts`), when the run knows it.
    """

    scenario: Scenario
    strategy: str
    seed: int
    store: ReplicationStore = field(repr=False)
    world: RunWorld | None = field(default=None, repr=False)
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    _facts: ReportFacts | None = field(default=None, repr=False)

    @classmethod
    def from_outputs(
        cls, scenario: Scenario, strategy: str, seed: int, outputs: Sequence[ReplicationOutput]
    ) -> SimulationResult:
        """Collect replication outputs into one result (records only if they brought them)."""
        store = ReplicationStore()
        for output in outputs:
            store.add(output)
        return cls(scenario, strategy, seed, store)

    @property
    def replications(self) -> int:
        """How many replications ran."""
        return len(self.store.replications)

    @cached_property
    def run_stats(self) -> pd.DataFrame:
        """Per replication: ``seconds``, engine ``solves``, exact ``shortcuts``, SimPy
        ``events`` and ``records`` (how many the world wrote)."""
        return self.store.run_stats()

    @property
    def kept_records(self) -> bool:
        """Whether the records came back with the replications (``keep_records=True``);
        when not, :attr:`records` makes them again by replaying the replications."""
        return self.store.kept_records

    @property
    def records(self) -> pd.DataFrame:
        """Every event of every replication (see :mod:`simulation.records`): kept from the
        run, or made again the first time they are asked for — the same seed gives the same
        records, so they are those the run had, bit for bit, at the price of running it
        again (in this process)."""
        return self.store.records()

    @cached_property
    def outcomes(self) -> pd.DataFrame:
        """One row per order and replication: downtime, fill, cost and the root cause of a
        short or late order's wait (``code``; orders in the window). Made from
        :attr:`records`."""
        scenario = self.scenario
        window = (scenario.warmup_days * 24.0, scenario.horizon_days * 24.0)
        return order_outcomes(
            self.records,
            created_between=window,
            target_hours=scenario.target_hours,
            supply_cuts=cut_windows(scenario),
        )

    def to_pandas(self) -> pd.DataFrame:
        """The per-order outcomes (see :attr:`outcomes`)."""
        return self.outcomes

    def report_facts(self, start: datetime | None = None) -> ReportFacts:
        """What the run's performance reports are computed from: every replication's orders,
        their sources and the customers (:func:`simulation.report_facts.facts_from_result`;
        ``start`` is the date hour 0 stands for, the run's own by default)."""
        if start is not None:
            return facts_from_result(self, start)
        if self._facts is None:
            self._facts = facts_from_result(self)
        return self._facts

    def report(self, customer_id: str, period: Period | str | None = None) -> PerformanceReport:
        """The performance report of one customer in this run, for ``period`` (``2026-Q1``,
        ``2026-02``; default: the whole run), its counts the means over the replications.

        Examples
        --------
        >>> from simulation import load_scenario, simulate
        >>> quick = load_scenario("scenarios/normal-quarter.yaml", {"horizon_days": 3})
        >>> result = simulate(quick, replications=1)
        >>> customer = result.report_facts().customer_ids(("PM",))[0]
        >>> result.report(customer).origin
        'simulation run: Normal quarter (baseline)'
        """
        return customer_report(self.report_facts(), customer_id, period)

    def reports(self, period: Period | str | None = None) -> list[PerformanceReport]:
        """A report for every Priority Access Plus and Priority Management customer."""
        return reports_for_all(self.report_facts(), period)

    def kpis(self, by: str | Sequence[str] | None = "priority_class") -> pd.DataFrame:
        """KPIs per replication and group.

        Every order attribute on its own, all orders (``by=None``) and any grouping named
        with ``kpis_by`` when the run started were reduced by the replications; any other
        grouping is computed from :attr:`records`, replication by replication, the same way.
        """
        key = grouping(by)
        cached = f"kpis:{key}"
        if cached not in self._cache:
            table = self.store.kpis(key)
            if table is None:
                target = self.scenario.target_hours
                window = (self.scenario.warmup_days * 24.0, self.scenario.horizon_days * 24.0)
                table = combine_kpis(
                    [
                        kpis(
                            order_outcomes(part, created_between=window), by=by, target_hours=target
                        )
                        for part in self.store.per_replication()
                    ]
                )
            self._cache[cached] = table
        return self._cache[cached].copy()

    def summary(
        self, by: str | Sequence[str] | None = "priority_class", level: float = 0.95
    ) -> pd.DataFrame:
        """KPIs averaged over replications with confidence intervals (long format)."""
        key = f"summary:{by}:{level}"
        if key not in self._cache:
            table = self.kpis(by)
            columns = [by] if isinstance(by, str) else list(by) if by is not None else ["group"]
            self._cache[key] = summarize(table, by=columns, level=level)
        return self._cache[key]

    def backorders(
        self, step_hours: float = BACKORDER_STEP_HOURS, by: str | None = BACKORDER_GROUP
    ) -> pd.DataFrame:
        """Orders waiting for units over time, per replication and group (every order, the
        backlog and the warm-up included: it is the state of the world).

        Daily per priority class (the default) was reduced by the replications; any other
        grid or grouping is computed from :attr:`records`, replication by replication."""
        cached = f"backorders:{step_hours!r}:{by}"
        if cached not in self._cache:
            if step_hours == BACKORDER_STEP_HOURS and by == BACKORDER_GROUP:
                table = self.store.backorders()
            else:
                tables = [
                    backorders_over_time(part, step_hours=step_hours, by=by)
                    for part in self.store.per_replication()
                ]
                table = self.store.combine_backorders(tables, step_hours)
            self._cache[cached] = table
        return self._cache[cached].copy()

    def costs(self) -> pd.DataFrame:
        """Units and money by source kind, per replication."""
        if "costs" not in self._cache:
            self._cache["costs"] = self.store.costs()
        return self._cache["costs"].copy()

    def purchases(self) -> pd.DataFrame:
        """Every broker and expedite buy of every replication, and whether it failed (see
        :func:`simulation.purchases.purchases`). Made from :attr:`records`."""
        if "purchases" not in self._cache:
            offers = self.world.offers if self.world is not None else None
            self._cache["purchases"] = purchases(self.records, offers)
        return self._cache["purchases"].copy()

    def backups(self) -> pd.DataFrame:
        """Per replication, what broker backups (the policy's ``broker_backup``) held, gave
        back and shipped for failed buys, and the unit-hours they kept off the free shelf
        (see :func:`simulation._backups.backup_counts`). Made from :attr:`records`."""
        if "backups" not in self._cache:
            self._cache["backups"] = backup_counts(self.records)
        return self._cache["backups"].copy()

    def supplier_scorecard(self, level: float = 0.95) -> pd.DataFrame:
        """Per supplier and source kind: buys, failures, the success rate with its exact
        ``level`` interval, the success probability its offers declared and a verdict (see
        :func:`allocation.reports.supplier_scorecard`): whether the suppliers lived up to
        their offers in this run.
        """
        return supplier_scorecard(self.purchases(), level)

    def downtimes(self) -> pd.DataFrame:
        """Every order's ``priority_class`` and ``downtime_hours`` (the orders of
        :attr:`outcomes`, in the same order): the pooled distribution of downtime, which the
        replications send back as one number per order."""
        if "downtimes" not in self._cache:
            self._cache["downtimes"] = self.store.downtimes()
        return self._cache["downtimes"]

    def document(self, level: float = 0.95) -> dict[str, Any]:
        """The JSON document ``simulate --json`` prints."""
        return {
            "scenario": self.scenario.name,
            "policy": self.strategy,
            "replications": self.replications,
            "seed": self.seed,
            "confidence_level": level,
            "target_hours": self.scenario.target_hours,
            "by_class": summary_document(self.summary("priority_class", level)),
            "overall": summary_document(self.summary(None, level)).get("all", {}),
            "cost_by_source": _costs_document(self.costs()),
            "run": {
                "seconds": [round(s, 3) for s in self.run_stats["seconds"]],
                "solves": [int(s) for s in self.run_stats["solves"]],
                "shortcuts": [int(s) for s in self.run_stats["shortcuts"]],
            },
        }

    def charts(self, level: float = 0.95) -> dict[str, Callable[[], Figure]]:
        """How to draw each chart of :meth:`plots`, by name, without drawing it yet."""
        scenario = self.scenario
        about = ChartContext.of_run(scenario, [self.strategy], self.replications, level=level)
        return {
            "downtime_ecdf": lambda: downtime_ecdf(
                self.downtimes(),
                log_x=True,
                target_hours=scenario.target_hours,
                count_labels=True,
                about=about,
            ),
            "backorders": lambda: backorders_chart(
                self.backorders(),
                disruption_windows(scenario),
                scenario.horizon_days * 24.0,
                about=about,
            ),
            "cost_by_source": lambda: cost_chart(self.costs(), about=about),
        }

    def plots(self, level: float = 0.95) -> dict[str, Figure]:
        """Downtime ECDF per class, backorders over time (disruptions shaded) and cost by
        source kind, by name: what ``simulate --plots`` saves (``level``: of the intervals)."""
        return {name: draw() for name, draw in self.charts(level).items()}

    def plot(self, kind: str = "downtime_ecdf") -> Figure:
        """One chart of :meth:`plots`, by name; a notebook shows the figure it returns.

        Examples
        --------
        >>> from simulation import load_scenario, simulate
        >>> quick = load_scenario("scenarios/normal-quarter.yaml", {"horizon_days": 3})
        >>> simulate(quick, replications=1).plot("backorders").axes[0].get_title()
        'Orders waiting for parts (mean over replications)'
        """
        return _pick(self.charts(), kind)

    def write(self, folder: str | Path) -> list[Path]:
        """Records, outcomes, KPIs and the summary as Parquet and CSV in ``folder``."""
        tables = {
            "records": self.records,
            "outcomes": self.outcomes,
            "kpis": self.kpis("priority_class"),
            "summary": self.summary("priority_class"),
            "backorders": self.backorders(),
            "cost_by_source": self.costs(),
        }
        return _write_tables(tables, Path(folder))

    def _repr_html_(self) -> str:
        return html_block(
            f"{self.scenario.name} — policy {self.strategy}, {self.replications} replication(s)",
            [html_table(headline(self.summary("priority_class")), "mean per priority class")],
        )


@dataclass
class Comparison:
    """Several policies on the same random numbers; the first is the baseline.

    ``bound`` is the hindsight bound of the same replications when it was asked for
    (:func:`simulation.use_cases.compare` with ``bound=True``); ``bound_note`` says why
    there is none when the world is one the bound does not model.
    """

    results: Mapping[str, SimulationResult]
    bound: HindsightBound | None = None
    bound_note: str | None = None

    def bound_gaps(self, priority_class: str = "parts_priority") -> dict[str, float]:
        """Each policy's distance from the hindsight bound, ``(policy − bound) / bound`` of
        the class's mean downtime over the same replications (empty without a bound).

        0.09 reads "within 9% of the hindsight bound": this policy's mean downtime is 9%
        above the least any policy could have had on the same random numbers.
        """
        if self.bound is None:
            return {}
        return {
            name: self.bound.gap(result.kpis(), priority_class)
            for name, result in self.results.items()
        }

    @property
    def baseline(self) -> str:
        """The policy the others are compared with."""
        return next(iter(self.results))

    def differences(
        self, by: str | Sequence[str] = "priority_class", level: float = 0.95
    ) -> pd.DataFrame:
        """Per policy: (policy − baseline) per KPI, paired by replication, with CIs."""
        columns = [by] if isinstance(by, str) else list(by)
        base = self.results[self.baseline].kpis(by)
        frames = []
        for name, result in self.results.items():
            if name == self.baseline:
                continue
            diff = paired_difference(base, result.kpis(by), by=columns, level=level)
            frames.append(diff.assign(policy=name, baseline=self.baseline))
        return pd.concat(frames, ignore_index=True)

    def to_pandas(self) -> pd.DataFrame:
        """Every policy's per-order outcomes, stacked with a ``policy`` column."""
        frames = [r.outcomes.assign(policy=n) for n, r in self.results.items()]
        return pd.concat(frames, ignore_index=True)

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Each policy's per-class summary, stacked with a ``policy`` column."""
        return pd.concat(
            [r.summary("priority_class", level).assign(policy=n) for n, r in self.results.items()],
            ignore_index=True,
        )

    def document(self, level: float = 0.95) -> dict[str, Any]:
        """The JSON document ``compare --json`` prints."""
        diffs = self.differences(level=level)
        return {
            "baseline": self.baseline,
            "policies": {n: r.document(level) for n, r in self.results.items()},
            "differences": {
                name: summary_document(frame.drop(columns=["policy", "baseline"]))
                for name, frame in diffs.groupby("policy", sort=False)
            },
        }

    def charts(self, level: float = 0.95) -> dict[str, Callable[[], Figure]]:
        """How to draw each chart of :meth:`plots`, by name, without drawing it yet."""
        first = self.results[self.baseline]
        about = ChartContext.of_run(first.scenario, self.results, first.replications, level=level)

        def summaries() -> dict[str, pd.DataFrame]:
            return {n: r.summary("priority_class", level) for n, r in self.results.items()}

        def ecdf() -> Figure:
            frames = [r.downtimes().assign(policy=n) for n, r in self.results.items()]
            return downtime_ecdf(
                pd.concat(frames, ignore_index=True),
                log_x=True,
                target_hours=first.scenario.target_hours,
                by="policy",
                panel_by="priority_class",
                count_labels=True,
                about=about,
            )

        charts: dict[str, Callable[[], Figure]] = {
            "comparison": lambda: comparison_chart(summaries(), "mean_downtime_hours", about=about),
            "comparison_within_target": lambda: comparison_chart(
                summaries(), "within_target", about=about
            ),
            "downtime_ecdf": ecdf,
        }
        for name, result in self.results.items():
            own = result.charts(level)
            charts[f"{name}_backorders"] = own["backorders"]
            charts[f"{name}_cost_by_source"] = own["cost_by_source"]
        return charts

    def plots(self, level: float = 0.95) -> dict[str, Figure]:
        """Mean downtime and share within the target per class and policy (with intervals
        at ``level``), the downtime ECDF of every policy and class, and each policy's
        backorders and cost by source kind: what ``compare --plots`` saves."""
        return {name: draw() for name, draw in self.charts(level).items()}

    def plot(self, kind: str = "comparison") -> Figure:
        """One chart of :meth:`plots`, by name (the policies' mean downtime by default)."""
        return _pick(self.charts(), kind)

    def _repr_html_(self) -> str:
        frames = [
            headline(r.summary("priority_class")).assign(policy=n) for n, r in self.results.items()
        ]
        table = pd.concat(frames, ignore_index=True)
        table = table[["policy", *(c for c in table.columns if c != "policy")]]
        change = self.differences()
        change = change[change["kpi"].isin(("mean_downtime_hours", "within_target"))]
        change = change[["policy", "priority_class", "kpi", "mean", "ci_low", "ci_high"]]
        first = self.results[self.baseline]
        return html_block(
            f"{first.scenario.name} — {len(self.results)} policies, "
            f"{first.replications} replication(s), same random numbers",
            [
                html_table(table, "mean per policy and priority class"),
                html_table(change, f"paired difference from {self.baseline} (policy − baseline)"),
            ],
        )

    def write(self, folder: str | Path) -> list[Path]:
        """Every policy's tables in a subfolder, plus the differences."""
        folder = Path(folder)
        written = []
        for name, result in self.results.items():
            written += result.write(folder / name)
        written += _write_tables({"differences": self.differences()}, folder)
        return written


@dataclass
class SweepResult:
    """A grid of scenario variants: each point's overrides and result."""

    points: list[tuple[dict[str, Any], SimulationResult]]

    def to_pandas(self) -> pd.DataFrame:
        """Every point's per-order outcomes, with the point's field values as columns."""
        frames = [
            result.outcomes.assign(**{k: str(v) for k, v in overrides.items()})
            for overrides, result in self.points
        ]
        return pd.concat(frames, ignore_index=True)

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Per point and class: the KPI summary, with the point's field values as columns."""
        frames = []
        for overrides, result in self.points:
            frame = result.summary("priority_class", level)
            for field_name, value in overrides.items():
                frame = frame.assign(**{field_name: str(value)})
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def document(self, level: float = 0.95) -> dict[str, Any]:
        """The JSON document ``sweep --json`` prints."""
        return {
            "points": [
                {"set": overrides, "by_class": result.document(level)["by_class"]}
                for overrides, result in self.points
            ]
        }

    def write(self, folder: str | Path) -> list[Path]:
        """The sweep's summary table."""
        return _write_tables({"sweep": self.summary()}, Path(folder))

    def labels(self) -> list[str]:
        """Each point's field values as text (``field=value, ...``), in grid order."""
        return [", ".join(f"{k}={v}" for k, v in overrides.items()) for overrides, _ in self.points]

    def charts(self, level: float = 0.95) -> dict[str, Callable[[], Figure]]:
        """How to draw each chart of :meth:`plots`, by name, without drawing it yet."""

        first = self.points[0][1] if self.points else None
        policies = dict.fromkeys(result.strategy for _, result in self.points)
        about = (
            ChartContext.of_run(first.scenario, policies, first.replications, level=level)
            if first is not None
            else None
        )

        def chart(kpi: str) -> Callable[[], Figure]:
            return lambda: sweep_chart(
                [point for point, _ in self.points],
                [r.summary("priority_class", level) for _, r in self.points],
                kpi,
                about=about,
            )

        return {
            "sweep": chart("mean_downtime_hours"),
            "sweep_within_target": chart("within_target"),
        }

    def plots(self, level: float = 0.95) -> dict[str, Figure]:
        """Mean downtime and share within the target per class along the grid, with
        intervals at ``level``: what ``sweep --plots`` saves."""
        return {name: draw() for name, draw in self.charts(level).items()}

    def plot(self, kind: str = "sweep") -> Figure:
        """One chart of :meth:`plots`, by name (mean downtime along the grid by default)."""
        return _pick(self.charts(), kind)

    def _repr_html_(self) -> str:
        frames = [
            headline(result.summary("priority_class")).assign(point=label)
            for label, (_, result) in zip(self.labels(), self.points, strict=True)
        ]
        table = pd.concat(frames, ignore_index=True)
        table = table[["point", *(c for c in table.columns if c != "point")]]
        return html_block(
            f"Sweep of {len(self.points)} point(s), same random numbers at every point",
            [html_table(table, "mean per point and priority class", max_rows=40)],
        )


def headline(summary: pd.DataFrame) -> pd.DataFrame:
    """The headline KPIs of a per-class summary, one row per class, one column per KPI
    (means over the replications).

    Examples
    --------
    >>> long = pd.DataFrame({"priority_class": ["standard", "standard"],
    ...                      "kpi": ["orders", "fill_rate"], "replications": 2,
    ...                      "mean": [10.0, 0.5], "ci_low": 0.0, "ci_high": 1.0})
    >>> headline(long)
      priority_class  orders  fill_rate
    0       standard    10.0        0.5
    """
    picked = summary[summary["kpi"].isin(HEADLINE_KPIS)]
    wide = picked.pivot_table(
        index="priority_class", columns="kpi", values="mean", observed=True, sort=True
    )
    wide = wide[[k for k in HEADLINE_KPIS if k in wide.columns]]
    wide.columns.name = None
    return wide.reset_index()


def disruption_windows(scenario: Scenario) -> list[tuple[float, float, str]]:
    """Each disruption's window in hours and its name, for shading charts."""
    return [
        (d.start_day * 24.0, d.end_day * 24.0, d.name or d.kind.replace("_", " "))
        for d in scenario.disruptions
    ]


def _pick(charts: Mapping[str, Callable[[], Figure]], kind: str) -> Figure:
    if kind not in charts:
        raise ValueError(f"unknown chart {kind!r} (use one of {', '.join(charts)})")
    return charts[kind]()


def _costs_document(costs: pd.DataFrame) -> dict[str, dict[str, float]]:
    if len(costs) == 0:
        return {}
    mean = costs.groupby("source_kind", observed=True, sort=False)[["units", "money"]].mean()
    return {
        str(kind): {"units": float(row["units"]), "money": round(float(row["money"]), 2)}
        for kind, row in mean.iterrows()
    }


def _write_tables(tables: Mapping[str, pd.DataFrame], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        plain = table.copy()
        for column in plain.columns:
            if isinstance(plain[column].dtype, pd.CategoricalDtype):
                plain[column] = plain[column].astype(object)
        parquet, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
        atomic_write(parquet, _writer(plain, "parquet"))
        atomic_write(csv, _writer(plain, "csv"))
        written += [parquet, csv]
    return written


def _writer(table: pd.DataFrame, kind: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        if kind == "parquet":
            table.to_parquet(path, index=False)
        else:
            table.to_csv(path, index=False)

    return write


def save_plots(figures: Mapping[str, Figure], folder: str | Path) -> list[Path]:
    """Write figures as PNG files (see :func:`simulation.plots.write_plots`)."""
    return write_plots(figures, folder)
