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
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter, PercentFormatter

from allocation.adapters import atomic_write
from simulation.figure import new_figure
from simulation.metrics import ALL_GROUP
from simulation.stats import SUMMARY_COLUMNS

__all__ = [
    "backorders_chart",
    "comparison_chart",
    "cost_chart",
    "downtime_ecdf",
    "sweep_chart",
    "write_plots",
]

_SIZE = (8.0, 4.5)
_DPI = 100
_DURATION_TICKS = (1, 2, 4, 8, 12, 24, 48, 72, 168, 336, 720, 1440, 2160, 4320, 8760)
_KIND_COLOURS = {
    "stock": "tab:blue",
    "transfer": "tab:cyan",
    "inbound": "tab:green",
    "expedite": "tab:orange",
    "broker": "tab:red",
}
_DASHES = ("-", "--", ":", "-.")
_WINDOW_COLOURS = ("tab:red", "tab:purple", "tab:brown", "tab:olive")
_KPI_LABELS = {
    "mean_downtime_hours": "mean downtime (hours)",
    "p90_downtime_hours": "90th percentile of downtime (hours)",
    "within_target": "share restored within the target",
    "fill_rate": "share filled from stock on arrival",
    "orders": "orders",
}


def downtime_ecdf(
    outcomes: pd.DataFrame,
    *,
    log_x: bool = False,
    target_hours: float | None = None,
    by: str = "priority_class",
    count_labels: bool = False,
    dash_by: str | None = None,
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
    count_labels : bool
        Put each line's number of orders in its legend label.
    dash_by : str, optional
        A second column: one line per pair of values, the colour from ``by`` and the line
        style from ``dash_by`` (a policy comparison: colour per policy, dashes per class).

    Examples
    --------
    >>> outcomes = pd.DataFrame({"priority_class": ["standard", "standard", "parts_priority"],
    ...                          "downtime_hours": [30.0, 80.0, 12.0]})
    >>> figure = downtime_ecdf(outcomes, target_hours=48.0)
    >>> [line.get_label() for line in figure.axes[0].get_lines()][:2]
    ['parts_priority', 'standard']
    """
    figure, axes = _figure()
    positive = outcomes["downtime_hours"].to_numpy(np.float64)
    positive = positive[positive > 0]
    floor = min(float(positive.min()), 1.0) / 2 if len(positive) else 0.5
    colours: dict[str, str] = {}
    for colour_key, colour_group in _groups(outcomes, by):
        colour = colours.setdefault(colour_key, f"C{len(colours) % 10}")
        parts = _groups(colour_group, dash_by) if dash_by else [("", colour_group)]
        for index, (dash_key, group) in enumerate(parts):
            name = f"{colour_key} / {dash_key}" if dash_by else colour_key
            hours = np.sort(group["downtime_hours"].to_numpy(np.float64))
            if log_x:
                hours = np.maximum(hours, floor)
            # The curve starts at zero at the shortest downtime and climbs to one.
            share = np.arange(len(hours) + 1) / len(hours)
            axes.step(
                np.concatenate((hours[:1], hours)),
                share,
                where="post",
                label=f"{name} ({len(hours):,} orders)" if count_labels else name,
                linewidth=1.8,
                color=colour,
                linestyle=_DASHES[index % len(_DASHES)],
            )
    if target_hours is not None:
        axes.axvline(
            target_hours,
            color="grey",
            linestyle="--",
            linewidth=1,
            label=f"target ({target_hours:g} h)",
        )
    if log_x:
        axes.set_xscale("log")
        _duration_ticks(axes)
    axes.set_ylim(0.0, 1.0)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    _finish(
        axes,
        "Downtime per order: share of orders restored within a given time",
        "downtime (unit down → part arrived and repaired)",
        "orders restored",
        legend="lower right",
    )
    return figure


def backorders_chart(
    series: pd.DataFrame,
    windows: Sequence[tuple[float, float, str]] = (),
    horizon_hours: float | None = None,
) -> Figure:
    """Orders waiting for units over time, the mean over replications, one line per group.

    A disruption shows as a hump: how high it rises and how fast it drains is what a planner
    reads off this chart, so the disruptions' windows are shaded behind the lines.

    Parameters
    ----------
    series : DataFrame
        From :func:`simulation.metrics.backorders_over_time` (any single group column).
    windows : sequence of (start hours, end hours, label)
        Disruption windows to shade.
    horizon_hours : float, optional
        When orders stop arriving (the rest of the run drains the backlog): a dotted line.

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
        axes.plot(
            mean.index.to_numpy(np.float64) / 24.0,
            mean.to_numpy(np.float64),
            label=name,
            linewidth=1.8,
        )
    if horizon_hours is not None:
        axes.axvline(
            horizon_hours / 24.0, color="grey", linestyle=":", linewidth=1, label="arrivals stop"
        )
    _window_bands(axes, windows)
    _finish(
        axes,
        "Orders waiting for parts (mean over replications)",
        "days since start",
        "orders waiting",
        legend="below",
    )
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
    colours = [_KIND_COLOURS.get(kind, "tab:gray") for kind in kinds]
    for axes, column, label in (
        (money_axes, "money", "money per replication"),
        (units_axes, "units", "units per replication"),
    ):
        bars = axes.bar(kinds, totals[column].to_numpy(np.float64) / replications, color=colours)
        axes.bar_label(bars, fmt="{:,.0f}", padding=2, fontsize=8)
        axes.margins(y=0.12)
        axes.set_title(label)
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        axes.grid(True, axis="y", alpha=0.3)
        if not kinds:
            _no_data(axes)
    figure.suptitle("What the allocations took, by source kind (net of failed purchases)")
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
        bars = axes.bar(
            x + (index - (len(rows) - 1) / 2) * width,
            mean,
            width,
            yerr=np.nan_to_num(errors),
            capsize=3,
            label=policy,
        )
        share = kpi in ("within_target", "fill_rate", "restored_share")
        axes.bar_label(
            bars, fmt="{:.0%}" if share else "{:,.0f}", padding=2, fontsize=8, label_type="center"
        )
    axes.set_xticks(np.arange(len(groups)), groups)
    if kpi in ("within_target", "fill_rate", "restored_share"):
        axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    label = _KPI_LABELS.get(kpi, kpi)
    _finish(axes, f"{label} per policy (whiskers: confidence interval)", "", label)
    return figure


def sweep_chart(
    labels: Sequence[str], summaries: Sequence[pd.DataFrame], kpi: str = "mean_downtime_hours"
) -> Figure:
    """One KPI along the points of a sweep, one line per group, whiskers for the intervals.

    Parameters
    ----------
    labels : sequence of str
        Each point's name (its field values), in grid order: the x axis.
    summaries : sequence of DataFrame
        Each point's summary from :func:`simulation.stats.summarize`, same order.
    kpi : str
        The KPI to draw; mean downtime by default.

    Examples
    --------
    >>> def summary(mean):
    ...     return pd.DataFrame({"priority_class": ["parts_priority", "standard"],
    ...                          "kpi": "mean_downtime_hours", "replications": 2,
    ...                          "mean": mean, "ci_low": mean, "ci_high": mean})
    >>> figure = sweep_chart(["rate=20", "rate=40"], [summary([5.0, 9.0]), summary([6.0, 30.0])])
    >>> [bars.lines[0].get_ydata().tolist() for bars in figure.axes[0].containers]
    [[5.0, 6.0], [9.0, 30.0]]
    """
    if len(labels) != len(summaries):
        raise ValueError(f"{len(labels)} labels for {len(summaries)} summaries")
    figure, axes = _figure()
    rows = [summary.loc[summary["kpi"] == kpi].reset_index(drop=True) for summary in summaries]
    groups: list[str] = []
    for summary in rows:
        groups.extend(name for name in _labels(summary) if name not in groups)
    x = np.arange(len(labels), dtype=np.float64)
    for group in sorted(groups):
        mean, low, high = (np.full(len(labels), np.nan) for _ in range(3))
        for index, summary in enumerate(rows):
            where = [i for i, name in enumerate(_labels(summary)) if name == group]
            if where:
                row = summary.iloc[where[0]]
                mean[index], low[index], high[index] = row["mean"], row["ci_low"], row["ci_high"]
        errors = np.nan_to_num(np.vstack((mean - low, high - mean)))
        axes.errorbar(x, mean, yerr=errors, marker="o", capsize=3, label=group)
    axes.set_xticks(x, list(labels))
    if max((len(label) for label in labels), default=0) > 12:
        axes.tick_params(axis="x", labelrotation=20)
    axes.set_ylim(bottom=0)
    _finish(axes, f"{_KPI_LABELS.get(kpi, kpi)} across the sweep", "", _KPI_LABELS.get(kpi, kpi))
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
    return new_figure(_SIZE, _DPI)


def _figure() -> tuple[Figure, Axes]:
    figure = _new_figure()
    return figure, figure.add_subplot()


def _finish(
    axes: Axes,
    title: str,
    xlabel: str,
    ylabel: str,
    legend: Literal["best", "upper right", "lower right", "below"] = "best",
) -> None:
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(True, alpha=0.3)
    handles = axes.get_legend_handles_labels()[0]
    if handles and legend == "below":
        # Under the axes, so that it hides neither the lines nor the labelled bands above them.
        axes.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=min(len(handles), 4), fontsize=9
        )
    elif handles and legend != "below":
        axes.legend(loc=legend, fontsize=9)
    else:
        _no_data(axes)
    figure = axes.get_figure()
    if isinstance(figure, Figure):
        figure.tight_layout()


def _window_bands(axes: Axes, windows: Sequence[tuple[float, float, str]]) -> None:
    """Disruption windows as labelled bands, one row each, above the lines' highest point;
    clipped to the period the lines cover."""
    lines = [line for line in axes.get_lines() if len(np.asarray(line.get_xdata()))]
    top = max((float(np.nanmax(np.asarray(line.get_ydata()))) for line in lines), default=0.0)
    top = max(top, 1.0)
    end = max((float(np.nanmax(np.asarray(line.get_xdata()))) for line in lines), default=None)
    shown = [(low, high, label) for low, high, label in windows if end is None or low / 24 < end]
    row = 0.07 * top
    axes.set_ylim(0.0, top * 1.08 + row * len(shown))
    for index, (low, high, label) in enumerate(shown):
        start, stop = low / 24.0, high / 24.0 if end is None else min(high / 24.0, end)
        base = top * 1.06 + row * index
        colour = _WINDOW_COLOURS[index % len(_WINDOW_COLOURS)]
        axes.axvspan(start, stop, color=colour, alpha=0.06, linewidth=0)
        axes.fill_between(
            [start, stop], base, base + row * 0.8, color=colour, alpha=0.35, linewidth=0
        )
        axes.text(
            start, base + row * 0.4, f" {label}", va="center", ha="left", fontsize=8, clip_on=True
        )


def _duration_ticks(axes: Axes) -> None:
    """Ticks a planner reads on a log hours axis: 1 h, 4 h, 12 h, 1 d, 2 d, 1 wk, 30 d..."""
    low, high = axes.get_xlim()
    ticks = [t for t in _DURATION_TICKS if low <= t <= high]
    if len(ticks) >= 2:
        axes.set_xticks(ticks, [_duration(t) for t in ticks])
        axes.xaxis.set_minor_formatter(NullFormatter())


def _duration(hours: float) -> str:
    if hours < 24:
        return f"{hours:g} h"
    if hours % 168 == 0 and hours < 720:
        return f"{hours / 168:g} wk"
    return f"{hours / 24:g} d"


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
