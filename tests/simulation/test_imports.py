"""The simulator reaches the engine through its doors only: the ``allocation`` package and the
sub-packages that publish a curated ``__all__``, never a module inside them."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast
DOORS = {
    "allocation",
    "allocation.adapters",
    "allocation.engine",
    "allocation.entrypoints",
    "allocation.whatif",
    # Published doors of their own, with a curated ``__all__``: the performance reports, the
    # files of a run's report facts, and the catalogue of root-cause codes (a data module
    # whose code constants are its interface; imported as a module).
    "allocation.reports",
    "allocation.adapters.report_facts",
    "allocation.domain.root_causes",
}
ROOT = Path(__file__).resolve().parents[2] / "simulation"


def _imports() -> list[tuple[str, int, str, list[str]]]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("allocation"):
                names = [alias.name for alias in node.names]
                found.append((str(path.relative_to(ROOT)), node.lineno, node.module or "", names))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("allocation"):
                        found.append((str(path.relative_to(ROOT)), node.lineno, alias.name, []))
    return found


def test_the_simulator_imports_only_from_the_engines_doors() -> None:
    imports = _imports()
    assert imports, "the simulator plans through the engine"
    deep = [(f, line, module) for f, line, module, _ in imports if module not in DOORS]
    assert deep == []


def test_every_name_the_simulator_takes_is_published_by_its_door() -> None:
    for file, line, module, names in _imports():
        published = set(importlib.import_module(module).__all__)
        unpublished = [n for n in names if n not in published]
        assert unpublished == [], (file, line, module)
