"""The chart of a sweep: one KPI along the points of a grid, a panel per field swept."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter
from matplotlib.transforms import ScaledTranslation

from simulation.chart_kit import (
    DASHES,
    KPI_LABELS,
    MARKERS,
    SHARE_KPIS,
    finish_axes,
    group_keys,
    group_names,
    plain_chart,
)
from simulation.figure import ChartContext, new_panels, short_field_names, title_chart

__all__ = ["sweep_chart"]


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
    label = KPI_LABELS.get(kpi, kpi)
    headline = f"{label[0].upper()}{label[1:]} across the sweep"
    count = max(len(swept), 1)
    if count == 1:
        figure, axes = plain_chart()
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
        if kpi in SHARE_KPIS:
            axes.set_ylim(0.0, 1.05)
            axes.yaxis.set_major_formatter(PercentFormatter(1.0))
        else:  # from zero, with room above the highest whisker
            top = float(axes.dataLim.y1)
            axes.set_ylim(0.0, top * 1.08 if np.isfinite(top) and top > 0 else 1.0)
        finish_axes(axes, names.get(name or "", "point"), label, legend="below")
    return figure


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
        groups.update(
            (k, n) for k, n in zip(group_keys(summary), group_names(summary), strict=True)
        )
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
                marker=MARKERS[look % len(MARKERS)],
                linestyle=DASHES[look % len(DASHES)],
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
        found = [i for i, k in enumerate(group_keys(summary)) if k == key]
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
