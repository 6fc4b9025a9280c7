"""What a protection-level recommendation hands back: the levels, what they buy each class
(with confidence intervals over replications, paired on common random numbers), what they
cost, and every trial the search made."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from allocation import ProtectionLevels
from allocation.adapters import atomic_write
from allocation.engine import html_block, html_table
from simulation.change_plots import levels_chart
from simulation.figure import ChartContext
from simulation.results import SimulationResult
from simulation.shelves import shelf_orders, shelf_stock
from simulation.stats import paired_difference, summarize

__all__ = ["REPORTED_KPIS", "ProtectionRecommendation"]

REPORTED_KPIS = ("mean_downtime_hours", "p90_downtime_hours", "within_target", "fill_rate", "cost")
Shelf = tuple[str, str]
_CURVE_COLUMNS = ["round", "depot_id", "part_number", "level", "priority_class", "mean"]
_CURVE_COLUMNS += ["ci_low", "ci_high"]


@dataclass(frozen=True)
class ProtectionRecommendation:
    """Protection levels found by simulation, and the evidence for them.

    Attributes
    ----------
    scenario : str
        The scenario's name.
    rule : str
        The decision rule that chose the levels, in words.
    chosen : mapping of (depot_id, part_number) to int
        The recommended level of every shelf the search tried.
    existing : ProtectionLevels
        The scenario's own levels (the baseline).
    candidates : DataFrame
        The shelves tried, from where parts-priority orders waited in the baseline run:
        ``depot_id, part_number, orders_waiting, waiting_hours`` (per replication).
    trials : DataFrame
        One row per simulated assignment of levels (see :meth:`trial_table`).
    baseline, recommended : SimulationResult
        The runs without and with the recommended levels (same seed and replications).
    """

    scenario: str
    rule: str
    chosen: Mapping[Shelf, int]
    existing: ProtectionLevels
    candidates: pd.DataFrame
    trials: pd.DataFrame
    baseline: SimulationResult
    recommended: SimulationResult

    @property
    def levels(self) -> ProtectionLevels:
        """The scenario's levels with the recommended ones in place: give them to the policy
        (``policy.options.protection``, or :meth:`ScenarioWhatIf.with_protection`)."""
        merged = dict(self.existing.levels)
        merged.update(self.chosen)
        return ProtectionLevels(merged, self.existing.default)

    def levels_table(self) -> pd.DataFrame:
        """``depot_id, part_number, level``: the table a policy file's ``protection.levels``
        reads (every listed shelf; the default stays the scenario's)."""
        rows = [{"depot_id": d, "part_number": p, "level": v} for d, p, v in self.levels]
        return pd.DataFrame(rows, columns=["depot_id", "part_number", "level"])

    def write_levels(self, path: str | Path) -> Path:
        """Write :meth:`levels_table` as CSV (atomically); returns the path."""
        target = Path(path)
        table = self.levels_table()
        atomic_write(target, lambda p: table.to_csv(p, index=False, lineterminator="\n"))
        return target

    def to_pandas(self) -> pd.DataFrame:
        """Per shelf tried: its level before and recommended, the parts-priority orders that
        waited there in the baseline, the mean downtime of its parts-priority and standard
        orders before → after, standard orders not filled on arrival before → after (per
        replication), and the units on the shelf and held under the level (time averages)."""
        return _shelf_table(self)

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Per class and KPI: baseline, with the levels, and the paired change (with its
        confidence interval) — the downtime the levels buy, and what they cost."""
        by = "priority_class"
        base = summarize(self.baseline.kpis(by), by, level).set_index([by, "kpi"])
        after = summarize(self.recommended.kpis(by), by, level).set_index([by, "kpi"])
        change = paired_difference(
            self.baseline.kpis(by), self.recommended.kpis(by), by, level
        ).set_index([by, "kpi"])
        table = pd.DataFrame(
            {
                "baseline": base["mean"],
                "recommended": after["mean"],
                "change": change["mean"],
                "ci_low": change["ci_low"],
                "ci_high": change["ci_high"],
            }
        ).reset_index()
        table = table[table["kpi"].isin(REPORTED_KPIS)]
        table["kpi"] = pd.Categorical(table["kpi"], REPORTED_KPIS)
        return table.sort_values([by, "kpi"]).reset_index(drop=True).astype({"kpi": str})

    def trial_table(self) -> pd.DataFrame:
        """Every assignment simulated: ``round``, the shelf varied and its ``level`` (blank
        for the baseline), the ``assignment`` in words, each class's mean downtime and its
        interval, the paired change from the baseline, ``feasible`` under the rule, the
        ``score`` the rule minimises, and whether the step kept that level (``kept``)."""
        return self.trials.copy()

    def plot(self) -> Figure:
        """Per shelf, each class's mean downtime at every level tried, the choice marked."""
        rows = []
        for row in self.trials.dropna(subset=["depot_id"]).itertuples(index=False):
            for klass, prefix in (("parts_priority", "pp"), ("standard", "std")):
                rows.append(
                    {
                        "round": row.round,
                        "depot_id": row.depot_id,
                        "part_number": row.part_number,
                        "level": row.level,
                        "priority_class": klass,
                        "mean": getattr(row, f"{prefix}_mean"),
                        "ci_low": getattr(row, f"{prefix}_ci_low"),
                        "ci_high": getattr(row, f"{prefix}_ci_high"),
                    }
                )
        curves = pd.DataFrame(
            rows,
            columns=[*_CURVE_COLUMNS],
        )
        last = curves.groupby(["depot_id", "part_number"])["round"].transform("max")
        curves = curves[curves["round"] == last]
        about = ChartContext(self.scenario, (self.baseline.strategy,), self.baseline.replications)
        return levels_chart(curves, dict(self.chosen), about=about)

    def document(self, level: float = 0.95) -> dict[str, Any]:
        """The JSON document ``parts-priority protect SCENARIO --json`` prints."""
        return {
            "command": "protect",
            "scenario": self.scenario,
            "rule": self.rule,
            "replications": self.baseline.replications,
            "seed": self.baseline.seed,
            "levels": _records(self.levels_table()),
            "default": self.existing.default,
            "by_class": _records(self.summary(level)),
            "shelves": _records(self.to_pandas()),
            "trials": _records(self.trials),
        }

    def _repr_html_(self) -> str:
        shelves = self.to_pandas()
        return html_block(
            f"Protection levels for {self.scenario}",
            [
                html_table(self.summary(), "what the levels buy and cost, per class"),
                html_table(shelves, "per shelf"),
            ],
            [self.rule, f"{len(self.trials):,} assignment(s) simulated"],
        )

    def __repr__(self) -> str:
        chosen = ", ".join(f"{p}@{d}={v}" for (d, p), v in sorted(self.chosen.items()))
        return f"ProtectionRecommendation({self.scenario}: {chosen or 'no shelf to protect'})"


def _shelf_table(rec: ProtectionRecommendation) -> pd.DataFrame:
    columns = ["depot_id", "part_number", "baseline_level", "level", "orders_waiting"]
    columns += ["waiting_hours", "pp_downtime_before", "pp_downtime_after"]
    columns += ["standard_downtime_before", "standard_downtime_after"]
    columns += ["standard_waiting_before", "standard_waiting_after", "mean_on_hand", "mean_held"]
    if not rec.chosen:
        return pd.DataFrame(columns=columns)
    before, after = shelf_orders(rec.baseline), shelf_orders(rec.recommended)
    stock = shelf_stock(rec.recommended.records, dict(rec.chosen))
    stock = stock.groupby(["depot_id", "part_number"])[["mean_on_hand", "mean_held"]].mean()
    replications = max(rec.baseline.replications, 1)
    waiting = rec.candidates.set_index(["depot_id", "part_number"])
    rows = []
    for (depot, part), level in rec.chosen.items():
        row: dict[str, Any] = {
            "depot_id": depot,
            "part_number": part,
            "baseline_level": rec.existing.level(depot, part),
            "level": level,
            "orders_waiting": waiting.at[(depot, part), "orders_waiting"],
            "waiting_hours": waiting.at[(depot, part), "waiting_hours"],
        }
        for name, table in (("before", before), ("after", after)):
            mine = table[(table["depot_id"] == depot) & (table["part_number"].astype(str) == part)]
            klass = mine["priority_class"].astype(str)
            row[f"pp_downtime_{name}"] = _mean(
                mine.loc[klass == "parts_priority", "downtime_hours"]
            )
            standard = mine[klass == "standard"]
            row[f"standard_downtime_{name}"] = _mean(standard["downtime_hours"])
            row[f"standard_waiting_{name}"] = (~standard["filled_on_arrival"]).sum() / replications
        for column in ("mean_on_hand", "mean_held"):
            row[column] = float(stock.loc[(depot, part), column])  # type: ignore[arg-type]
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def _mean(values: pd.Series) -> float:
    return float(values.mean()) if len(values) else float("nan")


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in table.to_dict("records"):
        out.append({str(k): _plain(v) for k, v in row.items()})
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else round(float(value), 4)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value
