"""The ``move`` command: move units from one order to another, with the impact first.

``parts-priority move --snapshot DIR --from-order A --to-order B`` shows who loses what,
level by level and order by order; ``--apply`` then writes the firm line into the
snapshot folder's ``overrides`` table (:mod:`allocation.engine._moves`).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from allocation.entrypoints._app import app
from allocation.entrypoints._arguments import AsJsonDocument, PolicyFile, SnapshotDir, policies
from allocation.entrypoints.output import print_json


@app.command()
def move(
    snapshot: SnapshotDir,
    from_order: Annotated[str, typer.Option(metavar="A", help="the order that gives units")],
    to_order: Annotated[str, typer.Option(metavar="B", help="the order that takes them")],
    units: Annotated[
        int | None, typer.Option(metavar="N", help="units to move (default: the whole line)")
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(metavar="KIND:ORIGIN", help="A's line to move (default: its best ETA)"),
    ] = None,
    policy: PolicyFile = None,
    as_json: AsJsonDocument = False,
    apply: Annotated[
        bool, typer.Option("--apply", help="write the firm line into the snapshot's overrides")
    ] = False,
) -> None:
    """Preview moving units from order A to order B: who loses what; --apply to make it."""
    from allocation.adapters.overrides_file import write_overrides
    from allocation.adapters.snapshot import load_snapshot
    from allocation.engine import Engine

    named = _source(source)
    ent, alloc = policies(policy)
    impact = Engine(load_snapshot(snapshot), alloc, ent).preview_move(
        from_order, to_order, units, named
    )
    written = write_overrides(snapshot, impact.overrides) if apply else None
    if as_json:
        summary = impact.summary()
        summary["orders"] = [
            _plain({str(k): v for k, v in r.items()})
            for r in impact.orders.to_dict(orient="records")
        ]
        summary["applied"] = None if written is None else str(written)
        print_json(summary)
        return
    _show(Console(), impact, written)


def _source(raw: str | None) -> tuple[str, str] | None:
    if raw is None:
        return None
    kind, _, origin = raw.partition(":")
    if not kind or not origin:
        raise typer.BadParameter(
            f"{raw!r}: give KIND:ORIGIN, e.g. stock:D-US", param_hint="--source"
        )
    return kind, origin


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}


def _show(console: Console, impact: Any, written: Any) -> None:
    console.print(f"[bold]{impact.firm.describe()}[/bold] (from {impact.from_order})")
    levels = Table("level", "before", "after", "change", title="objective, level by level")
    for r in impact.levels.itertuples(index=False):
        levels.add_row(str(r.level), f"{r.before:g}", f"{r.after:g}", f"{r.change:+g}")
    console.print(levels)
    orders = Table(
        "order",
        "class",
        "units before",
        "units after",
        "ETA h before",
        "ETA h after",
        title="orders that change",
    )
    for r in impact.orders.itertuples(index=False):
        orders.add_row(
            str(r.order_id),
            str(r.priority_class),
            str(r.units_before),
            str(r.units_after),
            _hours(r.eta_before),
            _hours(r.eta_after),
        )
    console.print(orders)
    if written is None:
        console.print("preview only: pass --apply to write the firm line")
    else:
        console.print(f"wrote the firm line to {written}", markup=False)


def _hours(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:g}"
