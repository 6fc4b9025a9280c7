"""The printable report page in a real browser: the page the command line writes and the page
the service serves both render in headless Chromium with every section and chart and no
console error, and a screenshot of each is kept as a test artifact.

Chromium comes from Debian's packages (``apt-get install chromium``; ``.ci/run`` installs it)
and is driven by Playwright on that executable: Playwright's own browser download is never
used. Without either, the tests skip and say which is missing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from allocation.adapters.report_facts import FACTS_FOLDER, write_report_facts
from allocation.entrypoints.cli import main
from allocation.reports import SECTIONS
from tests.allocation.reports.facts_world import facts, order

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("PARTS_PRIORITY_ARTIFACTS", ROOT / "test-artifacts"))
CHARTS = ("chart-downtime", "chart-sources", "chart-root-causes")


def _chromium() -> str:
    path = os.environ.get("PARTS_PRIORITY_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.skip("no Chromium: install Debian's package (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium under Playwright."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    executable = _chromium()
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


def _check_page(browser: Any, url: str, shot: str, headers: dict[str, str] | None = None) -> None:
    """Open ``url``; assert every section and chart is there and nothing went wrong."""
    context = browser.new_context(extra_http_headers=headers or {})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    response = page.goto(url)
    assert response is None or response.ok, response and response.status
    for section in SECTIONS:
        assert page.locator(f"section#{section}").count() == 1, section
    for chart in CHARTS:
        figure = page.locator(f"figure#{chart}")
        if figure.count():  # a chart with nothing to show may say so in words instead
            assert figure.locator("svg").count() == 1, chart
            assert figure.locator("svg").bounding_box()["width"] > 100, chart
    assert page.locator("figure svg").count() >= 1
    assert page.title()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    context.close()
    assert problems == []
    assert (ARTIFACTS / shot).stat().st_size > 10_000


def test_the_page_the_command_writes_renders_with_every_section_and_chart(
    browser: Any, tmp_path: Path
) -> None:
    rows = [
        order("O1", "2026-07-02"),
        order("O2", "2026-07-03", backordered=True, code="no_stock_anywhere"),
        order(
            "O3",
            "2026-08-10",
            status="open",
            restored_at=None,
            backordered=True,
            code="held_by_higher_class",
            part_number="P2",
        ),
        order("O4", "2026-04-10", backordered=True, code="no_stock_anywhere"),
        order(
            "O5",
            "2026-08-12",
            priority_class="standard",
            tier="standard",
            lost_code="excluded_country",
            country="UY",
        ),
    ]
    sources = [
        {"replication": 0, "order_id": "O1", "source_kind": "stock", "quantity": 1, "money": 10.0},
        {"replication": 0, "order_id": "O2", "source_kind": "broker", "quantity": 1, "money": 90.0},
    ]
    run = tmp_path / "run"
    write_report_facts(facts(rows, sources), run / FACTS_FOLDER)
    page = tmp_path / "report.html"
    argv = ["report", "--run", str(run), "--customer", "C1", "--period", "2026-Q3"]
    assert main([*argv, "--format", "html", "--out", str(page)]) == 0
    _check_page(browser, page.as_uri(), "report-from-command.png")


def test_the_page_the_service_serves_renders_with_every_section_and_chart(
    browser: Any, tmp_path: Path
) -> None:
    from allocation.adapters.store import make_engine, migrate
    from allocation.service.loading import load_into_store
    from tests.service import worlds
    from tests.service.live import AUTH, running

    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    migrate(engine)
    load_into_store(engine, worlds.snapshot({"P-A": 1, "P-B": 1}))
    engine.dispose()
    with running(url, tmp_path) as server:
        for n, quantity in enumerate((1, 2, 1)):
            body = worlds.order(f"O{n}", quantity=quantity)
            headers = {**AUTH, "Idempotency-Key": f"browser-{n}"}
            answer = httpx.post(f"{server.url}/orders", json=body, headers=headers, timeout=30)
            assert answer.status_code in (200, 201), answer.text
        address = f"{server.url}/reports/customers/C-PM?format=html"
        _check_page(browser, address, "report-from-service.png", headers=AUTH)
