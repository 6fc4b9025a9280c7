"""The Typer application every ``parts-priority`` command mounts on, and the exit codes.

The commands live in modules by what they are about (entitlement and reports, plans,
the service); :mod:`allocation.entrypoints.cli` imports them, in the order ``--help``
lists them, and runs the application.
"""

from __future__ import annotations

import sys
from importlib import metadata
from typing import Annotated

import typer
from typer.exceptions import Exit

from allocation.entrypoints._help import App

app = App(
    name="parts-priority",
    help="Parts-allocation priority engine: Priority Management customers first.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_OK, EXIT_UNEXPECTED, EXIT_INPUT = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


def _version(shown: bool) -> None:
    if shown:
        sys.stdout.write(f"parts-priority {metadata.version('parts-priority')}\n")
        raise Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="print the version and exit", is_eager=True, callback=_version
        ),
    ] = False,
) -> None:
    """Parts Priority: decide who gets scarce spare parts, and measure the downtime."""
