"""Writing a world to disk: one CSV or Parquet file per table, each replaced atomically.

A reader (a loader, a benchmark, another process) must never see half a table, so each file is
written under a temporary name beside its target and then renamed over it. The temporary file
is created with the mode an ordinary ``open(..., "w")`` would give it, so a generated snapshot
is as readable by others as any other file its user writes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Literal

import pandas as pd

from allocation.errors import InputError

# The flags of tempfile.mkstemp: a new file only, never through a symlink, not inherited.
_TEMP_FLAGS = (
    os.O_RDWR
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


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
    fd, tmp = _create_temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            if fmt == "csv":
                frame.to_csv(handle, index=False, lineterminator="\n", encoding="utf-8")
            else:
                frame.to_parquet(handle, index=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _create_temp_beside(path: Path) -> tuple[int, Path]:
    """Create a new empty file ``.<name>.<random>.tmp`` beside ``path``, open for writing.

    :func:`tempfile.mkstemp` always creates mode 0600, which the rename would carry over to
    ``path``. Asking for 0666 and letting the umask (and any default ACL) remove bits gives the
    mode of an ordinary ``open(path, "w")``, without reading or changing the process's umask.
    """
    for _ in range(tempfile.TMP_MAX):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        with contextlib.suppress(FileExistsError):
            return os.open(tmp, _TEMP_FLAGS, 0o666), tmp
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", str(path.parent))
