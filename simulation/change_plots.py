"""Charts of what-if answers: the downtime a change moves per group, and what each
protection level buys and costs.

Like :mod:`simulation.plots`, every function returns a figure on the Agg canvas, never
through pyplot, so a notebook shows it and a worker process can draw it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from simulation.figure import ChartContext, group_name, new_figure, new_panels, title_chart

__all__ = ["change_chart", "levels_chart"]

_CLASS_COLOURS = {"parts_priority": "tab:blue", "standard": "tab:orange"}
_CLASS_MARKERS = {"parts_priority": "o", "standard": "s"}


def change_chart(
    table: pd.DataFrame, level: str, top: int = 15, *, about: ChartContext | None = None
) -> Figure:
    """Mean downtime change (B − A) per group as horizontal bars with interval whiskers:
    green where B is better, red where worse, the largest change on top.

    Groups are named as planners name them (a priority class or tier by its name). ``about``
    names the runs under the headline and the confidence level of the whiskers (95% when
    not given).

    Examples
    --------
    >>> table = pd.DataFrame({"priority_class": ["parts_priority", "standard"],
    ...                       "downtime_change": [-12.0, 30.0], "ci_low": [-15.0, 20.0],
    ...                       "ci_high": [-9.0, 40.0]})
    >>> figure = change_chart(table, "priority_class")
    >>> [float(bar.get_width()) for bar in figure.axes[0].patches]  # bottom to top
    [-12.0, 30.0]
    >>> [tick.get_text() for tick in figure.axes[0].get_yticklabels()]
    ['Parts priority', 'Standard']
    """
    shown = table.dropna(subset=["downtime_change"])
    shown = shown.reindex(shown["downtime_change"].abs().sort_values(ascending=False).index)
    shown = shown.head(top).iloc[::-1]
    height = max(3.0, 0.35 * len(shown) + 2.0)
    figure = new_figure((8.0, height))
    axes = figure.add_subplot()
    change = shown["downtime_change"].to_numpy(np.float64)
    low = np.nan_to_num(change - shown["ci_low"].to_numpy(np.float64))
    high = np.nan_to_num(shown["ci_high"].to_numpy(np.float64) - change)
    colours = ["tab:green" if c < 0 else "tab:red" for c in change]
    y = np.arange(len(shown))
    axes.barh(y, change, xerr=np.vstack((low, high)), color=colours, capsize=3)
    axes.set_yticks(y, [group_name(level, v) for v in shown[level]])
    axes.axvline(0.0, color="black", linewidth=0.8)
    axes.set_xlabel("change in mean downtime per order, hours (B − A; below 0: B is faster)")
    title_chart(
        axes,
        f"Downtime change by {level.replace('_', ' ')}",
        (about or ChartContext()).subtitle(error_bars=True),
    )
    axes.grid(True, axis="x", alpha=0.3)
    if not len(shown):
        axes.text(0.5, 0.5, "no order in both runs", ha="center", transform=axes.transAxes)
    return figure


def levels_chart(
    trials: pd.DataFrame,
    chosen: dict[tuple[str, str], int],
    *,
    about: ChartContext | None = None,
) -> Figure:
    """Per protected shelf (one panel each): mean downtime of each class at every level
    tried, with interval whiskers, the recommended level marked.

    Parameters
    ----------
    trials : DataFrame
        ``depot_id, part_number, level, priority_class, mean, ci_low, ci_high``: the class's
        mean downtime when that shelf had that level.
    chosen : mapping of (depot_id, part_number) to int
        The recommended level of each shelf.
    about : ChartContext, optional
        The runs, named under the headline, and the confidence level of the whiskers.

    Examples
    --------
    >>> trials = pd.DataFrame({"depot_id": "D1", "part_number": "P", "level": [0, 0, 1, 1],
    ...     "priority_class": ["parts_priority", "standard"] * 2,
    ...     "mean": [50.0, 60.0, 40.0, 65.0], "ci_low": np.nan, "ci_high": np.nan})
    >>> figure = levels_chart(trials, {("D1", "P"): 1})
    >>> [bars.lines[0].get_ydata().tolist() for bars in figure.axes[0].containers]
    [[50.0, 40.0], [60.0, 65.0]]
    >>> figure.axes[0].get_legend_handles_labels()[1]
    ['chosen', 'Parts priority', 'Standard']
    """
    shelves = list(dict.fromkeys(zip(trials["depot_id"], trials["part_number"], strict=True)))
    columns = min(max(len(shelves), 1), 3)
    rows = max(math.ceil(len(shelves) / columns), 1)
    headline = "Mean downtime per class at each protection level tried"
    subtitle = (about or ChartContext()).subtitle(error_bars=True)
    if not shelves:
        figure = new_figure((8.0, 3.5))
        axes = figure.add_subplot()
        axes.text(0.5, 0.5, "no shelf to protect", ha="center", transform=axes.transAxes)
        title_chart(axes, headline, subtitle)
        return figure
    size = (max(4.0 * columns, 8.0), 3.4 * rows + 1.2)
    figure, panels = new_panels(size, len(shelves), columns, headline, subtitle)
    for index, ((depot, part), axes) in enumerate(zip(shelves, panels, strict=True)):
        mine = trials[(trials["depot_id"] == depot) & (trials["part_number"] == part)]
        for klass, points in mine.groupby("priority_class", sort=True):
            points = points.sort_values("level")
            mean = points["mean"].to_numpy(np.float64)
            errors = np.nan_to_num(
                np.vstack(
                    (
                        mean - points["ci_low"].to_numpy(np.float64),
                        points["ci_high"].to_numpy(np.float64) - mean,
                    )
                )
            )
            axes.errorbar(
                points["level"].to_numpy(),
                mean,
                yerr=errors,
                capsize=3,
                label=group_name("priority_class", klass),
                color=_CLASS_COLOURS.get(str(klass)),
                marker=_CLASS_MARKERS.get(str(klass), "o"),
            )
        pick = chosen.get((str(depot), str(part)))
        if pick is not None:
            axes.axvline(pick, color="tab:green", linestyle="--", linewidth=1, label="chosen")
        axes.set_title(f"{part} at {depot}", fontsize=10)
        axes.set_xlabel("protection level (units)")
        axes.set_ylabel("mean downtime (hours)")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(True, alpha=0.3)
        if index == 0:
            axes.legend(fontsize=8)
    return figure
