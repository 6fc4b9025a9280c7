"""The ``parts-priority`` command line: parse, call a use case, show the result, exit.

Exit codes: 0 done, 2 bad input or usage (with a message naming the problem), 1 unexpected,
130 interrupted by Ctrl-C (SIGINT), 143 stopped by SIGTERM; the last two say
``interrupted`` on standard error. Set ``PARTS_PRIORITY_DEBUG=1`` to see the traceback of an
unexpected error.

An interrupted command leaves nothing half done behind: its worker processes are ended and
its output files and folders are either complete or as they were (written beside their
place and renamed into it at the end).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
import traceback
from collections.abc import Iterator
from types import FrameType

from rich.console import Console
from rich.markup import escape
from typer.exceptions import Abort, Exit, TyperException

from allocation.entrypoints import (
    entitlement_commands,
    move_commands,
    plan_commands,
    service_commands,
)
from allocation.entrypoints._app import (
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_UNEXPECTED,
    app,
)
from allocation.errors import AllocationError, InputError

__all__ = ["app", "main"]

COMMANDS = (entitlement_commands, plan_commands, move_commands, service_commands)
"""The modules whose commands :data:`app` holds: each mounts its own as it is imported, and
``--help`` lists them in the order they were imported."""

_err = Console(stderr=True)


class Terminated(BaseException):
    """SIGTERM, raised in the console script's process so that a command stops the way it
    stops on Ctrl-C: blocks unwind, temporary files go, workers end, exit code 143.

    A :class:`BaseException`, like :class:`KeyboardInterrupt`, so that no ``except
    Exception`` on the way takes it for an error of its own.
    """


def main(
    argv: list[str] | None = None,
    input_errors: tuple[type[Exception], ...] = (),
    other_errors: tuple[type[Exception], ...] = (),
    handle_signals: bool = False,
) -> int:
    """Run the CLI and turn every outcome into an exit code; never a bare traceback.

    Packages that mount commands on :data:`app` name their own exception bases:
    ``input_errors`` exit 2 (the user's input is wrong), ``other_errors`` exit 1, both with
    their message and no traceback. An interrupt exits 130 with ``interrupted`` on standard
    error.

    ``handle_signals`` is for the console script's process, never a library caller's: while
    the command runs, SIGTERM raises :class:`Terminated` (exit 143), and SIGINT and SIGTERM
    both first end the forked worker processes of this process (whose pools would otherwise
    finish every queued task before letting go).
    """
    started = set(mp.active_children())
    try:
        with _signals_handled(handle_signals):
            code = app(args=argv, standalone_mode=False)
    except Exit as exc:
        return int(exc.exit_code)
    except Abort:
        _err.print("aborted")
        return EXIT_UNEXPECTED
    except TyperException as exc:
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            _err.print(
                f"error: {exc.format_message()}", markup=False, highlight=False, soft_wrap=True
            )
        return EXIT_INPUT if exc.exit_code == EXIT_INPUT else int(exc.exit_code) or EXIT_INPUT
    except InputError as exc:
        _print_error("error", str(exc))
        return EXIT_INPUT
    except AllocationError as exc:
        _print_error("error", str(exc))
        return EXIT_UNEXPECTED
    except input_errors as exc:
        _print_error("error", str(exc))
        return EXIT_INPUT
    except other_errors as exc:
        _print_error("error", str(exc))
        return EXIT_UNEXPECTED
    except KeyboardInterrupt:
        return _interrupted(EXIT_INTERRUPTED, started)
    except Terminated:
        return _interrupted(EXIT_TERMINATED, started)
    except Exception as exc:
        if os.environ.get("PARTS_PRIORITY_DEBUG"):
            traceback.print_exc()
        _print_error(
            "unexpected error",
            f"{type(exc).__name__}: {exc}\n(set PARTS_PRIORITY_DEBUG=1 to see the traceback)",
        )
        return EXIT_UNEXPECTED
    if code == EXIT_INTERRUPTED:  # typer answers Ctrl-C with this code, in place of raising
        return _interrupted(EXIT_INTERRUPTED, started)
    if isinstance(code, int) and not isinstance(code, bool):  # typer.Exit(code) in a command
        return code
    return EXIT_OK


@contextlib.contextmanager
def _signals_handled(install: bool) -> Iterator[None]:
    """SIGTERM raises :class:`Terminated`; SIGINT and SIGTERM end forked workers first.

    A signal the process ignores (a command started with ``nohup``, say) stays ignored, and
    the handlers in place before are put back at the end.
    """
    if not install:
        yield
        return

    def stop(signum: int, _: FrameType | None) -> None:
        _end_forked_workers()
        if signum == signal.SIGTERM:
            raise Terminated
        raise KeyboardInterrupt

    previous = {}
    for number in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(number)
        if handler is not signal.SIG_IGN:
            previous[number] = handler
            signal.signal(number, stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _end_forked_workers() -> None:
    """Kill this process's forked children: pool workers that share its memory and hold
    nothing of their own (a Dask cluster's spawned workers are closed by the cluster)."""
    fork = getattr(mp.context, "ForkProcess", None)
    for child in mp.active_children():
        if fork is not None and isinstance(child, fork):
            with contextlib.suppress(OSError):
                child.kill()


def _interrupted(code: int, before: set[mp.process.BaseProcess]) -> int:
    """Say so, and end the worker processes the command started that are still there."""
    _err.print("interrupted", highlight=False)
    left = [child for child in mp.active_children() if child not in before]
    for child in left:
        with contextlib.suppress(OSError):
            child.terminate()
    for child in left:
        child.join(5)
        if child.is_alive():
            child.kill()
            child.join()
    return code


def _print_error(label: str, message: str) -> None:
    # The message is data, not markup ("[/x]" in a cell must not crash the report), and is
    # never wrapped, so that a long file path stays whole for grep and for people.
    _err.print(f"[bold red]{label}:[/] {escape(message)}", highlight=False, soft_wrap=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(handle_signals=True))
