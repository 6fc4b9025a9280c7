"""A progress bar for long runs, on standard error so that ``--json`` output stays clean.

The use cases take a ``progress`` callable that they call once per finished replication;
:func:`replication_bar` hands them one that advances a rich bar. On a terminal the bar moves
live; when standard error is a file or a pipe, rich prints its final state once at the end,
so logs get one line, not hundreds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from simulation.replicate import Progress as ProgressCallback
from simulation.replicate import ReplicationOutput

__all__ = ["replication_bar"]


@contextmanager
def replication_bar(
    total: int, description: str, console: Console | None = None
) -> Iterator[ProgressCallback]:
    """A bar of ``total`` replications; yields the callback that advances it.

    Examples
    --------
    >>> import io
    >>> console = Console(file=io.StringIO(), width=100)
    >>> with replication_bar(2, "normal quarter", console) as advance:
    ...     pass
    >>> "0/2" in console.file.getvalue()
    True
    """
    bar = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("replications"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
        transient=False,
    )
    task = bar.add_task(description, total=total)

    def advance(_: ReplicationOutput) -> None:
        bar.advance(task)

    with bar:
        yield advance
