"""Which charts each command saves with ``--plots``, by file name.

- ``simulate``: ``downtime_ecdf``, ``backorders``, ``cost_by_source``.
- ``compare``: ``comparison`` (mean downtime per class and policy, with intervals),
  ``comparison_within_target``, ``downtime_ecdf`` (every policy × class on one chart), and
  each policy's ``<policy>_backorders`` and ``<policy>_cost_by_source``.
- ``sweep``: ``sweep`` (mean downtime per class along the grid) and ``sweep_within_target``.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from simulation.entrypoints.output import interval_summary
from simulation.plots import (
    backorders_chart,
    comparison_chart,
    cost_chart,
    downtime_ecdf,
    sweep_chart,
)
from simulation.results import Comparison, SimulationResult, SweepResult

__all__ = ["comparison_figures", "simulation_figures", "sweep_figures"]


def simulation_figures(result: SimulationResult) -> dict[str, Figure]:
    """The charts of one run."""
    return {
        "downtime_ecdf": downtime_ecdf(
            result.outcomes,
            log_x=True,
            target_hours=result.scenario.target_hours,
            count_labels=True,
        ),
        "backorders": _backorders(result),
        "cost_by_source": cost_chart(result.costs()),
    }


def _backorders(result: SimulationResult) -> Figure:
    scenario = result.scenario
    windows = [
        (d.start_day * 24.0, d.end_day * 24.0, d.name or d.kind.replace("_", " "))
        for d in scenario.disruptions
    ]
    return backorders_chart(result.backorders(), windows, scenario.horizon_days * 24.0)


def comparison_figures(comparison: Comparison) -> dict[str, Figure]:
    """The charts of a policy comparison."""
    summaries = {
        name: interval_summary(result, "priority_class", 0.95)
        for name, result in comparison.results.items()
    }
    first = next(iter(comparison.results.values()))
    pooled = pd.concat(
        [result.outcomes.assign(policy=name) for name, result in comparison.results.items()],
        ignore_index=True,
    )
    figures = {
        "comparison": comparison_chart(summaries, "mean_downtime_hours"),
        "comparison_within_target": comparison_chart(summaries, "within_target"),
        "downtime_ecdf": downtime_ecdf(
            pooled,
            log_x=True,
            target_hours=first.scenario.target_hours,
            by="policy",
            dash_by="priority_class",
            count_labels=True,
        ),
    }
    for name, result in comparison.results.items():
        figures[f"{name}_backorders"] = _backorders(result)
        figures[f"{name}_cost_by_source"] = cost_chart(result.costs())
    return figures


def sweep_figures(sweep: SweepResult) -> dict[str, Figure]:
    """The charts of a sweep."""
    labels = [
        ", ".join(f"{field}={value}" for field, value in overrides.items())
        for overrides, _ in sweep.points
    ]
    summaries = [interval_summary(result, "priority_class", 0.95) for _, result in sweep.points]
    return {
        "sweep": sweep_chart(labels, summaries, "mean_downtime_hours"),
        "sweep_within_target": sweep_chart(labels, summaries, "within_target"),
    }
