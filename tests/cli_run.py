"""A ``parts-priority`` command run in the test's own process, with what it printed."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Run:
    """A command's exit code, standard output and standard error."""

    code: int
    out: str
    err: str


def run_main(main: Callable[[list[str]], int], *argv: str) -> Run:
    """``main(argv)`` (a CLI's entry, as the console script calls it), its output captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return Run(code, out.getvalue(), err.getvalue())
