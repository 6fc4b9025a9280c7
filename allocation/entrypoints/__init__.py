"""Entrypoints: the CLI and the HTTP service. They translate, and call the use cases.

The door for packages that mount commands on the CLI (the simulator's): the Typer ``app``,
``main`` (exit codes), the plan views it shares and the JSON printer.
"""

from __future__ import annotations

from allocation.entrypoints.cli import app, main, show_plan_diff, show_plan_protection
from allocation.entrypoints.output import print_json, stream_json, write_frame

__all__ = [
    "app",
    "main",
    "print_json",
    "show_plan_diff",
    "show_plan_protection",
    "stream_json",
    "write_frame",
]
