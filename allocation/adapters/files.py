"""Files replaced atomically: a reader sees the old file or the whole new one, never half.

The new content is written under a temporary name beside the target and renamed over it. The
temporary file gets the mode an ordinary ``open(path, "w")`` would give (0666 less the umask),
not :func:`tempfile.mkstemp`'s 0600, so results are as readable as any file the user writes.

A whole folder of results is written the same way (:func:`atomic_folder`): into a temporary
folder beside it, moved into place when every file is there. An interrupt (Ctrl-C, SIGTERM)
while the files are written removes the temporary one; the renames that put several files in
place run with those two signals held back, so that they happen all or not at all, and the
signal is delivered right after. The folder is then either as it was (absent, for a new one)
or complete.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import FrameType

from allocation.errors import InputError

__all__ = ["atomic_folder", "atomic_write", "atomic_write_all"]

_HELD_BACK = (signal.SIGINT, signal.SIGTERM)

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
        with signals_held_back():
            for tmp, target in zip(temps, targets, strict=True):
                os.replace(tmp, target)
    except BaseException:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_folder(path: str | Path) -> Iterator[Path]:
    """A folder to fill that becomes ``path`` when the block ends, or vanishes if it fails.

    The block writes into a new temporary folder ``.<name>.<random>.tmp`` beside ``path``.
    When it ends without an exception, the temporary folder is renamed to ``path``; if
    ``path`` is an existing folder, what was written is moved into it instead (files of the
    same names replaced, others left alone), all of it at once as far as an interrupt is
    concerned. When the block raises (an interrupt included), the temporary folder and any
    folder made to hold it are removed, and ``path`` is as it was.

    Raises
    ------
    InputError
        When ``path`` exists and is not a folder.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as root:
    ...     with atomic_folder(Path(root) / "out") as folder:
    ...         _ = (folder / "a.txt").write_text("a")
    ...     sorted(p.name for p in Path(root).rglob("*"))
    ['a.txt', 'out']
    """
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise InputError(f"{target}: exists and is not a folder")
    made = _make_parents(target.parent)
    temporary = _temporary_folder(target)
    try:
        yield temporary
        with signals_held_back():
            _move_into(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        for folder in made:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


@contextlib.contextmanager
def signals_held_back() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back during the block, then deliver the first that came.

    For a few renames that must all happen or none: a handler that raises between two of
    them would leave half a result. Only the main thread can change handlers; elsewhere, and
    for signals that are ignored, this changes nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, _: FrameType | None) -> None:
        caught.append(signum)

    previous = {}
    for number in _HELD_BACK:
        handler = signal.getsignal(number)
        if handler in (signal.SIG_IGN, None):
            continue
        previous[number] = handler
        signal.signal(number, hold)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if caught:
            signal.raise_signal(caught[0])


def _make_parents(folder: Path) -> list[Path]:
    """Make ``folder`` and its missing parents; return those made, deepest first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        made.mkdir(exist_ok=True)
    return missing


def _temporary_folder(target: Path) -> Path:
    for _ in range(tempfile.TMP_MAX):
        folder = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
        with contextlib.suppress(FileExistsError):
            folder.mkdir()
            return folder
    raise FileExistsError(errno.EEXIST, "no unused temporary folder name", str(target.parent))


def _move_into(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target``, or, when ``target`` is a folder already, move each of
    ``source``'s entries into it (folders merged, files replaced) and remove ``source``."""
    if not target.exists():
        os.rename(source, target)
        return
    for entry in sorted(source.iterdir()):
        destination = target / entry.name
        if entry.is_dir() and destination.is_dir():
            _move_into(entry, destination)
        elif destination.is_dir():
            raise InputError(f"{destination}: a folder is in the way of a file of results")
        else:
            os.replace(entry, destination)
    source.rmdir()


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
