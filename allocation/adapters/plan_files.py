"""Plans read back from the files ``parts-priority allocate`` writes.

``allocate --out plan.csv`` writes the allocation lines to ``plan.csv`` and the unfilled
remainders to ``plan.unfilled.csv`` beside it (``.parquet`` and ``.json`` alike; with the
policy's ``broker_backup``, the held units to ``plan.backups.csv`` too);
``allocate --json > plan.json`` writes one document with both. Either reads back as a pair
of validated tables: lines (``order_id``, ``quantity``, ``eta_hours``, ``priority_class``)
and unfilled (``order_id``, ``quantity``, ``priority_class``); other columns are ignored.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from allocation.adapters.tables import MAX_QUANTITY, Column, TableSpec, read_table
from allocation.domain.model import PriorityClass
from allocation.errors import InputError, TableError

__all__ = [
    "PLAN_LINES",
    "PLAN_UNFILLED",
    "PREVIOUS_LINES",
    "read_plan_tables",
    "read_previous_lines",
    "unfilled_path",
]

_CLASS = Column(
    "priority_class",
    choices=frozenset(c.value for c in PriorityClass),
    description="parts_priority or standard",
)
PLAN_LINES = TableSpec(
    name="plan lines",
    columns=(
        Column("order_id", description="the order line"),
        Column("quantity", "int", minimum=0, exclusive_minimum=True, maximum=MAX_QUANTITY),
        Column("eta_hours", "float", minimum=0, maximum=1e7, description="hours to arrival"),
        _CLASS,
    ),
)
PLAN_UNFILLED = TableSpec(
    name="plan unfilled",
    columns=(
        Column("order_id", description="the order line"),
        Column("quantity", "int", minimum=0, exclusive_minimum=True, maximum=MAX_QUANTITY),
        _CLASS,
    ),
)
PREVIOUS_LINES = TableSpec(
    name="previous plan lines",
    columns=(
        Column("order_id", description="the order line"),
        Column("quantity", "int", minimum=0, exclusive_minimum=True, maximum=MAX_QUANTITY),
        Column("source", description="stock, transfer, inbound, expedite or broker"),
        Column("origin", description="the depot or supplier"),
    ),
)
_SUFFIXES = (".csv", ".parquet", ".pq", ".json")


def read_previous_lines(path: str | Path) -> pd.DataFrame:
    """The allocation lines of a previous plan (``order_id``, ``quantity``, ``source``,
    ``origin``), to measure a new plan's churn against; all or nothing.

    ``path`` is a lines file written by ``allocate --out`` (no unfilled sibling needed) or
    a document of ``allocate --json``.
    """
    path, suffix = _plan_file(path)
    if suffix == ".json":
        document = _json(path)
        if isinstance(document, dict):
            if "lines" not in document:
                raise InputError(f"{path}: a JSON plan needs 'lines'")
            return _table(pd.DataFrame(document["lines"]), PREVIOUS_LINES, path)
    return _read(path, PREVIOUS_LINES)


def _plan_file(path: str | Path) -> tuple[Path, str]:
    """A plan file that exists and is of a type a plan is written in, and its suffix."""
    path = Path(path)
    if path.is_dir():
        raise InputError(
            f"{path}: a folder; give a plan file written by `parts-priority allocate --out`"
        )
    if not path.exists():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise InputError(
            f"{path}: unsupported plan file type {suffix!r} (use .csv, .parquet, .json)"
        )
    return path, suffix


def unfilled_path(path: Path) -> Path:
    """Where ``allocate --out`` put the unfilled table of a lines file."""
    return path.with_name(f"{path.stem}.unfilled{path.suffix}")


def read_plan_tables(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The lines and unfilled tables of a plan file; all or nothing.

    Parameters
    ----------
    path : str or Path
        ``plan.csv`` / ``.parquet`` / ``.json`` as written by ``allocate --out`` (its
        ``.unfilled`` sibling must be beside it), or a JSON document from
        ``allocate --json`` (``lines`` and ``unfilled`` in one file).

    Raises
    ------
    InputError
        A missing file or sibling, an unknown file type; :class:`TableError` for a bad row.
    """
    path, suffix = _plan_file(path)
    if suffix == ".json":
        document = _json(path)
        if isinstance(document, dict):
            if not {"lines", "unfilled"} <= set(document):
                raise InputError(f"{path}: a JSON plan needs 'lines' and 'unfilled'")
            return (
                _table(pd.DataFrame(document["lines"]), PLAN_LINES, path),
                _table(pd.DataFrame(document["unfilled"]), PLAN_UNFILLED, path),
            )
    sibling = unfilled_path(path)
    if not sibling.exists():
        raise InputError(
            f"{path}: its unfilled table {sibling.name} is not beside it "
            "(`allocate --out` writes both)"
        )
    return _read(path, PLAN_LINES), _read(sibling, PLAN_UNFILLED)


def _read(path: Path, spec: TableSpec) -> pd.DataFrame:
    if path.suffix.lower() == ".json":
        records = _json(path)
        if not isinstance(records, list):
            raise InputError(f"{path}: expected a JSON array of rows")
        return _table(pd.DataFrame.from_records(records), spec, path)
    return read_table(path, spec)


def _table(frame: pd.DataFrame, spec: TableSpec, path: Path) -> pd.DataFrame:
    """A table from JSON records, validated, with errors naming the file."""
    if frame.empty:
        frame = pd.DataFrame(columns=[c.name for c in spec.columns])
    try:
        return read_table(frame, spec)
    except TableError as exc:
        raise TableError(f"{path} ({spec.name})", exc.problems) from None


def _json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON: {exc}") from None
