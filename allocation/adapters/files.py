"""Files replaced atomically: a reader sees the old file or the whole new one, never half.

The new content is written under a temporary name beside the target and renamed over it. The
temporary file gets the mode an ordinary ``open(path, "w")`` would give (0666 less the umask),
not :func:`tempfile.mkstemp`'s 0600, so results are as readable as any file the user writes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from allocation.errors import InputError

__all__ = ["atomic_write", "atomic_write_all"]

# The flags of tempfile.mkstemp: a new file only, never through a symlink, not inherited.
_TEMP_FLAGS = (
    os.O_RDWR
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)``, flush it to disk, then move ``tmp`` over ``path``.

    Raises
    ------
    InputError
        When the target's folder does not exist.
    """
    target = Path(path)
    if not target.parent.exists():
        raise InputError(f"{target}: folder {str(target.parent)!r} does not exist")
    fd, tmp = _create_temp_beside(target)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_all(writes: Sequence[tuple[str | Path, Callable[[Path], None]]]) -> None:
    """Several files replaced together: every ``write(tmp)`` runs (at once, in threads: the
    table writers release the GIL), and only when all have succeeded are the files moved
    into place. A failure leaves every target as it was.

    Raises
    ------
    InputError
        When a target's folder does not exist.
    """
    targets = [Path(path) for path, _ in writes]
    for target in targets:
        if not target.parent.exists():
            raise InputError(f"{target}: folder {str(target.parent)!r} does not exist")
    temps: list[Path] = []
    try:
        for target in targets:
            fd, tmp = _create_temp_beside(target)
            os.close(fd)
            temps.append(tmp)
        with ThreadPoolExecutor(max_workers=len(writes) or 1) as pool:
            done = [pool.submit(write, tmp) for (_, write), tmp in zip(writes, temps, strict=True)]
            for future in done:
                future.result()
        for tmp in temps:
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
        for tmp, target in zip(temps, targets, strict=True):
            os.replace(tmp, target)
    except BaseException:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        raise


def _create_temp_beside(path: Path) -> tuple[int, Path]:
    """A new empty file ``.<name>.<random>.tmp`` beside ``path``, created with mode 0666.

    The umask (and any default ACL) then removes bits exactly as for an ordinary file, without
    reading or changing the process's umask.
    """
    for _ in range(tempfile.TMP_MAX):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        with contextlib.suppress(FileExistsError):
            return os.open(tmp, _TEMP_FLAGS, 0o666), tmp
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", str(path.parent))
