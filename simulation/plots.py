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

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter, PercentFormatter

from allocation.adapters import atomic_write
from simulation.chart_kit import (
    DASHES,
    DPI,
    KPI_LABELS,
    MARKERS,
    SHARE_KPIS,
    SIZE,
    finish_axes,
    group_keys,
    group_names,
    no_data,
    plain_chart,
)
from simulation.figure import (
    ChartContext,
    group_name,
    new_panels,
    title_chart,
)
from simulation.sweep_plots import sweep_chart

__all__ = [
    "backorders_chart",
    "comparison_chart",
    "cost_chart",
    "downtime_ecdf",
    "sweep_chart",
    "write_plots",
]


_DURATION_TICKS = (1, 2, 4, 8, 12, 24, 48, 72, 168, 336, 720, 1440, 2160, 4320, 8760)
_FINER_TICKS = (6, 18, 30, 36, 96, 120, 240, 480, 1080)  # for a short range of downtimes
_KIND_COLOURS = {
    "stock": "tab:blue",
    "transfer": "tab:cyan",
    "inbound": "tab:green",
    "expedite": "tab:orange",
    "broker": "tab:red",
}


_WINDOW_COLOURS = ("tab:red", "tab:purple", "tab:brown", "tab:olive")


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
        figure, axes = plain_chart()
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
                    linestyle=DASHES[(index if dash_by else style) % len(DASHES)],
                    marker=MARKERS[look % len(MARKERS)],
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
        finish_axes(
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
    figure, axes = plain_chart()
    column = _group_column(series, ("replication", "time", "backorders"))
    for index, (name, group) in enumerate(_groups(series, column)):
        mean = group.groupby("time", sort=True)["backorders"].mean()
        axes.plot(
            mean.index.to_numpy(np.float64) / 24.0,
            mean.to_numpy(np.float64),
            label=group_name(column, name),
            linewidth=1.8,
            linestyle=DASHES[index % len(DASHES)],
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
    finish_axes(axes, "days since start", "orders waiting", legend="below")
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
        (SIZE[0] + 1.0, SIZE[1] + 0.3),
        2,
        2,
        "What the allocations took, by source kind (net of failed purchases)",
        about.subtitle(),
        dpi=DPI,
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
            no_data(axes)
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
    figure, axes = plain_chart()
    rows = {
        policy: summary.loc[summary["kpi"] == kpi].reset_index(drop=True)
        for policy, summary in per_policy.items()
    }
    groups: list[str] = []
    names: dict[str, str] = {}
    for summary in rows.values():
        for key, name in zip(group_keys(summary), group_names(summary), strict=True):
            if key not in names:
                groups.append(key)
                names[key] = name
    width = 0.8 / max(len(rows), 1)
    share = kpi in SHARE_KPIS
    for index, (policy, summary) in enumerate(rows.items()):
        position = dict(zip(group_keys(summary), range(len(summary)), strict=True))
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
    label = KPI_LABELS.get(kpi, kpi)
    title_chart(
        axes,
        f"{label[0].upper()}{label[1:]} per policy",
        (about or ChartContext()).subtitle(error_bars=True),
    )
    finish_axes(axes, "", label, legend="right", legend_title="policy")
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
