"""Charts of a simulated run and of a policy comparison, as matplotlib figures.

Each function takes a table from :mod:`simulation.metrics` or :mod:`simulation.stats` and
returns a :class:`matplotlib.figure.Figure` drawn on the Agg canvas: nothing goes through
pyplot, so no window opens, no global figure list grows, and replications plotted in worker
processes do not interfere. :func:`write_plots` saves them as PNG files, atomically, so a
folder of plots never holds half an image.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from allocation.adapters.files import atomic_write
from simulation.metrics import ALL_GROUP
from simulation.stats import SUMMARY_COLUMNS

__all__ = [
    "backorders_chart",
    "comparison_chart",
    "cost_chart",
    "downtime_ecdf",
    "write_plots",
]

_SIZE = (8.0, 4.5)
_DPI = 100


def downtime_ecdf(
    outcomes: pd.DataFrame,
    *,
    log_x: bool = False,
    target_hours: float | None = None,
    by: str = "priority_class",
) -> Figure:
    """The share of orders restored within ``x`` hours, one line per priority class.

    The whole distribution shows what a mean hides: a class can have a good mean and a long
    tail of customers down for weeks. All replications are pooled. Censored orders (never
    restored) count with their downtime up to the end of the run, a lower bound.

    Parameters
    ----------
    outcomes : DataFrame
        From :func:`simulation.metrics.order_outcomes`.
    log_x : bool
        A logarithmic hours axis, for tails spanning hours to months. Orders with no
        downtime at all, which a log axis cannot place at zero, sit at its left edge.
    target_hours : float, optional
        Draws the downtime target as a vertical line.
    by : str
        The column whose values get a line each.

    Examples
    --------
    >>> outcomes = pd.DataFrame({"priority_class": ["standard", "standard", "parts_priority"],
    ...                          "downtime_hours": [30.0, 80.0, 12.0]})
    >>> figure = downtime_ecdf(outcomes, target_hours=48.0)
    >>> [line.get_label() for line in figure.axes[0].get_lines()][:2]
    ['parts_priority', 'standard']
    """
    figure, axes = _figure()
    groups = _groups(outcomes, by)
    positive = outcomes["downtime_hours"].to_numpy(np.float64)
    positive = positive[positive > 0]
    floor = min(float(positive.min()), 1.0) / 2 if len(positive) else 0.5
    for name, group in groups:
        hours = np.sort(group["downtime_hours"].to_numpy(np.float64))
        if log_x:
            hours = np.maximum(hours, floor)
        # The curve starts at zero at the shortest downtime and climbs to one.
        share = np.arange(len(hours) + 1) / len(hours)
        axes.step(np.concatenate((hours[:1], hours)), share, where="post", label=name)
    if target_hours is not None:
        axes.axvline(target_hours, color="grey", linestyle="--", linewidth=1, label="target")
    if log_x:
        axes.set_xscale("log")
    axes.set_ylim(0.0, 1.0)
    _finish(axes, "Downtime per order", "downtime (hours)", "share of orders restored")
    return figure


def backorders_chart(series: pd.DataFrame) -> Figure:
    """Orders waiting for units over time, the mean over replications, one line per group.

    A disruption shows as a hump: how high it rises and how fast it drains is what a planner
    reads off this chart.

    Parameters
    ----------
    series : DataFrame
        From :func:`simulation.metrics.backorders_over_time` (any single group column).

    Examples
    --------
    >>> series = pd.DataFrame({"replication": [0, 0, 1, 1], "priority_class": ["standard"] * 4,
    ...                        "time": [0.0, 24.0, 0.0, 24.0], "backorders": [0, 4, 2, 6]})
    >>> line = backorders_chart(series).axes[0].get_lines()[0]
    >>> line.get_ydata().tolist()
    [1.0, 5.0]
    """
    figure, axes = _figure()
    column = _group_column(series, ("replication", "time", "backorders"))
    for name, group in _groups(series, column):
        mean = group.groupby("time", sort=True)["backorders"].mean()
        axes.plot(mean.index.to_numpy(np.float64) / 24.0, mean.to_numpy(np.float64), label=name)
    axes.set_ylim(bottom=0)
    _finish(axes, "Backorders (mean over replications)", "days since start", "orders waiting")
    return figure


def cost_chart(costs: pd.DataFrame) -> Figure:
    """Money and units per source kind, the mean per replication, side by side.

    Special means (transfer, expedite, broker) are what a priority policy spends to cut
    downtime; this is the bill.

    Parameters
    ----------
    costs : DataFrame
        From :func:`simulation.metrics.cost_by_source`.

    Examples
    --------
    >>> costs = pd.DataFrame({"replication": [0, 0], "source_kind": ["stock", "broker"],
    ...                       "units": [10, 2], "money": [100.0, 90.0]})
    >>> [float(bar.get_height()) for bar in cost_chart(costs).axes[0].patches]
    [100.0, 90.0]
    """
    figure = _new_figure()
    money_axes, units_axes = figure.subplots(1, 2)
    replications = max(costs["replication"].nunique(), 1)
    totals = costs.groupby("source_kind", observed=True, sort=False)[["money", "units"]].sum()
    kinds = [str(kind) for kind in totals.index]
    for axes, column, label in (
        (money_axes, "money", "money per replication"),
        (units_axes, "units", "units per replication"),
    ):
        axes.bar(kinds, totals[column].to_numpy(np.float64) / replications, color="tab:blue")
        axes.set_title(label)
        axes.tick_params(axis="x", labelrotation=30)
        if not kinds:
            _no_data(axes)
    figure.suptitle("Allocations by source kind (net of failed purchases)")
    figure.tight_layout()
    return figure


def comparison_chart(
    per_policy: Mapping[str, pd.DataFrame], kpi: str = "mean_downtime_hours"
) -> Figure:
    """One KPI per group for each policy, as grouped bars with their confidence intervals.

    Parameters
    ----------
    per_policy : mapping of str to DataFrame
        Policy name → its summary from :func:`simulation.stats.summarize` (grouped by priority
        class, usually). Bars keep the mapping's order.
    kpi : str
        The KPI to draw; mean downtime by default.

    Examples
    --------
    >>> def summary(mean):
    ...     return pd.DataFrame({"priority_class": ["parts_priority", "standard"],
    ...                          "kpi": "mean_downtime_hours", "replications": 5,
    ...                          "mean": mean, "ci_low": [m - 1 for m in mean],
    ...                          "ci_high": [m + 1 for m in mean]})
    >>> figure = comparison_chart({"optimal": summary([10.0, 50.0]), "fifo": summary([30.0, 40.0])})
    >>> [float(bar.get_height()) for bar in figure.axes[0].patches]
    [10.0, 50.0, 30.0, 40.0]
    """
    figure, axes = _figure()
    rows = {
        policy: summary.loc[summary["kpi"] == kpi].reset_index(drop=True)
        for policy, summary in per_policy.items()
    }
    groups: list[str] = []
    for summary in rows.values():
        groups.extend(name for name in _labels(summary) if name not in groups)
    width = 0.8 / max(len(rows), 1)
    for index, (policy, summary) in enumerate(rows.items()):
        position = dict(zip(_labels(summary), range(len(summary)), strict=True))
        present = [name for name in groups if name in position]
        picked = summary.iloc[[position[name] for name in present]]
        mean = picked["mean"].to_numpy(np.float64)
        errors = np.vstack(
            (
                mean - picked["ci_low"].to_numpy(np.float64),
                picked["ci_high"].to_numpy(np.float64) - mean,
            )
        )
        x = np.array([groups.index(name) for name in present], dtype=np.float64)
        axes.bar(
            x + (index - (len(rows) - 1) / 2) * width,
            mean,
            width,
            yerr=np.nan_to_num(errors),
            capsize=3,
            label=policy,
        )
    axes.set_xticks(np.arange(len(groups)), groups)
    _finish(axes, f"{kpi} by policy (bars: mean, whiskers: confidence interval)", "", kpi)
    return figure


def write_plots(figures: Mapping[str, Figure], folder: str | Path) -> list[Path]:
    """Save each figure as ``<folder>/<name>.png``, creating the folder; return the paths.

    Each file is written under a temporary name beside its target and renamed over it only
    when complete, so a failure (a full disk, an unwritable folder) leaves the previous file
    or none, never a half-written image.

    Examples
    --------
    >>> import tempfile
    >>> outcomes = pd.DataFrame({"priority_class": ["standard"], "downtime_hours": [5.0]})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = write_plots({"downtime": downtime_ecdf(outcomes)}, Path(folder) / "plots")
    ...     [path.name for path in paths], paths[0].stat().st_size > 0
    (['downtime.png'], True)
    """
    target = Path(folder)
    for name in figures:
        if not name or Path(name).name != name or name in (".", ".."):
            raise ValueError(f"plot name {name!r} must be a plain file name, without folders")
    target.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, figure in figures.items():
        path = target / (name if name.endswith(".png") else f"{name}.png")
        atomic_write(path, _saver(figure))
        paths.append(path)
    return paths


def _saver(figure: Figure) -> Callable[[Path], None]:
    def save(path: Path) -> None:
        figure.savefig(path, format="png")

    return save


def _new_figure() -> Figure:
    figure = Figure(figsize=_SIZE, dpi=_DPI)
    FigureCanvasAgg(figure)
    return figure


def _figure() -> tuple[Figure, Axes]:
    figure = _new_figure()
    return figure, figure.add_subplot()


def _finish(axes: Axes, title: str, xlabel: str, ylabel: str) -> None:
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(True, alpha=0.3)
    if axes.get_legend_handles_labels()[0]:
        axes.legend()
    else:
        _no_data(axes)
    figure = axes.get_figure()
    if isinstance(figure, Figure):
        figure.tight_layout()


def _no_data(axes: Axes) -> None:
    axes.text(0.5, 0.5, "no data", ha="center", va="center", transform=axes.transAxes)


def _groups(frame: pd.DataFrame, column: str) -> list[tuple[str, pd.DataFrame]]:
    """The frame split by ``column``, in sorted order, names as text (missing: ``unknown``)."""
    if frame.empty:
        return []
    keys = frame[column].astype(object).where(frame[column].notna(), "unknown").astype(str)
    return [(str(name), group) for name, group in frame.groupby(keys.to_numpy(), sort=True)]


def _group_column(frame: pd.DataFrame, known: Sequence[str]) -> str:
    others = [name for name in frame.columns if name not in known]
    if len(others) != 1:
        raise ValueError(f"expected one group column besides {list(known)}, found {others}")
    return str(others[0])


def _labels(summary: pd.DataFrame) -> list[str]:
    """Each summary row's group as text, several group columns joined with ``/``."""
    columns = [name for name in summary.columns if name not in SUMMARY_COLUMNS]
    if not columns:
        return [ALL_GROUP] * len(summary)
    text = summary[columns].astype(object).where(summary[columns].notna(), "unknown").astype(str)
    return ["/".join(values) for values in text.itertuples(index=False, name=None)]
