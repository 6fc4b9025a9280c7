"""Terminal views (rich) of what-if results: plan diffs and protection levels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from allocation.entrypoints._numbers import format_number
from allocation.whatif.diff import PlanDiff
from allocation.whatif.protection import ProtectionReport

__all__ = ["show_diff", "show_protection"]

_TEXT = {"priority_class", "customer", "country", "change", "order_id", "customer_id"}
_TEXT |= {"depot_id", "part_number"}


def show_diff(
    console: Console, change: PlanDiff, level: str, max_rows: int = 30, hours: str = "eta"
) -> None:
    """Counts of orders gaining and losing, then the table at ``level``; ``hours`` names what
    the mean hours per unit are (``eta`` for plans, ``downtime`` for simulated runs, whose
    orders are counted over all their replications together)."""
    s = change.summary()
    pooled = hours != "eta"
    whose = " (all replications together)" if pooled else ""
    console.print(
        f"{s['orders']:,} orders{whose}: [green]{s['gaining']:,} gain[/], "
        f"[red]{s['losing']:,} lose[/], "
        f"{s['unchanged']:,} unchanged, {s['only_in_a']:,} only in A, "
        f"{s['only_in_b']:,} only in B; units {s['units_a']:,} → {s['units_b']:,}"
    )
    table = change.by(level)
    if level == "order":
        table = table[table["change"] != "same"]
        if table.empty:
            console.print("no order gains or loses")
            return
        key = ["order_id", "customer_id", "priority_class", "change"]
    else:
        key = [level, "orders", "gaining", "losing"]
    compact = table[key].copy()
    compact["units A → B"] = [
        _moved(a, b) for a, b in zip(table["units_a"], table["units_b"], strict=True)
    ]
    label = "ETA" if hours == "eta" else hours
    compact[f"mean {label} h A → B"] = [
        _moved(a, b) for a, b in zip(table["eta_hours_a"], table["eta_hours_b"], strict=True)
    ]
    title = f"By {level.replace('_', ' ')}"
    if pooled and level != "order":
        title += " (orders of all replications together)"
    _print_frame(console, compact, title, max_rows)


def show_protection(console: Console, report: ProtectionReport, currency: str = "USD") -> None:
    """What the levels change for each class, and what sits on the protected shelves; money
    in ``currency``."""
    by_class = report.by_class()
    compact = by_class[["priority_class", "orders", "orders_losing"]].copy()
    compact["units without → with"] = [
        _moved(a, b) for a, b in zip(by_class["units_without"], by_class["units_with"], strict=True)
    ]
    compact["mean ETA h without → with"] = [
        _moved(a, b)
        for a, b in zip(by_class["eta_hours_without"], by_class["eta_hours_with"], strict=True)
    ]
    _print_frame(console, compact, "By priority class", 10)
    held = report.held()
    if held.empty:
        console.print("no stock on hand under any of these levels")
    else:
        _print_frame(console, held, "Protected shelves", 30)
    s = report.summary()
    console.print(
        f"cost without levels {format_number(s['cost_without'], 2)} {currency}, "
        f"with {format_number(s['cost_with'], 2)} {currency}; "
        f"{int(held['idle'].sum()) if len(held) else 0:,} protected unit(s) idle, "
        "kept for parts-priority orders yet to come"
    )


def _moved(a: object, b: object) -> str:
    """'5 → 4 (−1)': a value in A, in B, and the change."""
    first, second = _cell(a), _cell(b)
    try:
        delta = float(b) - float(a)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f"{first} → {second}"
    if math.isnan(delta):
        return f"{first} → {second}"
    shown = format_number(delta, 0 if float(delta).is_integer() else 1, signed=True)
    if shown in ("0", "0.0"):
        return f"{first} → {second}"
    return f"{first} → {second} ({shown})"


def _print_frame(console: Console, frame: pd.DataFrame, title: str, max_rows: int) -> None:
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(
            str(column).replace("_", " "), justify="left" if column in _TEXT else "right"
        )
    for row in frame.head(max_rows).itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    console.print(table)
    if len(frame) > max_rows:
        console.print(f"... and {len(frame) - max_rows:,} more (use --json)")


def _cell(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        return "–" if math.isnan(value) else format_number(float(value))
    return "–" if value is None else escape(str(value))
