"""Writing a world to disk: one CSV or Parquet file per table, each replaced atomically.

A reader (a loader, a benchmark, another process) must never see half a table, so each file is
written under a temporary name beside its target and then renamed over it. The temporary file
is created with the mode an ordinary ``open(..., "w")`` would give it, so a generated snapshot
is as readable by others as any other file its user writes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import pandas as pd

from allocation.adapters.files import atomic_write
from allocation.errors import InputError


def write_world(
    tables: dict[str, pd.DataFrame],
    out_dir: Path,
    fmt: Literal["csv", "parquet"] = "csv",
    *,
    overwrite: bool = False,
) -> None:
    """Write each table to ``out_dir/<name>.<fmt>``, every file atomically.

    A file is written under a temporary name in the same folder and then renamed over its
    target, so a reader sees either the old file or the whole new one, never half a table.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Tables by name, as :func:`generate_world` returns them.
    out_dir : Path
        Created when missing. An existing folder that holds anything is refused unless
        ``overwrite`` is true (then files of the same names are replaced, others left alone).
    fmt : {"csv", "parquet"}
        File format.

    Raises
    ------
    InputError
        For an unknown format, a table name that is not a plain file name, a path that is not
        a folder, or a non-empty folder without ``overwrite``.
    """
    if fmt not in ("csv", "parquet"):
        raise InputError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
    for name in tables:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
            raise InputError(f"table name {name!r} is not a plain file name")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise InputError(f"{out}: folder is not empty (pass overwrite=True to replace tables)")
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        _write_atomically(frame, out / f"{name}.{fmt}", fmt)


def _write_atomically(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "csv":
        atomic_write(
            path, lambda p: frame.to_csv(p, index=False, lineterminator="\n", encoding="utf-8")
        )
    else:
        atomic_write(path, lambda p: frame.to_parquet(p, index=False))
