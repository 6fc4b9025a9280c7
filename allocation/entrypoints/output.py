"""Writing results: JSON to stdout, tables to files, atomically (never a half-written file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from allocation.adapters.files import atomic_write
from allocation.errors import InputError

__all__ = ["atomic_write", "print_json", "write_frame"]


def print_json(document: Any) -> None:
    """Print one JSON document to stdout."""
    print(json.dumps(document, ensure_ascii=False, indent=2, default=str))


def write_frame(frame: pd.DataFrame, path: str | Path, records: list[dict[str, Any]]) -> None:
    """Write a table as .csv, .parquet or .json (chosen by the file's extension)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        atomic_write(path, lambda p: frame.to_csv(p, index=False))
    elif suffix in (".parquet", ".pq"):
        atomic_write(path, lambda p: frame.to_parquet(p, index=False))
    elif suffix == ".json":
        text = json.dumps(records, ensure_ascii=False, indent=2, default=str)
        atomic_write(path, lambda p: _write_text(p, text))
    else:
        raise InputError(f"{path}: unsupported output type {suffix!r} (use .csv, .parquet, .json)")


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
