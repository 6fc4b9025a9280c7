"""Commands that plan: ``allocate``, ``marginal``, ``generate``, ``diff`` and ``protect``,
and the plan views the simulator's commands share.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from allocation.entrypoints._app import app
from allocation.entrypoints._arguments import (
    AsJsonArray,
    AsJsonDocument,
    PolicyFile,
    SnapshotDir,
    Strategy,
    known_strategy,
    policies,
)
from allocation.entrypoints.output import print_json
from allocation.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from allocation.domain.snapshot import Snapshot

    OutcomeReader = Callable[[Path, Snapshot | None], pd.DataFrame]


# The engine, pandas and the views are imported inside the commands that use them, so that
# ``--help``, ``--version`` and a command's own usage errors answer at once.
@app.command()
def allocate(
    snapshot: SnapshotDir,
    policy: PolicyFile = None,
    strategy: Strategy = "optimal",
    as_json: AsJsonDocument = False,
    out: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="write lines to .csv/.parquet/.json (unfilled, and backups when the policy "
            "holds them, beside it)",
        ),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, metavar="N", help="local worker processes")] = 1,
    dask: Annotated[
        str | None, typer.Option(metavar="ADDRESS", help="Dask scheduler address, or 'local'")
    ] = None,
    previous: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="a previous plan (--out or --json file): report the churn, and price it "
            "with the policy's churn_penalty",
        ),
    ] = None,
) -> None:
    """Decide who gets which units from which source; show fill, cost and the unfilled."""
    from allocation.adapters.sharded_snapshot import SnapshotFiles
    from allocation.engine import plan_tables_from
    from allocation.entrypoints.output import stream_json, write_frames
    from allocation.entrypoints.views import show_plan

    if as_json and out is not None:
        raise typer.BadParameter("use either --json or --out, not both")
    known_strategy(strategy)
    ent, alloc = policies(policy)
    before = None
    if previous is not None:
        from allocation.adapters.plan_files import read_previous_lines

        before = read_previous_lines(previous)
    plan = plan_tables_from(
        SnapshotFiles(snapshot), alloc, ent, strategy, workers, dask, previous=before
    )
    if before is not None:
        plan = plan.with_previous(before)
    if as_json:
        stream_json(
            [
                ("strategy", plan.strategy),
                ("as_of", plan.as_of.isoformat()),
                ("lines", plan.lines),
                ("unfilled", plan.unfilled),
                *([("churn", plan.churn.table)] if plan.churn is not None else []),
                *([("backups", plan.backups)] if plan.backups is not None else []),
                ("summary", plan.summary()),
            ]
        )
        return
    if out is not None:
        unfilled_path = out.with_name(f"{out.stem}.unfilled{out.suffix}")
        frames = [(plan.lines, out), (plan.unfilled, unfilled_path)]
        held = ""
        if plan.backups is not None:  # the policy's broker_backup: held units beside them
            backups_path = out.with_name(f"{out.stem}.backups{out.suffix}")
            frames.append((plan.backups, backups_path))
            held = f" and {len(plan.backups)} backup lines to {backups_path}"
        write_frames(frames)
        Console(soft_wrap=True).print(
            f"wrote {len(plan.lines)} allocation lines to {out} and "
            f"{len(plan.unfilled)} unfilled to {unfilled_path}{held}",
            markup=False,
            highlight=False,
        )
        return
    show_plan(Console(), plan, currency=alloc.currency)


@app.command()
def marginal(
    snapshot: SnapshotDir,
    policy: PolicyFile = None,
    top: Annotated[int, typer.Option(min=1, metavar="N", help="rows to show")] = 20,
    as_json: AsJsonArray = False,
) -> None:
    """What one more unit of each short part at each depot would buy, best first."""
    from allocation.adapters.snapshot import load_snapshot
    from allocation.engine import Engine, records
    from allocation.entrypoints.views import show_marginal

    ent, alloc = policies(policy)
    values = Engine(load_snapshot(snapshot), alloc, ent).marginal()
    if as_json:
        print_json(records(values.head(top)))
        return
    show_marginal(Console(), values, top=top, currency=alloc.currency)


@app.command()
def generate(
    out: Annotated[Path, typer.Option(metavar="DIR", help="folder to write the snapshot into")],
    orders: Annotated[int, typer.Option(min=1, metavar="N", help="open order lines")] = 10_000,
    parts: Annotated[int, typer.Option(min=1, metavar="N", help="parts in the catalogue")] = 1_000,
    depots: Annotated[
        int, typer.Option(min=1, metavar="N", help="depots over the three regions")
    ] = 30,
    seed: Annotated[
        int, typer.Option(min=0, metavar="N", help="random seed (same seed, same world)")
    ] = 0,
    coverable_share: Annotated[
        float, typer.Option(metavar="SHARE", help="share of demanded units that supply can cover")
    ] = 0.7,
    fmt: Annotated[
        str, typer.Option("--format", metavar="csv|parquet", help="csv or parquet")
    ] = "csv",
    overwrite: Annotated[bool, typer.Option(help="replace tables in a non-empty folder")] = False,
) -> None:
    """Write a synthetic snapshot: realistic customers, a Pareto demand, and a shortage."""
    from allocation.adapters.files import atomic_folder
    from allocation.adapters.synthetic import generate_world, write_world

    if fmt not in ("csv", "parquet"):
        raise typer.BadParameter(
            f"unknown format {fmt!r} (use csv or parquet)", param_hint="--format"
        )
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise InputError(f"{out}: folder is not empty (pass --overwrite to replace tables)")
    tables = generate_world(orders, parts, depots, seed, coverable_share=coverable_share)
    with atomic_folder(out) as folder:  # every table appears at once, or none
        write_world(tables, folder, fmt)  # type: ignore[arg-type]
    sizes = ", ".join(f"{name} {len(frame):,}" for name, frame in tables.items())
    Console(soft_wrap=True).print(
        f"wrote snapshot to {out}: {sizes}", markup=False, highlight=False
    )


@app.command("diff")
def diff_plans(
    plan_a: Annotated[
        Path, typer.Argument(metavar="A", help="plan A: a file written by `allocate --out`")
    ],
    plan_b: Annotated[
        Path, typer.Argument(metavar="B", help="plan B: a file written by `allocate --out`")
    ],
    by: Annotated[
        str,
        typer.Option(metavar="LEVEL", help="customer, country, priority_class (default) or order"),
    ] = "priority_class",
    snapshot: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="snapshot folder the orders come from (names customers, countries)",
        ),
    ] = None,
    as_json: AsJsonDocument = False,
) -> None:
    """Who gains and who loses from plan A to plan B: units and ETA hours."""
    show_plan_diff(plan_a, plan_b, by, snapshot, as_json)


def show_plan_diff(
    plan_a: Path,
    plan_b: Path,
    by: str,
    snapshot: Path | None,
    as_json: bool,
    reader: OutcomeReader | None = None,
    hours: str = "eta",
) -> None:
    """The body of ``diff``; ``reader`` turns a path into per-order outcomes.

    A command that compares other results (a simulation's output folders, say) passes a
    reader that understands them and falls back to :func:`read_outcomes` for plan files, and
    names what their unit hours measure (``hours="downtime"``): the tables then say mean
    downtime where plans say mean ETA. Plan files are read with
    :func:`allocation.whatif.read_outcomes` when no reader is given.
    """
    from allocation.adapters.snapshot import load_snapshot
    from allocation.engine import records
    from allocation.entrypoints.whatif_views import show_diff
    from allocation.whatif.diff import LEVELS, diff
    from allocation.whatif.outcomes import read_outcomes

    if by not in LEVELS:
        raise typer.BadParameter(
            f"unknown level {by!r} (use one of {', '.join(LEVELS)})", param_hint="--by"
        )
    snap = load_snapshot(snapshot) if snapshot is not None else None
    read = reader or read_outcomes
    a, b = read(plan_a, snap), read(plan_b, snap)
    if by in ("customer", "country") and (
        a["customer_id"].isna().all() or b["customer_id"].isna().all()
    ):
        raise InputError(
            f"plan files do not say which {by} each order belongs to: "
            "give --snapshot DIR, the snapshot the plans were made from"
        )
    change = diff(a, b)
    if as_json:
        rows = [_renamed(r, hours) for r in records(change.by(by))]
        summary = change.summary()
        summary["by_priority_class"] = [_renamed(r, hours) for r in summary["by_priority_class"]]
        print_json({"summary": summary, "by": by, "hours": hours, "rows": rows})
        return
    show_diff(Console(), change, by, hours=hours)


@app.command()
def protect(
    snapshot: SnapshotDir,
    levels: Annotated[
        Path,
        typer.Option(
            metavar="FILE",
            help="protection levels: depot_id, part_number, level (.csv/.parquet)",
        ),
    ],
    default: Annotated[
        int,
        typer.Option(
            min=0, metavar="N", help="level of every depot and part the file does not list"
        ),
    ] = 0,
    policy: PolicyFile = None,
    strategy: Strategy = "optimal",
    as_json: AsJsonDocument = False,
) -> None:
    """Allocate with and without protection levels: what they buy each class, what they cost."""
    show_plan_protection(snapshot, levels, default, policy, strategy, as_json)


def show_plan_protection(
    snapshot: Path,
    levels: Path,
    default: int,
    policy: Path | None,
    strategy: str,
    as_json: bool,
) -> None:
    """The body of ``protect`` for one snapshot (a command with more modes calls it too)."""
    from allocation.adapters.protection_file import load_protection_levels
    from allocation.adapters.snapshot import load_snapshot
    from allocation.entrypoints.whatif_views import show_protection
    from allocation.whatif.protection import compare_protection

    known_strategy(strategy)
    ent, alloc = policies(policy)
    chosen = load_protection_levels(levels, default)
    report = compare_protection(load_snapshot(snapshot), chosen, alloc, strategy, ent)
    if as_json:
        print_json(report.summary())
        return
    show_protection(Console(), report, currency=alloc.currency)


def _renamed(row: dict[str, object], hours: str) -> dict[str, object]:
    """A row for JSON: ``eta`` in its keys named for what the hours measure, NaN as null."""
    return {k.replace("eta", hours): _json_value(v) for k, v in row.items()}


def _json_value(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
