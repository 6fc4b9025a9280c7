"""Writing results: JSON to stdout, tables to files, atomically (never a half-written file)."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from allocation.errors import InputError

__all__ = ["atomic_write", "print_json", "write_frame"]

# The flags of tempfile.mkstemp: a new file only, never through a symlink, not inherited.
_TEMP_FLAGS = (
    os.O_RDWR
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def print_json(document: Any) -> None:
    """Print one JSON document to stdout."""
    print(json.dumps(document, ensure_ascii=False, indent=2, default=str))


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` then move ``tmp`` over ``path``, so readers never see half a file."""
    target = Path(path)
    if target.parent and not target.parent.exists():
        raise InputError(f"{target}: folder {str(target.parent)!r} does not exist")
    fd, tmp = _create_temp_beside(target)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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


def _create_temp_beside(path: Path) -> tuple[int, Path]:
    """Create a new empty file ``.<name>.<random>`` beside ``path``, open for writing.

    :func:`tempfile.mkstemp` always creates mode 0600, which the rename would carry over to
    ``path``. Asking for 0666 and letting the umask (and any default ACL) remove bits gives the
    mode of an ordinary ``open(path, "w")``, without reading or changing the process's umask.
    """
    for _ in range(tempfile.TMP_MAX):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}"
        with contextlib.suppress(FileExistsError):
            return os.open(tmp, _TEMP_FLAGS, 0o666), tmp
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", str(path.parent))
