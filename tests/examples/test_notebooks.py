"""The example notebooks run top to bottom, and are committed without outputs.

Each notebook's first code cell (tagged ``parameters``) holds the sizes a reader gets; like
papermill, the test puts a cell after it that sets small sizes, so that the whole run takes
seconds, then executes every cell in a fresh kernel and fails on any error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
SMALL: dict[str, dict[str, Any]] = {
    "01-entitlement-audit.ipynb": {},
    "02-allocating-a-shortage.ipynb": {},
    "03-thailand-floods.ipynb": {"HORIZON_DAYS": 10, "REPLICATIONS": 2},
    "04-protection-levels.ipynb": {
        "HORIZON_DAYS": 35,  # long enough for parts-priority orders to wait at a shelf
        "REPLICATIONS": 1,
        "LEVELS": [0, 2],
        "SHELVES": 1,
    },
}


def test_every_notebook_is_listed_with_its_small_sizes() -> None:
    assert [path.name for path in NOTEBOOKS] == sorted(SMALL)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_committed_notebooks_carry_no_outputs_and_no_execution_counts(path: Path) -> None:
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has outputs (strip them)"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"


def _parameters(book: Any) -> int:
    code = [i for i, cell in enumerate(book.cells) if cell.cell_type == "code"]
    first = code[0]
    assert "parameters" in book.cells[first].metadata.get("tags", []), "first code cell"
    return first


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_each_notebook_runs_top_to_bottom_at_small_sizes(path: Path) -> None:
    book = nbformat.read(path, as_version=4)
    where = _parameters(book)
    small = SMALL[path.name]
    for name in small:
        assert f"{name} = " in book.cells[where].source, f"{name} is not a parameter"
    if small:
        lines = "\n".join(f"{name} = {value!r}" for name, value in small.items())
        injected = nbformat.v4.new_code_cell(f"# injected by the test\n{lines}")
        injected.metadata["tags"] = ["injected-parameters"]
        book.cells.insert(where + 1, injected)
    client = NotebookClient(
        book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    shown = [output for cell in book.cells if cell.cell_type == "code" for output in cell.outputs]
    assert any("text/html" in output.get("data", {}) for output in shown), "no table shown"
    if any(".plot(" in cell.source for cell in book.cells):
        assert any("image/png" in output.get("data", {}) for output in shown), "no chart shown"
