"""Charts of a simulated run, a policy comparison and a sweep, as matplotlib figures.

Each function takes a table from :mod:`simulation.metrics` or :mod:`simulation.stats` and
returns a :class:`matplotlib.figure.Figure` drawn on the Agg canvas: nothing goes through
pyplot, so no window opens, no global figure list grows, and replications plotted in worker
processes do not interfere. :func:`write_plots` saves them as PNG files, atomically, so a
folder of plots never holds half an image.

Every chart says what it shows: a headline, and under it the run it comes from when it is
given one (``about``, a :class:`simulation.figure.ChartContext`: scenario, policies,
replications, the confidence level of its error bars, the currency of its money). Groups
carry their planners' names ("Parts priority", "Standard"), not the tables' keys.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter, PercentFormatter
from matplotlib.transforms import ScaledTranslation

from allocation.adapters import atomic_write
from simulation.figure import (
    ChartContext,
    group_name,
    new_figure,
    new_panels,
    short_field_names,
    title_chart,
)
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
_FINER_TICKS = (6, 18, 30, 36, 96, 120, 240, 480, 1080)  # for a short range of downtimes
_KIND_COLOURS = {
    "stock": "tab:blue",
    "transfer": "tab:cyan",
    "inbound": "tab:green",
    "expedite": "tab:orange",
    "broker": "tab:red",
}
# One look per line, so that lines drawn over each other all stay visible: the first is the
# widest and lowest, each next one narrower, on top, dashed and marked differently.
_DASHES = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "^", "D", "v", "P")
_WINDOW_COLOURS = ("tab:red", "tab:purple", "tab:brown", "tab:olive")
_SHARE_KPIS = ("within_target", "fill_rate", "restored_share")
_KPI_LABELS = {
    "mean_downtime_hours": "mean downtime (hours)",
    "p90_downtime_hours": "90th percentile of downtime (hours)",
    "within_target": "share restored within the target",
    "fill_rate": "share filled from stock on arrival",
    "orders": "orders",
}

Legend = Literal["best", "upper right", "lower right", "below", "right"]


def downtime_ecdf(
    outcomes: pd.DataFrame,
    *,
    log_x: bool = False,
    target_hours: float | None = None,
    by: str = "priority_class",
    count_labels: bool = False,
    dash_by: str | None = None,
    panel_by: str | None = None,
    about: ChartContext | None = None,
) -> Figure:
    """The share of orders restored within ``x`` hours, one line per priority class.

    The whole distribution shows what a mean hides: a class can have a good mean and a long
    tail of customers down for weeks. All replications are pooled. Censored orders (never
    restored) count with their downtime up to the end of the run, a lower bound. Each line
    has its own colour, dashes and markers, and the first is the widest, so that lines on
    top of each other (two policies that treat a class alike) all show.

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
        style from ``dash_by``.
    panel_by : str, optional
        A column whose values get a panel each, side by side on one downtime scale (a
        policy comparison: a panel per class, a line per policy).
    about : ChartContext, optional
        The run, named under the headline.

    Examples
    --------
    >>> outcomes = pd.DataFrame({"priority_class": ["standard", "standard", "parts_priority"],
    ...                          "downtime_hours": [30.0, 80.0, 12.0]})
    >>> figure = downtime_ecdf(outcomes, target_hours=48.0)
    >>> [line.get_label() for line in figure.axes[0].get_lines()][:2]
    ['Parts priority', 'Standard']
    """
    headline = "Downtime per order: share of orders restored within a given time"
    subtitle = about.subtitle() if about else ""
    panels = _groups(outcomes, panel_by) if panel_by else [("", outcomes)]
    figure: Figure
    if panel_by and len(panels) > 1:
        size = (min(4.6 * len(panels), 14.0), 5.0)
        figure, grid = new_panels(size, len(panels), len(panels), headline, subtitle, share=True)
    else:
        figure, axes = _figure()
        grid = [axes]
        title_chart(axes, headline, subtitle)
    positive = outcomes["downtime_hours"].to_numpy(np.float64)
    positive = positive[positive > 0]
    floor = min(float(positive.min()), 1.0) / 2 if len(positive) else 0.5
    styles = {key: index for index, (key, _) in enumerate(_groups(outcomes, by))}
    for axes, (panel_key, panel) in zip(grid, panels, strict=False):
        for colour_key, colour_group in _groups(panel, by):
            style = styles[colour_key]
            parts = _groups(colour_group, dash_by) if dash_by else [("", colour_group)]
            for index, (dash_key, group) in enumerate(parts):
                name = group_name(by, colour_key)
                if dash_by:
                    name = f"{name} / {group_name(dash_by, dash_key)}"
                hours = np.sort(group["downtime_hours"].to_numpy(np.float64))
                if log_x:
                    hours = np.maximum(hours, floor)
                # The curve starts at zero at the shortest downtime and climbs to one.
                share = np.arange(len(hours) + 1) / len(hours)
                look = style * max(len(parts), 1) + index
                axes.step(
                    np.concatenate((hours[:1], hours)),
                    share,
                    where="post",
                    label=f"{name} ({len(hours):,} orders)" if count_labels else name,
                    color=f"C{style % 10}",
                    linestyle=_DASHES[(index if dash_by else style) % len(_DASHES)],
                    marker=_MARKERS[look % len(_MARKERS)],
                    markersize=5,
                    markevery=(0.02 + 0.025 * (look % 4), 0.12),
                    linewidth=max(2.8 - 0.6 * look, 1.2),
                    alpha=0.9,
                    zorder=2 + look,
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
        axes.set_ylim(0.0, 1.0)
        axes.yaxis.set_major_formatter(PercentFormatter(1.0))
        if len(grid) > 1:
            axes.set_title(group_name(panel_by, panel_key), fontsize=11)
        _finish(
            axes,
            "downtime (unit down → part arrived and repaired)",
            "orders restored" if axes is grid[0] else "",
            legend="lower right",
        )
    if log_x:
        for axes in grid:
            _duration_ticks(axes)
    return figure


def backorders_chart(
    series: pd.DataFrame,
    windows: Sequence[tuple[float, float, str]] = (),
    horizon_hours: float | None = None,
    *,
    about: ChartContext | None = None,
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
    about : ChartContext, optional
        The run, named under the headline.

    Examples
    --------
    >>> series = pd.DataFrame({"replication": [0, 0, 1, 1], "priority_class": ["standard"] * 4,
    ...                        "time": [0.0, 24.0, 0.0, 24.0], "backorders": [0, 4, 2, 6]})
    >>> line = backorders_chart(series).axes[0].get_lines()[0]
    >>> line.get_label(), line.get_ydata().tolist()
    ('Standard', [1.0, 5.0])
    """
    figure, axes = _figure()
    column = _group_column(series, ("replication", "time", "backorders"))
    for index, (name, group) in enumerate(_groups(series, column)):
        mean = group.groupby("time", sort=True)["backorders"].mean()
        axes.plot(
            mean.index.to_numpy(np.float64) / 24.0,
            mean.to_numpy(np.float64),
            label=group_name(column, name),
            linewidth=1.8,
            linestyle=_DASHES[index % len(_DASHES)],
        )
    if horizon_hours is not None:
        axes.axvline(
            horizon_hours / 24.0, color="grey", linestyle=":", linewidth=1, label="arrivals stop"
        )
    _window_bands(axes, windows)
    title_chart(
        axes,
        "Orders waiting for parts (mean over replications)",
        about.subtitle() if about else "",
    )
    _finish(axes, "days since start", "orders waiting", legend="below")
    return figure


def cost_chart(costs: pd.DataFrame, *, about: ChartContext | None = None) -> Figure:
    """Money and units per source kind, the mean per replication, side by side.

    Special means (transfer, expedite, broker) are what a priority policy spends to cut
    downtime; this is the bill, in the scenario's currency (``about.currency``; USD when
    no context is given).

    Parameters
    ----------
    costs : DataFrame
        From :func:`simulation.metrics.cost_by_source`.
    about : ChartContext, optional
        The run, named under the headline, and its currency.

    Examples
    --------
    >>> costs = pd.DataFrame({"replication": [0, 0], "source_kind": ["stock", "broker"],
    ...                       "units": [10, 2], "money": [100.0, 90.0]})
    >>> money, units = cost_chart(costs).axes
    >>> [float(bar.get_height()) for bar in money.patches], money.get_ylabel()
    ([100.0, 90.0], 'USD per replication')
    """
    about = about or ChartContext()
    figure, (money_axes, units_axes) = new_panels(
        (_SIZE[0] + 1.0, _SIZE[1] + 0.3),
        2,
        2,
        "What the allocations took, by source kind (net of failed purchases)",
        about.subtitle(),
        dpi=_DPI,
    )
    replications = max(costs["replication"].nunique(), 1)
    totals = costs.groupby("source_kind", observed=True, sort=False)[["money", "units"]].sum()
    kinds = [str(kind) for kind in totals.index]
    colours = [_KIND_COLOURS.get(kind, "tab:gray") for kind in kinds]
    names = [group_name("source_kind", kind) for kind in kinds]
    for axes, column, title, label in (
        (money_axes, "money", f"cost ({about.currency})", f"{about.currency} per replication"),
        (units_axes, "units", "units", "units per replication"),
    ):
        bars = axes.bar(names, totals[column].to_numpy(np.float64) / replications, color=colours)
        axes.bar_label(bars, fmt="{:,.0f}", padding=2, fontsize=8)
        axes.margins(y=0.12)
        axes.set_title(title, fontsize=11)
        axes.set_ylabel(label)
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        axes.grid(True, axis="y", alpha=0.3)
        if not kinds:
            _no_data(axes)
    return figure


def comparison_chart(
    per_policy: Mapping[str, pd.DataFrame],
    kpi: str = "mean_downtime_hours",
    *,
    about: ChartContext | None = None,
) -> Figure:
    """One KPI per group for each policy, as grouped bars with their confidence intervals.

    Parameters
    ----------
    per_policy : mapping of str to DataFrame
        Policy name → its summary from :func:`simulation.stats.summarize` (grouped by priority
        class, usually). Bars keep the mapping's order.
    kpi : str
        The KPI to draw; mean downtime by default.
    about : ChartContext, optional
        The runs, named under the headline, and the confidence level of the intervals.

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
    >>> [tick.get_text() for tick in figure.axes[0].get_xticklabels()]
    ['Parts priority', 'Standard']
    """
    figure, axes = _figure()
    rows = {
        policy: summary.loc[summary["kpi"] == kpi].reset_index(drop=True)
        for policy, summary in per_policy.items()
    }
    groups: list[str] = []
    names: dict[str, str] = {}
    for summary in rows.values():
        for key, name in zip(_labels(summary), _names(summary), strict=True):
            if key not in names:
                groups.append(key)
                names[key] = name
    width = 0.8 / max(len(rows), 1)
    share = kpi in _SHARE_KPIS
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
        axes.bar_label(
            bars, fmt="{:.0%}" if share else "{:,.0f}", padding=2, fontsize=8, label_type="center"
        )
    axes.set_xticks(np.arange(len(groups)), [names[key] for key in groups])
    if share:
        axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    label = _KPI_LABELS.get(kpi, kpi)
    title_chart(
        axes,
        f"{label[0].upper()}{label[1:]} per policy",
        (about or ChartContext()).subtitle(error_bars=True),
    )
    _finish(axes, "", label, legend="right", legend_title="policy")
    return figure


def sweep_chart(
    points: Sequence[Mapping[str, Any]],
    summaries: Sequence[pd.DataFrame],
    kpi: str = "mean_downtime_hours",
    *,
    about: ChartContext | None = None,
) -> Figure:
    """One KPI along the points of a sweep: a panel per field swept, a line per group.

    A field whose values are numbers gets a numeric axis (the points at their values, not
    evenly spaced); any other field one tick per value. Each axis is named by the field's
    short name (``demand.orders_per_day`` → "orders per day"). A field held at one value
    is named under the headline instead; with several fields swept, a panel's lines are its
    group at each value of the others. Whiskers are the intervals of ``summaries``.

    Parameters
    ----------
    points : sequence of mapping of str to value
        Each point's field values (dotted path → value), in grid order.
    summaries : sequence of DataFrame
        Each point's summary from :func:`simulation.stats.summarize`, same order.
    kpi : str
        The KPI to draw; mean downtime by default.
    about : ChartContext, optional
        The runs, named under the headline, and the confidence level of the intervals.

    Examples
    --------
    >>> def summary(mean):
    ...     return pd.DataFrame({"priority_class": ["parts_priority", "standard"],
    ...                          "kpi": "mean_downtime_hours", "replications": 2,
    ...                          "mean": mean, "ci_low": mean, "ci_high": mean})
    >>> figure = sweep_chart([{"demand.orders_per_day": 20}, {"demand.orders_per_day": 40}],
    ...                      [summary([5.0, 9.0]), summary([6.0, 30.0])])
    >>> axes = figure.axes[0]
    >>> [bars.lines[0].get_xdata().tolist() for bars in axes.containers]
    [[20.0, 40.0], [20.0, 40.0]]
    >>> [bars.lines[0].get_ydata().tolist() for bars in axes.containers]
    [[5.0, 6.0], [9.0, 30.0]]
    >>> axes.get_xlabel()
    'orders per day'
    """
    if len(points) != len(summaries):
        raise ValueError(f"{len(points)} points for {len(summaries)} summaries")
    fields = list(dict.fromkeys(name for point in points for name in point))
    names = short_field_names(fields)
    swept = [name for name in fields if len({_text(p.get(name)) for p in points}) > 1]
    swept = swept or fields[:1]
    held = [f"{names[name]} = {_text(points[0].get(name))}" for name in fields if name not in swept]
    about = about or ChartContext()
    about = replace(about, notes=(*about.notes, *held))
    label = _KPI_LABELS.get(kpi, kpi)
    headline = f"{label[0].upper()}{label[1:]} across the sweep"
    count = max(len(swept), 1)
    if count == 1:
        figure, axes = _figure()
        panels = [axes]
        title_chart(axes, headline, about.subtitle(error_bars=True))
    else:
        columns = min(count, 2)
        size = (6.0 * columns, 4.6 * math.ceil(count / columns) + 0.6)
        figure, panels = new_panels(size, count, columns, headline, about.subtitle(True))
    rows = [summary.loc[summary["kpi"] == kpi].reset_index(drop=True) for summary in summaries]
    fields_shown: list[str | None] = [*swept] or [None]
    for axes, name in zip(panels, fields_shown, strict=False):
        _sweep_panel(axes, name, points, rows, swept, names)
        if kpi in _SHARE_KPIS:
            axes.set_ylim(0.0, 1.05)
            axes.yaxis.set_major_formatter(PercentFormatter(1.0))
        else:  # from zero, with room above the highest whisker
            top = float(axes.dataLim.y1)
            axes.set_ylim(0.0, top * 1.08 if np.isfinite(top) and top > 0 else 1.0)
        _finish(axes, names.get(name or "", "point"), label, legend="below")
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


def _figure() -> tuple[Figure, Axes]:
    figure = new_figure(_SIZE, _DPI)
    return figure, figure.add_subplot()


def _finish(
    axes: Axes,
    xlabel: str,
    ylabel: str,
    legend: Legend = "best",
    legend_title: str | None = None,
) -> None:
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(True, alpha=0.3)
    handles = axes.get_legend_handles_labels()[0]
    if not handles:
        _no_data(axes)
    elif legend == "below":
        # Under the axes, so that it hides neither the lines nor the labelled bands above them;
        # long labels one to a row, so that it is never wider than the chart.
        longest = max(len(text) for text in axes.get_legend_handles_labels()[1])
        axes.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.14),
            ncol=1 if longest > 30 else min(len(handles), 3),
            fontsize=9,
            title=legend_title,
        )
    elif legend == "right":
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, title=legend_title)
    else:
        axes.legend(loc=legend, fontsize=9, title=legend_title)


def _sweep_panel(
    axes: Axes,
    name: str | None,
    points: Sequence[Mapping[str, Any]],
    rows: Sequence[pd.DataFrame],
    swept: Sequence[str],
    names: Mapping[str, str],
) -> None:
    """One swept field's panel: each group (at each value of the other swept fields) as a
    line with whiskers, on a numeric axis when the field's values are numbers."""
    values: list[Any] = [p.get(name) for p in points] if name else list(range(1, len(points) + 1))
    numeric = all(_is_number(value) for value in values)
    categories = list(dict.fromkeys(_text(value) for value in values))
    x = np.array(
        [float(v) if numeric else categories.index(_text(v)) for v in values], dtype=np.float64
    )
    others = [other for other in swept if other != name]
    settings = list(dict.fromkeys(_setting(point, others) for point in points))
    groups: dict[str, str] = {}
    for summary in rows:
        groups.update((k, n) for k, n in zip(_labels(summary), _names(summary), strict=True))
    count = len(groups) * len(settings)
    for colour, key in enumerate(sorted(groups)):
        for look, setting in enumerate(settings):
            where = [i for i, point in enumerate(points) if _setting(point, others) == setting]
            mean, low, high = _series(key, [rows[i] for i in where])
            order = np.argsort(x[where], kind="stable")
            label = " · ".join(
                [groups[key], *(f"{names[o]} = {v}" for o, v in zip(others, setting, strict=True))]
            )
            drawn = axes.errorbar(
                x[where][order],
                mean[order],
                yerr=np.nan_to_num(np.vstack((mean - low, high - mean)))[:, order],
                color=f"C{colour % 10}",
                marker=_MARKERS[look % len(_MARKERS)],
                linestyle=_DASHES[look % len(_DASHES)],
                capsize=3,
                label=label,
            )
            # Lines at the same x side by side, a few points apart, so that no whisker hides
            # another; moved once drawn, so that the axes still fit the points' own values.
            shift = (colour * len(settings) + look - (count - 1) / 2) * 4.0 / 72.0
            moved = axes.transData + ScaledTranslation(shift, 0.0, axes.figure.dpi_scale_trans)
            line, caps, bars = drawn.lines
            for artist in (line, *caps, *bars):
                if artist is not None:
                    artist.set_transform(moved)
    if numeric:
        ticks = np.unique(x)
        if len(ticks) <= 12:
            axes.set_xticks(ticks)
        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.6g}"))
        axes.margins(x=0.08)
    else:
        axes.set_xticks(np.arange(len(categories)), categories)
        axes.margins(x=0.15)
        if max((len(c) for c in categories), default=0) > 12:
            axes.tick_params(axis="x", labelrotation=20)


def _series(key: str, rows: Sequence[pd.DataFrame]) -> tuple[np.ndarray, ...]:
    """The group ``key``'s mean, interval low and high in each summary (NaN where absent)."""
    mean, low, high = (np.full(len(rows), np.nan) for _ in range(3))
    for slot, summary in enumerate(rows):
        found = [i for i, k in enumerate(_labels(summary)) if k == key]
        if found:
            row = summary.iloc[found[0]]
            mean[slot], low[slot], high[slot] = row["mean"], row["ci_low"], row["ci_high"]
    return mean, low, high


def _setting(point: Mapping[str, Any], fields: Sequence[str]) -> tuple[str, ...]:
    return tuple(_text(point.get(name)) for name in fields)


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool | np.bool_)
        and math.isfinite(float(value))
    )


def _text(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


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
    if len(ticks) < 4:
        ticks = sorted(t for t in (*_DURATION_TICKS, *_FINER_TICKS) if low <= t <= high)
    if len(ticks) >= 2:
        axes.set_xticks(ticks, [_duration(t) for t in ticks])
        axes.xaxis.set_minor_formatter(NullFormatter())


def _duration(hours: float) -> str:
    if hours < 24 or hours % 24:
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


def _group_columns(summary: pd.DataFrame) -> list[str]:
    return [str(name) for name in summary.columns if name not in SUMMARY_COLUMNS]


def _labels(summary: pd.DataFrame) -> list[str]:
    """Each summary row's group as text, several group columns joined with ``/``."""
    columns = _group_columns(summary)
    if not columns:
        return [ALL_GROUP] * len(summary)
    text = summary[columns].astype(object).where(summary[columns].notna(), "unknown").astype(str)
    return ["/".join(values) for values in text.itertuples(index=False, name=None)]


def _names(summary: pd.DataFrame) -> list[str]:
    """Each summary row's group as a reader names it (see :func:`group_name`)."""
    columns = _group_columns(summary)
    if not columns:
        return [group_name(None, ALL_GROUP)] * len(summary)
    text = summary[columns].astype(object).where(summary[columns].notna(), "unknown").astype(str)
    return [
        " / ".join(group_name(column, value) for column, value in zip(columns, values, strict=True))
        for values in text.itertuples(index=False, name=None)
    ]
