"""The documentation site builds with ``mkdocs build --strict``: every page, every generated
reference page (command line, input tables, scenario schema, HTTP API, Python API), every link
and anchor."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MKDOCS = Path(sys.executable).with_name("mkdocs")


@pytest.mark.slow
def test_the_documentation_site_builds_strictly(tmp_path: Path) -> None:
    assert MKDOCS.exists(), f"mkdocs is not installed next to {sys.executable} (docs extra)"
    site = tmp_path / "site"
    result = subprocess.run(
        [str(MKDOCS), "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-4000:]
    for page in ("reference/cli", "reference/http-api", "reference/python-api", "scenarios"):
        assert (site / page / "index.html").is_file(), page
    assert "parts-priority simulate" in (site / "reference/cli/index.html").read_text("utf-8")
    assert (site / "reference/openapi.json").is_file()
