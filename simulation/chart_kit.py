"""What every chart of a run shares: the look of its lines, the names of its KPIs and of its
groups, a plain figure and the finish of its axes (labels, grid, legend)."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simulation.figure import group_name, new_figure
from simulation.metrics import ALL_GROUP
from simulation.stats import SUMMARY_COLUMNS

__all__ = [
    "DASHES",
    "DPI",
    "KPI_LABELS",
    "MARKERS",
    "SHARE_KPIS",
    "SIZE",
    "Legend",
    "finish_axes",
    "group_keys",
    "group_names",
    "no_data",
    "plain_chart",
]

SIZE = (8.0, 4.5)
DPI = 100
# One look per line, so that lines drawn over each other all stay visible: the first is the
# widest and lowest, each next one narrower, on top, dashed and marked differently.
DASHES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "D", "v", "P")
SHARE_KPIS = ("within_target", "fill_rate", "restored_share")
KPI_LABELS = {
    "mean_downtime_hours": "mean downtime (hours)",
    "p90_downtime_hours": "90th percentile of downtime (hours)",
    "within_target": "share restored within the target",
    "fill_rate": "share filled from stock on arrival",
    "orders": "orders",
}

Legend = Literal["best", "upper right", "lower right", "below", "right"]


def plain_chart() -> tuple[Figure, Axes]:
    """A figure of the charts' one size with one axes, on the Agg canvas."""
    figure = new_figure(SIZE, DPI)
    return figure, figure.add_subplot()


def finish_axes(
    axes: Axes,
    xlabel: str,
    ylabel: str,
    legend: Legend = "best",
    legend_title: str | None = None,
) -> None:
    """Label the axes, grid them lightly, and place the legend (``"below"``: under the
    axes; ``"right"``: beside them); axes with nothing drawn say "no data"."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(True, alpha=0.3)
    handles = axes.get_legend_handles_labels()[0]
    if not handles:
        no_data(axes)
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


def no_data(axes: Axes) -> None:
    axes.text(0.5, 0.5, "no data", ha="center", va="center", transform=axes.transAxes)


def _group_columns(summary: pd.DataFrame) -> list[str]:
    return [str(name) for name in summary.columns if name not in SUMMARY_COLUMNS]


def group_keys(summary: pd.DataFrame) -> list[str]:
    """Each summary row's group as text, several group columns joined with ``/``."""
    columns = _group_columns(summary)
    if not columns:
        return [ALL_GROUP] * len(summary)
    text = summary[columns].astype(object).where(summary[columns].notna(), "unknown").astype(str)
    return ["/".join(values) for values in text.itertuples(index=False, name=None)]


def group_names(summary: pd.DataFrame) -> list[str]:
    """Each summary row's group as a reader names it (see :func:`group_name`)."""
    columns = _group_columns(summary)
    if not columns:
        return [group_name(None, ALL_GROUP)] * len(summary)
    text = summary[columns].astype(object).where(summary[columns].notna(), "unknown").astype(str)
    return [
        " / ".join(group_name(column, value) for column, value in zip(columns, values, strict=True))
        for values in text.itertuples(index=False, name=None)
    ]
