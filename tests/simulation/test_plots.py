"""Charts come out as PNG files, from real metric tables, without touching pyplot's state."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import pyplot
from matplotlib.figure import Figure

from simulation.metrics import backorders_over_time, cost_by_source, kpis, order_outcomes
from simulation.plots import (
    backorders_chart,
    comparison_chart,
    cost_chart,
    downtime_ecdf,
    write_plots,
)
from simulation.records import Recorder
from simulation.stats import summarize

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def small_run(replication: int, delay: float) -> pd.DataFrame:
    """Two classes; standard orders wait ``delay`` hours longer for a broker unit."""
    rec = Recorder(replication=replication)
    for index in range(6):
        order_id = f"O{index}"
        priority_class = "parts_priority" if index % 2 else "standard"
        created = 10.0 * index
        rec.emit(
            created,
            "order_created",
            order_id=order_id,
            part_number="HDD-1",
            quantity=1,
            customer_id="C1",
            country="TH",
            priority_class=priority_class,
            tier="PM" if index % 2 else "PA",
        )
        source = "stock" if index % 2 else "broker"
        wait = 0.0 if index % 2 else delay
        rec.emit(
            created + wait,
            "allocated",
            order_id=order_id,
            source_kind=source,
            quantity=1,
            money=50.0,
        )
        rec.emit(
            created + wait + 24.0, "delivered", order_id=order_id, source_kind=source, quantity=1
        )
        rec.emit(created + wait + 26.0, "restored", order_id=order_id)
    rec.emit(240.0, "end")
    return rec.to_frame()


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return pd.concat([small_run(0, 30.0), small_run(1, 60.0)], ignore_index=True)


def all_figures(records: pd.DataFrame) -> dict[str, Figure]:
    outcomes = order_outcomes(records)
    summary = summarize(kpis(outcomes), by="priority_class")
    slower = summary.assign(
        mean=summary["mean"] * 2, ci_low=summary["ci_low"] * 2, ci_high=summary["ci_high"] * 2
    )
    return {
        "downtime": downtime_ecdf(outcomes, log_x=True, target_hours=48.0),
        "backorders": backorders_chart(backorders_over_time(records, step_hours=12.0)),
        "cost": cost_chart(cost_by_source(records)),
        "comparison": comparison_chart({"optimal": summary, "fifo": slower}),
    }


def test_every_chart_is_written_as_a_png_into_a_folder_it_creates(
    tmp_path: Path, records: pd.DataFrame
) -> None:
    folder = tmp_path / "run" / "plots"

    paths = write_plots(all_figures(records), folder)

    assert [path.name for path in paths] == [
        "downtime.png",
        "backorders.png",
        "cost.png",
        "comparison.png",
    ]
    for path in paths:
        assert path.parent == folder
        assert path.stat().st_size > 1000
        assert path.read_bytes()[:8] == PNG_SIGNATURE
    assert sorted(p.name for p in folder.iterdir()) == sorted(path.name for path in paths)


def test_charts_leave_no_figure_open_in_pyplot(records: pd.DataFrame) -> None:
    before = pyplot.get_fignums()

    all_figures(records)

    assert pyplot.get_fignums() == before


def test_the_downtime_ecdf_has_one_rising_line_per_class_reaching_every_order() -> None:
    outcomes = pd.DataFrame(
        {
            "priority_class": ["standard", "parts_priority", "standard", "standard"],
            "downtime_hours": [30.0, 5.0, 10.0, 80.0],
        }
    )

    lines = downtime_ecdf(outcomes).axes[0].get_lines()

    by_label = {line.get_label(): line for line in lines}
    assert set(by_label) == {"Parts priority", "Standard"}
    standard = by_label["Standard"]
    assert list(standard.get_xdata()) == [10.0, 10.0, 30.0, 80.0]
    assert list(standard.get_ydata()) == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0])


def test_on_a_log_axis_orders_without_downtime_sit_at_the_left_edge() -> None:
    outcomes = pd.DataFrame(
        {"priority_class": ["standard"] * 3, "downtime_hours": [0.0, 4.0, 40.0]}
    )

    axes = downtime_ecdf(outcomes, log_x=True).axes[0]

    assert axes.get_xscale() == "log"
    assert list(axes.get_lines()[0].get_xdata()) == [0.5, 0.5, 4.0, 40.0]


def test_the_backorders_chart_draws_the_mean_over_replications_in_days() -> None:
    series = pd.DataFrame(
        {
            "replication": [0, 0, 1, 1],
            "group": ["all"] * 4,
            "time": [0.0, 48.0, 0.0, 48.0],
            "backorders": [2, 3, 4, 8],
        }
    )

    line = backorders_chart(series).axes[0].get_lines()[0]

    assert list(line.get_xdata()) == [0.0, 2.0]
    assert list(line.get_ydata()) == [3.0, 5.5]


def test_the_cost_chart_shows_money_and_units_per_replication_by_source_kind() -> None:
    costs = pd.DataFrame(
        {
            "replication": [0, 0, 1],
            "source_kind": ["stock", "broker", "stock"],
            "units": [4, 2, 6],
            "money": [40.0, 300.0, 60.0],
        }
    )

    money, units = cost_chart(costs).axes

    assert [float(bar.get_height()) for bar in money.patches] == [50.0, 150.0]
    assert [float(bar.get_height()) for bar in units.patches] == [5.0, 1.0]


def test_the_comparison_chart_has_a_bar_per_policy_and_class_with_its_interval() -> None:
    def summary(means: list[float], half: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "priority_class": ["parts_priority", "standard"],
                "kpi": "mean_downtime_hours",
                "replications": 5,
                "mean": means,
                "ci_low": [m - half for m in means],
                "ci_high": [m + half for m in means],
            }
        )

    axes = comparison_chart(
        {"optimal": summary([10.0, 50.0], 2.0), "fifo": summary([30.0, 40.0], 3.0)}
    ).axes[0]

    assert [float(bar.get_height()) for bar in axes.patches] == [10.0, 50.0, 30.0, 40.0]
    whiskers = [
        segments for collection in axes.collections for segments in collection.get_segments()
    ]
    lengths = sorted(float(np.ptp(np.asarray(segment)[:, 1])) for segment in whiskers)
    assert lengths == [4.0, 4.0, 6.0, 6.0]


def test_charts_of_empty_tables_still_draw_and_say_there_is_no_data(tmp_path: Path) -> None:
    rec = Recorder()
    rec.emit(24.0, "end")
    records = rec.to_frame()

    figures = {
        "downtime": downtime_ecdf(order_outcomes(records)),
        "backorders": backorders_chart(backorders_over_time(records)),
        "cost": cost_chart(cost_by_source(records)),
    }

    for figure in figures.values():
        assert any(text.get_text() == "no data" for ax in figure.axes for text in ax.texts)
    assert all(path.stat().st_size > 0 for path in write_plots(figures, tmp_path))


class BrokenFigure(Figure):
    """A figure whose saving dies half-way, as on a full disk."""

    def savefig(self, fname: object, **kwargs: object) -> None:  # type: ignore[override]
        Path(str(fname)).write_bytes(PNG_SIGNATURE + b"half an image")
        raise OSError("No space left on device")


def test_a_failed_write_keeps_the_previous_plot_and_leaves_no_partial_file(
    tmp_path: Path, records: pd.DataFrame
) -> None:
    outcomes = order_outcomes(records)
    [path] = write_plots({"downtime": downtime_ecdf(outcomes)}, tmp_path)
    before = path.read_bytes()

    with pytest.raises(OSError, match="No space left"):
        write_plots({"downtime": BrokenFigure()}, tmp_path)

    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["downtime.png"]


@pytest.mark.parametrize("name", ["../escape", "sub/plot", "", ".."])
def test_a_plot_name_with_a_folder_in_it_is_refused_before_anything_is_written(
    tmp_path: Path, name: str
) -> None:
    with pytest.raises(ValueError, match="plain file name"):
        write_plots({"fine": Figure(), name: Figure()}, tmp_path / "plots")

    assert not (tmp_path / "plots").exists()
