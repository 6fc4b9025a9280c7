"""Writing results: JSON to stdout, tables to files, atomically (never a half-written file).

Tables of any size are written from their columns: Parquet and CSV by pandas/pyarrow, JSON
in chunks of rows encoded by pandas' C encoder, so a million rows never become a million
Python dicts and a document is never held whole as one string.

pandas and the file adapters load when a table is written: printing a document needs
neither.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from allocation.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["atomic_write", "print_json", "stream_json", "write_frame", "write_frames"]

_CHUNK = 20_000
"""Rows encoded at a time."""


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` with ``write`` in one step (:func:`allocation.adapters.atomic_write`)."""
    from allocation.adapters.files import atomic_write as write_in_one_step

    write_in_one_step(path, write)


def print_json(document: Any) -> None:
    """Print one JSON document to stdout."""
    print(json.dumps(document, ensure_ascii=False, indent=2, default=str))


def stream_json(fields: Sequence[tuple[str, Any]], stream: IO[str] | None = None) -> None:
    """Write one JSON object field by field; a DataFrame value is written as an array of
    row objects, one per line, a chunk of rows at a time.

    Other values are written as :func:`json.dumps` indents them.
    """
    import pandas as pd

    out = stream if stream is not None else sys.stdout
    out.write("{")
    for i, (name, value) in enumerate(fields):
        out.write(("," if i else "") + "\n  " + json.dumps(name) + ": ")
        if isinstance(value, pd.DataFrame):
            _write_rows(value, out, indent="    ")
        else:
            text = json.dumps(value, ensure_ascii=False, indent=2, default=str)
            out.write(text.replace("\n", "\n  "))
    out.write("\n}\n")
    out.flush()


def _write_rows(frame: pd.DataFrame, out: IO[str], indent: str) -> None:
    """``frame`` as a JSON array of row objects, one row per line."""
    if frame.empty:
        out.write("[]")
        return
    out.write("[")
    for start in range(0, len(frame), _CHUNK):
        chunk = _plain(frame.iloc[start : start + _CHUNK])
        rows = chunk.to_json(orient="records", lines=True, force_ascii=False, date_format="iso")
        lines = rows.rstrip("\n").split("\n")
        out.write(("," if start else "") + "\n" + indent + (",\n" + indent).join(lines))
    out.write("\n" + indent[:-2] + "]")


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Date-times as ISO text to the second, as :meth:`Plan.to_dict` writes them."""
    import pandas as pd

    stamps = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    if not stamps:
        return frame
    return frame.assign(**{c: frame[c].dt.strftime("%Y-%m-%dT%H:%M:%S") for c in stamps})


def write_frame(
    frame: pd.DataFrame, path: str | Path, records: list[dict[str, Any]] | None = None
) -> None:
    """Write a table as .csv, .parquet or .json (chosen by the file's extension).

    ``records`` are the rows as JSON should show them, where a flat table cannot (lists in
    a cell); without them JSON shows the table's rows.
    """
    atomic_write(path, _writer(frame, Path(path), records))


def write_frames(tables: Sequence[tuple[pd.DataFrame, str | Path]]) -> None:
    """Write several tables (as :func:`write_frame`), all of them or none."""
    from allocation.adapters.files import atomic_write_all

    atomic_write_all([(path, _writer(frame, Path(path), None)) for frame, path in tables])


def _writer(
    frame: pd.DataFrame, path: Path, records: list[dict[str, Any]] | None
) -> Callable[[Path], None]:
    """How to write ``frame`` to a file of ``path``'s type."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return lambda p: frame.to_csv(p, index=False)
    if suffix in (".parquet", ".pq"):
        return lambda p: frame.to_parquet(p, index=False)
    if suffix == ".json" and records is not None:
        text = json.dumps(records, ensure_ascii=False, indent=2, default=str)
        return lambda p: _write_text(p, text)
    if suffix == ".json":
        return lambda p: _write_json_rows(frame, p)
    raise InputError(f"{path}: unsupported output type {suffix!r} (use .csv, .parquet, .json)")


def _write_json_rows(frame: pd.DataFrame, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        _write_rows(frame, handle, indent="  ")
        handle.write("\n")


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
