"""Charts say what they show: the run under every headline, planners' names for groups,
the currency of money, the level of error bars, every policy visible, sweeps on real axes.

Checked through the matplotlib objects (titles, tick labels, lines, layout boxes), not pixels.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure, SubFigure

from simulation.change_plots import change_chart, levels_chart
from simulation.figure import ChartContext, group_name, short_field_names
from simulation.plots import comparison_chart, cost_chart, downtime_ecdf, sweep_chart
from simulation.run_diff import diff
from simulation.use_cases import compare, simulate, sweep

ABOUT = ChartContext("Thailand floods 2011", ("fifo", "optimal"), 5, level=0.9, currency="EUR")
SMALL: dict[str, Any] = {
    "version": 1,
    "name": "small world",
    "world": {"generate": {"orders": 120, "parts": 12, "depots": 3, "seed": 4}},
    "horizon_days": 6,
    "warmup_days": 1,
    "demand": {"orders_per_day": 12},
    "replications": 2,
    "seed": 9,
}


def words(figure: Figure) -> str:
    """Every title, subtitle and text of a figure, its subfigures and its axes."""
    blocks = [part for part in figure.get_children() if isinstance(part, SubFigure)]
    found = [figure.get_suptitle(), *(block.get_suptitle() for block in blocks)]
    for axes in figure.axes:
        found += [axes.get_title(loc) for loc in ("left", "center", "right")]
        found += [text.get_text() for text in axes.texts]
    return "\n".join(found)


def summary(means: list[float], kpi: str = "mean_downtime_hours") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "priority_class": ["parts_priority", "standard"],
            "kpi": kpi,
            "replications": 5,
            "mean": means,
            "ci_low": [m - 2.0 for m in means],
            "ci_high": [m + 2.0 for m in means],
        }
    )


def test_the_subtitle_names_the_scenario_the_policies_the_replications_and_the_interval() -> None:
    assert ABOUT.subtitle(error_bars=True) == (
        "Scenario: Thailand floods 2011 · policies: fifo, optimal · 5 replications"
        " · error bars: 90% CI"
    )
    assert (
        ChartContext("S", ("optimal",), 1).subtitle()
        == "Scenario: S · policy: optimal · 1 replication"
    )


def test_a_scenario_without_a_currency_is_charted_in_dollars_and_one_with_its_own() -> None:
    plain = ChartContext.of_run(SimpleNamespace(name="S"), ["fifo"], 3)
    euros = ChartContext.of_run(SimpleNamespace(name="S", currency="EUR"), ["fifo"], 3)

    assert (plain.currency, euros.currency) == ("USD", "EUR")
    assert (plain.scenario, plain.policies, plain.replications) == ("S", ("fifo",), 3)


def test_classes_tiers_and_source_kinds_read_as_planners_name_them() -> None:
    names = [group_name("tier", tier) for tier in ("PM", "PA+", "PA", "standard")]

    assert names == ["Priority Management", "Priority Access Plus", "Priority Access", "Standard"]
    assert group_name("priority_class", "parts_priority") == "Parts priority"
    assert group_name("priority_class", "standard") == "Standard"
    assert group_name("source_kind", "expedite") == "Expedite"
    assert group_name("customer_id", "C-TH-001") == "C-TH-001"


def test_swept_fields_are_named_by_the_last_part_of_their_path() -> None:
    names = short_field_names(["demand.orders_per_day", "disruptions.0.volume_lost"])

    assert names == {
        "demand.orders_per_day": "orders per day",
        "disruptions.0.volume_lost": "volume lost (disruptions 0)",
    }


def test_the_cost_chart_puts_the_currency_on_the_money_axis_and_names_the_run() -> None:
    costs = pd.DataFrame(
        {
            "replication": [0, 0],
            "source_kind": ["stock", "broker"],
            "units": [4, 1],
            "money": [40.0, 90.0],
        }
    )

    figure = cost_chart(costs, about=ABOUT)

    money, units = figure.axes
    assert "EUR" in money.get_ylabel()
    assert "EUR" in money.get_title()
    assert "EUR" not in units.get_ylabel()
    assert [tick.get_text() for tick in money.get_xticklabels()] == ["Stock", "Broker"]
    assert "Scenario: Thailand floods 2011 · policies: fifo, optimal · 5 replications" in words(
        figure
    )


def test_the_comparison_chart_names_classes_policies_and_the_level_of_its_whiskers() -> None:
    figure = comparison_chart(
        {"fifo": summary([30.0, 40.0]), "optimal": summary([10.0, 50.0])}, about=ABOUT
    )

    axes = figure.axes[0]
    assert [tick.get_text() for tick in axes.get_xticklabels()] == ["Parts priority", "Standard"]
    legend = axes.get_legend()
    assert legend is not None
    assert [text.get_text() for text in legend.get_texts()] == ["fifo", "optimal"]
    assert (
        "Scenario: Thailand floods 2011 · policies: fifo, optimal · 5 replications"
        " · error bars: 90% CI"
    ) in words(figure)


def test_every_policy_of_a_comparison_ecdf_shows_even_when_two_policies_draw_the_same_curve() -> (
    None
):
    same = pd.DataFrame(
        {
            "priority_class": ["parts_priority", "standard"] * 3,
            "downtime_hours": [5.0, 30.0, 10.0, 60.0, 20.0, 90.0],
        }
    )
    outcomes = pd.concat(
        [same.assign(policy=name) for name in ("fifo", "optimal", "tier_greedy")], ignore_index=True
    )

    figure = downtime_ecdf(
        outcomes, by="policy", panel_by="priority_class", target_hours=48.0, about=ABOUT
    )

    assert [axes.get_title() for axes in figure.axes] == ["Parts priority", "Standard"]
    for axes in figure.axes:
        lines = [
            line for line in axes.get_lines() if not str(line.get_label()).startswith("target")
        ]
        assert [line.get_label() for line in lines] == ["fifo", "optimal", "tier_greedy"]
        looks = {(line.get_color(), line.get_linestyle(), line.get_marker()) for line in lines}
        assert len(looks) == 3
        widths = [line.get_linewidth() for line in lines]
        assert widths == sorted(set(widths), reverse=True)
        assert [line.get_zorder() for line in lines] == sorted(line.get_zorder() for line in lines)
    assert "Thailand floods 2011" in words(figure)


def test_a_numeric_sweep_field_is_drawn_on_a_numeric_axis_named_by_its_short_name() -> None:
    points = [{"demand.orders_per_day": value} for value in (20, 30, 45)]
    summaries = [summary([5.0, 9.0]), summary([6.0, 20.0]), summary([8.0, 40.0])]

    figure = sweep_chart(points, summaries, about=ABOUT)

    [axes] = figure.axes
    assert axes.get_xlabel() == "orders per day"
    for container in axes.containers:
        assert isinstance(container, ErrorbarContainer)
        assert np.asarray(container.lines[0].get_xdata()).tolist() == [20.0, 30.0, 45.0]
    assert axes.get_xticks().tolist() == [20.0, 30.0, 45.0]
    assert [tick.get_text() for tick in axes.get_xticklabels()] == ["20", "30", "45"]
    assert "error bars: 90% CI" in words(figure)


def test_a_sweep_of_two_fields_has_a_panel_per_field_and_names_a_field_held_at_one_value() -> None:
    points = [
        {"horizon_days": 60, "demand.orders_per_day": rate, "policy.strategy": strategy}
        for rate in (20, 40)
        for strategy in ("fifo", "optimal")
    ]

    figure = sweep_chart(points, [summary([5.0, 9.0 + i]) for i in range(4)], about=ABOUT)

    rates, strategies = figure.axes
    assert (rates.get_xlabel(), strategies.get_xlabel()) == ("orders per day", "strategy")
    assert rates.get_xticks().tolist() == [20.0, 40.0]
    assert [tick.get_text() for tick in strategies.get_xticklabels()] == ["fifo", "optimal"]
    labels = rates.get_legend_handles_labels()[1]
    assert labels[:2] == ["Parts priority · strategy = fifo", "Parts priority · strategy = optimal"]
    assert len(labels) == 4
    assert "horizon days = 60" in words(figure)


def test_no_sweep_label_runs_off_the_image() -> None:
    points = [{"policy.protection.default_level_of_every_protected_shelf": v} for v in (1, 2, 3)]
    figure = sweep_chart(points, [summary([5.0, 9.0])] * 3, about=ABOUT)
    assert isinstance(figure, Figure)
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    figure.draw(renderer)
    page = figure.bbox

    axes = figure.axes[0]
    shown = [axes.xaxis.label, axes.yaxis.label, axes.title, *axes.get_xticklabels(), *axes.texts]
    legend = axes.get_legend()
    assert legend is not None
    for artist in [*shown, legend]:
        box = artist.get_window_extent(renderer)
        assert page.expanded(1.01, 1.01).contains(box.x0, box.y0), artist
        assert page.expanded(1.01, 1.01).contains(box.x1, box.y1), artist


def test_the_change_and_levels_charts_name_classes_and_their_run() -> None:
    table = pd.DataFrame(
        {
            "tier": ["PM", "PA+"],
            "downtime_change": [-12.0, 30.0],
            "ci_low": [-15.0, 20.0],
            "ci_high": [-9.0, 40.0],
        }
    )
    trials = pd.DataFrame(
        {
            "depot_id": "D1",
            "part_number": "P",
            "level": [0, 0, 1, 1],
            "priority_class": ["parts_priority", "standard"] * 2,
            "mean": [50.0, 60.0, 40.0, 65.0],
            "ci_low": np.nan,
            "ci_high": np.nan,
        }
    )

    change = change_chart(table, "tier", about=ABOUT)
    levels = levels_chart(trials, {("D1", "P"): 1}, about=ABOUT)

    ticks = [tick.get_text() for tick in change.axes[0].get_yticklabels()]
    assert ticks == ["Priority Management", "Priority Access Plus"]
    assert levels.axes[0].get_legend_handles_labels()[1][1:] == ["Parts priority", "Standard"]
    for figure in (change, levels):
        assert "Scenario: Thailand floods 2011" in words(figure)
        assert "error bars: 90% CI" in words(figure)


def test_every_chart_of_a_run_a_comparison_a_sweep_and_a_diff_names_its_run() -> None:
    run = simulate(SMALL, replications=2)
    both = compare(SMALL, ["fifo", "optimal"], replications=2)
    grid = sweep(SMALL, {"demand.orders_per_day": [8, 12]}, replications=2)
    change = diff(both.results["fifo"], both.results["optimal"])

    charts = {
        **{f"run {name}": figure for name, figure in run.plots().items()},
        **{f"compare {name}": figure for name, figure in both.plots().items()},
        **{f"sweep {name}": figure for name, figure in grid.plots().items()},
        "diff": change.plot(),
    }

    for name, figure in charts.items():
        text = words(figure)
        assert "Scenario: small world" in text, name
        assert "2 replications" in text, name
        assert re.search(r"polic(y|ies): \w", text), name
    assert "policies: fifo, optimal" in words(charts["compare comparison"])
    assert "A = fifo, B = optimal" in words(charts["diff"])
    assert "USD" in charts["run cost_by_source"].axes[0].get_ylabel()
    assert grid.plot().axes[0].get_xticks().tolist() == [8.0, 12.0]


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_the_interval_is_named_by_its_level(level: float) -> None:
    assert ChartContext(level=level).interval == f"{round(level * 100):d}% CI"


def test_the_charts_draw_and_name_the_confidence_level_they_are_given() -> None:
    from simulation.entrypoints.figures import comparison_figures, sweep_figures

    both = compare(SMALL, ["fifo", "optimal"], replications=2)
    grid = sweep(SMALL, {"demand.orders_per_day": [8, 12]}, replications=2)
    for figure in (comparison_figures(both, 0.9)["comparison"], sweep_figures(grid, 0.9)["sweep"]):
        assert "90% CI" in words(figure)
        assert "95% CI" not in words(figure)

    def whiskers(level: float) -> float:
        """The total height of the comparison chart's error bars at a level."""
        axes = comparison_figures(both, level)["comparison"].axes[0]
        bars = [c for c in axes.containers if isinstance(c, ErrorbarContainer)]
        assert bars
        return float(
            sum(
                abs(segment[1][1] - segment[0][1])
                for c in bars
                for segment in c.lines[2][0].get_segments()
            )
        )

    assert whiskers(0.99) > whiskers(0.9)
