"""Results shown in a notebook: plans and entitlement reports render escaped HTML tables."""

from __future__ import annotations

from allocation import allocate, entitle, load_snapshot
from tests.allocation.engine.builders import PM, STD, order, snapshot

EVIL = "<img src=x onerror=alert(1)>"


def test_a_plan_shows_fill_and_eta_by_class_and_units_by_source() -> None:
    plan = allocate(load_snapshot("scenarios/example"))
    html = plan._repr_html_()
    assert html.startswith("<div>")
    assert "by priority class" in html
    assert "by source kind" in html
    # parts_priority: 4 orders, 5 units asked and allocated, mean ETA 124 / 5 = 24.8 h.
    assert (
        '<td>parts_priority</td><td style="text-align:right">4</td>'
        '<td style="text-align:right">5</td><td style="text-align:right">5</td>'
        '<td>100.0%</td><td style="text-align:right">24.80</td>'
    ) in html
    assert "8 order(s) not fully filled" in html


def test_a_plan_escapes_what_came_from_the_files() -> None:
    plan = allocate(snapshot([order(EVIL, PM), order("S1", STD)], stock=[("A", "D1", 1)]))
    assert "<img" not in plan._repr_html_()
    plan = allocate(snapshot([order("S1", STD)]))
    assert "–" in plan._repr_html_()  # no unit allocated: no mean ETA


def test_an_entitlement_report_shows_counts_lost_priority_and_the_first_decisions() -> None:
    snap = load_snapshot("scenarios/example")
    html = entitle(snap.entitlement)._repr_html_()
    assert "orders by class and tier" in html
    assert "why Priority Management orders lost parts priority" in html
    assert "O-1001" in html
    assert "O-1011" not in html  # only the first ten decisions
    assert "Uruguay is excluded from parts priority" in html


def test_an_entitlement_report_escapes_ids_and_reasons() -> None:
    snap = snapshot([order(EVIL, PM)])
    html = entitle(snap.entitlement)._repr_html_()
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
