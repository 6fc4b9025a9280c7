"""The printable page of a report: every section, its charts inline, nothing fetched or run."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from allocation.reports import SECTIONS, customer_report
from tests.allocation.reports.facts_world import facts, order

pytestmark = pytest.mark.fast


class _Outline(HTMLParser):
    """Ids of sections and figures, and anything that would fetch or run."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.figures: list[str] = []
        self.fetches: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "section":
            self.sections.append(str(values.get("id")))
        if tag == "figure":
            self.figures.append(str(values.get("id")))
        inline = str(values.get("href", "")).startswith("data:")  # the empty icon
        if (tag in ("script", "link", "iframe", "img") and not inline) or any(
            str(v).startswith(("http:", "https:", "//")) for k, v in attrs if k in ("src", "href")
        ):
            self.fetches.append(tag)


def _page() -> str:
    rows = [
        order("a", "2026-07-01"),
        order(
            "b",
            "2026-07-10",
            status="open",
            restored_at=None,
            backordered=True,
            code="held_by_higher_class",
            part_number="<img src=x>",
        ),
    ]
    return customer_report(facts(rows), "C1", "2026-Q3").to_html()


def test_the_page_has_every_section_and_its_charts_inline() -> None:
    outline = _Outline()
    outline.feed(_page())
    assert outline.sections == list(SECTIONS)
    assert outline.figures == ["chart-downtime", "chart-sources", "chart-root-causes"]
    assert outline.fetches == []


def test_text_from_data_is_escaped() -> None:
    page = _page()
    assert "Acme &lt;Industries&gt;" in page
    assert "<img src=x>" not in page
    assert "&lt;img src=x&gt;" in page


def test_the_same_report_gives_the_same_bytes() -> None:
    assert _page() == _page()


def test_a_period_without_orders_still_renders_every_section() -> None:
    page = customer_report(facts([]), "C1", "2026-Q3").to_html()
    assert re.findall(r'<section id="([^"]+)"', page) == list(SECTIONS)
    assert "No order was short or late." in page
