"""Entrypoints: the CLI and the HTTP service. They translate, and call the use cases.

The door for packages that mount commands on the CLI (the simulator's): the Typer ``app``,
``main`` (exit codes), the plan views it shares, the JSON printer and the number format of
the terminal views. Importing it is cheap: the engine, pandas and the views load with the
command that needs them.
"""

from __future__ import annotations

from allocation.entrypoints._arguments import known_strategy
from allocation.entrypoints._numbers import format_number
from allocation.entrypoints.cli import app, main
from allocation.entrypoints.output import print_json, stream_json, write_frame
from allocation.entrypoints.plan_commands import show_plan_diff, show_plan_protection

__all__ = [
    "app",
    "format_number",
    "known_strategy",
    "main",
    "print_json",
    "show_plan_diff",
    "show_plan_protection",
    "stream_json",
    "write_frame",
]
