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
import math
import multiprocessing as mp
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from datetime import date
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from typer.exceptions import Abort, Exit, TyperException

from allocation.entrypoints._help import App
from allocation.entrypoints.output import print_json
from allocation.errors import AllocationError, InputError

if TYPE_CHECKING:
    import pandas as pd

    from allocation.domain.entitlement import EntitlementPolicy
    from allocation.domain.policy import AllocationPolicy
    from allocation.domain.snapshot import Snapshot

    OutcomeReader = Callable[[Path, Snapshot | None], pd.DataFrame]

# The engine, pandas and the views are imported inside the commands that use them, so that
# ``--help``, ``--version`` and a command's own usage errors answer at once.

__all__ = ["app", "main"]

app = App(
    name="parts-priority",
    help="Parts-allocation priority engine: Priority Management customers first.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_OK, EXIT_UNEXPECTED, EXIT_INPUT = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143
"""128 + the signal's number, as shells report a command a signal ended."""
_err = Console(stderr=True)


def parse_day(value: str | None, option: str = "--on") -> date | None:
    """An ISO date from the command line, or a usage error naming it and its option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (use YYYY-MM-DD)", param_hint=option
        ) from None


def policies(path: Path | None) -> tuple[EntitlementPolicy, AllocationPolicy]:
    """Both sections of a policy file, or the data sheet's defaults."""
    from allocation.adapters.policy_file import (
        allocation_policy_from,
        entitlement_policy_from,
        load_policy_sections,
    )
    from allocation.domain.entitlement import EntitlementPolicy
    from allocation.domain.policy import AllocationPolicy

    if path is None:
        return EntitlementPolicy(), AllocationPolicy()
    sections = load_policy_sections(path)
    where = str(path)
    alloc = (
        allocation_policy_from(sections["allocation"], where, base_dir=path.parent)
        if "allocation" in sections
        else AllocationPolicy()
    )
    return entitlement_policy_from(sections.get("entitlement", {}), where), alloc


def known_strategy(name: str, option: str = "--strategy", noun: str = "strategy") -> str:
    """``name`` if it is an allocation strategy, else a usage error naming the option, the
    value and the strategies there are (``noun``: what the option calls one)."""
    from allocation.allocate import STRATEGIES

    if name not in STRATEGIES:
        raise typer.BadParameter(
            f"unknown {noun} {name!r} (use one of {', '.join(STRATEGIES)})", param_hint=option
        )
    return name


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


PolicyFile = Annotated[
    Path | None,
    typer.Option(metavar="FILE", help="policy YAML (sections 'entitlement', 'allocation')"),
]
EntitlementPolicyFile = Annotated[
    Path | None, typer.Option(metavar="FILE", help="policy YAML (section 'entitlement')")
]
SnapshotDir = Annotated[
    Path, typer.Option(metavar="DIR", help="snapshot folder (one file per table)")
]
Strategy = Annotated[
    str, typer.Option(metavar="STRATEGY", help="optimal (default), fifo or tier_greedy")
]
AsJsonDocument = Annotated[bool, typer.Option("--json", help="print one JSON document")]
AsJsonArray = Annotated[bool, typer.Option("--json", help="print one JSON array")]
ReportRun = Annotated[
    Path | None,
    typer.Option(metavar="DIR", help="a folder that `simulate SCENARIO --out DIR` wrote"),
]


@app.command()
def entitle(
    customers: Annotated[
        Path, typer.Option(metavar="FILE", help="customers table (.csv or .parquet)")
    ],
    contracts: Annotated[
        Path, typer.Option(metavar="FILE", help="contracts table (.csv or .parquet)")
    ],
    orders: Annotated[Path, typer.Option(metavar="FILE", help="orders table (.csv or .parquet)")],
    on: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="decide as of this day (YYYY-MM-DD); default: order day"),
    ] = None,
    policy: EntitlementPolicyFile = None,
    as_json: AsJsonArray = False,
    out: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="write decisions to .csv, .parquet or .json"),
    ] = None,
) -> None:
    """Decide each order line's priority class and tier, with the reasons."""
    from allocation.adapters.inputs import load_entitlement_inputs
    from allocation.entitle import entitle as run_entitle
    from allocation.entrypoints.output import write_frame
    from allocation.entrypoints.views import show_entitlement

    if as_json and out is not None:
        raise typer.BadParameter("use either --json or --out, not both")
    day = parse_day(on)
    pol = policies(policy)[0]
    inputs = load_entitlement_inputs(customers, contracts, orders)
    report = run_entitle(inputs, on=day, policy=pol)
    if as_json:
        print_json(report.to_records())
        return
    if out is not None:
        write_frame(report.to_pandas(), out, report.to_records())
        Console(soft_wrap=True).print(
            f"wrote {len(report.decisions)} decisions to {out}", markup=False, highlight=False
        )
        return
    show_entitlement(Console(), report)


@app.command()
def audit(
    customers: Annotated[
        Path, typer.Option(metavar="FILE", help="customers table (.csv or .parquet)")
    ],
    contracts: Annotated[
        Path,
        typer.Option(metavar="FILE", help="contracts table; an optional covered_units column"),
    ],
    orders: Annotated[
        Path | None, typer.Option(metavar="FILE", help="open orders table (optional)")
    ] = None,
    on: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="audit as of this day (YYYY-MM-DD); default: last order"),
    ] = None,
    policy: EntitlementPolicyFile = None,
    margin: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0, metavar="SHARE", help="how close above a tier minimum to flag"
        ),
    ] = 0.1,
    expiring_days: Annotated[
        int,
        typer.Option(min=0, metavar="DAYS", help="flag contracts that end within this many days"),
    ] = 60,
    as_json: AsJsonDocument = False,
    out: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="write the findings to .csv, .parquet or .json"),
    ] = None,
) -> None:
    """Audit a customer base: coverage, installed base near its minimum, contracts ending or
    not yet started, Priority Management sites in excluded countries, uncovered products."""
    from allocation.adapters.inputs import load_entitlement_inputs
    from allocation.audit import audit as run_audit
    from allocation.entrypoints.output import write_frame
    from allocation.entrypoints.views import show_audit

    if as_json and out is not None:
        raise typer.BadParameter("use either --json or --out, not both")
    day = parse_day(on)
    pol = policies(policy)[0]
    inputs = load_entitlement_inputs(customers, contracts, orders)
    report = run_audit(inputs, on=day, policy=pol, margin=margin, expiring_days=expiring_days)
    if as_json:
        print_json({"summary": report.summary(), "findings": report.to_records()})
        return
    if out is not None:
        write_frame(report.to_pandas(), out, report.to_records())
        Console(soft_wrap=True).print(
            f"wrote {len(report.findings)} finding(s) to {out}", markup=False, highlight=False
        )
        return
    show_audit(Console(), report)


@app.command()
def report(
    db: Annotated[
        str | None,
        typer.Option(metavar="URL", help="the service's database URL: what actually happened"),
    ] = None,
    run: ReportRun = None,
    customer: Annotated[
        str | None, typer.Option(metavar="ID", help="the customer to report on")
    ] = None,
    all_customers: Annotated[
        bool,
        typer.Option(
            "--all-customers", help="one report per PA+ and PM customer, into the --out folder"
        ),
    ] = False,
    period: Annotated[
        str | None,
        typer.Option(
            metavar="PERIOD", help="2026-Q3 or 2026-07; default: everything the facts hold"
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", metavar="json|html", help="json (default) or html")
    ] = "json",
    out: Annotated[
        Path | None,
        typer.Option(metavar="PATH", help="write the report here (with --all-customers: a folder)"),
    ] = None,
    target_hours: Annotated[
        float | None,
        typer.Option(metavar="HOURS", help="the downtime target (database default: 24)"),
    ] = None,
) -> None:
    """A customer's performance report for a month or quarter: orders, downtime against the
    target, sources and spend, lost parts priority, backorders and their root causes, and
    the action items. JSON goes to standard output unless --out is given."""
    from allocation.adapters.files import atomic_folder, atomic_write
    from allocation.reporting import report as make_report
    from allocation.reporting import report_facts
    from allocation.reports import parse_period, reports_for_all

    source = _report_source(db, run)
    if fmt not in ("json", "html"):
        raise typer.BadParameter(
            f"unknown format {fmt!r} (use json or html)", param_hint="--format"
        )
    if all_customers == (customer is not None):
        raise typer.BadParameter("give either --customer C or --all-customers")
    chosen = parse_period(period) if period is not None else None
    if not all_customers:
        assert customer is not None
        result = make_report(source, customer, chosen, target_hours=target_hours)
        text = result.to_html() if fmt == "html" else result.to_json()
        if out is None:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            return
        atomic_write(out, _text_writer(text))
        Console(stderr=True, soft_wrap=True).print(
            f"wrote the report of {customer} to {out}", markup=False, highlight=False
        )
        return
    if out is None:
        raise typer.BadParameter("--all-customers writes a folder: give it with --out")
    every = reports_for_all(report_facts(source, target_hours=target_hours), chosen)
    with atomic_folder(out) as folder:
        for one in every:
            text = one.to_html() if fmt == "html" else one.to_json()
            (folder / f"{_file_stem(one.customer_id)}.{fmt}").write_text(text, encoding="utf-8")
    Console(stderr=True, soft_wrap=True).print(
        f"wrote {len(every)} report(s) to {out}", markup=False, highlight=False
    )


@app.command("root-causes")
def root_causes(
    by: Annotated[
        str,
        typer.Option(
            metavar="LEVEL", help="part_number, depot_id, country, customer_id, month or quarter"
        ),
    ],
    db: Annotated[
        str | None, typer.Option(metavar="URL", help="the service's database URL")
    ] = None,
    run: ReportRun = None,
    target_hours: Annotated[
        float | None, typer.Option(metavar="HOURS", help="the downtime target")
    ] = None,
    as_json: AsJsonDocument = False,
    out: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="write the table to .csv, .parquet or .json"),
    ] = None,
) -> None:
    """Backorders and late orders by root-cause code, rolled up by part, depot, country,
    customer, month or quarter, largest lost hours first."""
    from allocation.entrypoints.output import write_frame
    from allocation.reporting import report_facts
    from allocation.reports import root_cause_rollup

    if as_json and out is not None:
        raise typer.BadParameter("use either --json or --out, not both")
    facts = report_facts(_report_source(db, run), target_hours=target_hours)
    table = root_cause_rollup(facts, by)
    rows = [{str(k): v for k, v in row.items()} for row in table.to_dict("records")]
    if as_json:
        print_json({"by": by, "target_hours": facts.target_hours, "rows": rows})
        return
    if out is not None:
        write_frame(table, out, rows)
        Console(soft_wrap=True).print(
            f"wrote {len(table)} row(s) to {out}", markup=False, highlight=False
        )
        return
    Console().print(table.to_string(index=False) if len(table) else "no root causes")


def _report_source(db: str | None, run: Path | None) -> str | Path:
    if (db is None) == (run is None):
        raise typer.BadParameter("give either --db URL or --run DIR")
    return db if db is not None else run  # type: ignore[return-value]


def _text_writer(text: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    return write


def _file_stem(customer_id: str) -> str:
    """A file name for a customer id: letters, digits, '-', '_' and '.' kept, others '_'."""
    kept = "".join(c if c.isalnum() or c in "-_." else "_" for c in customer_id)
    return kept.lstrip(".") or "_"


@app.command()
def allocate(
    snapshot: SnapshotDir,
    policy: PolicyFile = None,
    strategy: Strategy = "optimal",
    as_json: AsJsonDocument = False,
    out: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="write lines to .csv/.parquet/.json (unfilled beside it)"
        ),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, metavar="N", help="local worker processes")] = 1,
    dask: Annotated[
        str | None, typer.Option(metavar="ADDRESS", help="Dask scheduler address, or 'local'")
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
    plan = plan_tables_from(SnapshotFiles(snapshot), alloc, ent, strategy, workers, dask)
    if as_json:
        stream_json(
            [
                ("strategy", plan.strategy),
                ("as_of", plan.as_of.isoformat()),
                ("lines", plan.lines),
                ("unfilled", plan.unfilled),
                ("summary", plan.summary()),
            ]
        )
        return
    if out is not None:
        unfilled_path = out.with_name(f"{out.stem}.unfilled{out.suffix}")
        write_frames([(plan.lines, out), (plan.unfilled, unfilled_path)])
        Console(soft_wrap=True).print(
            f"wrote {len(plan.lines)} allocation lines to {out} and "
            f"{len(plan.unfilled)} unfilled to {unfilled_path}",
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


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="database URL (default: $PARTS_PRIORITY_DB, else sqlite:///parts-priority.db)",
    ),
]


@app.command()
def load(
    snapshot: SnapshotDir,
    db: DbOption = None,
    replace: Annotated[
        bool, typer.Option(help="replace a database that already holds a load")
    ] = False,
) -> None:
    """Load master data, supply and open orders into the service's database, with a plan."""
    from allocation.service.server import load_database

    summary = load_database(snapshot, db, replace)
    Console().print(
        f"loaded {summary.parts:,} parts ({summary.part_groups:,} groups), "
        f"{summary.depots:,} depots, {summary.customers:,} customers, {summary.orders:,} "
        f"open orders: {summary.units_allocated:,} units allocated, "
        f"{summary.units_backordered:,} backordered"
    )


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(metavar="ADDRESS", help="address to listen on")] = (
        "127.0.0.1"
    ),
    port: Annotated[
        int, typer.Option(min=1, max=65535, metavar="PORT", help="port to listen on")
    ] = 8000,
    workers: Annotated[int, typer.Option(min=1, metavar="N", help="server processes")] = 1,
    token_file: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="file with the accepted bearer tokens, one per line"),
    ] = None,
    no_auth: Annotated[
        bool, typer.Option(help="accept requests without a token (local use only)")
    ] = False,
    max_body: Annotated[
        int, typer.Option(min=1024, metavar="BYTES", help="largest request body, bytes")
    ] = 1_048_576,
    max_lines: Annotated[
        int, typer.Option(min=1, metavar="N", help="most lines in one batch")
    ] = 1_000,
    writer: Annotated[
        str | None,
        typer.Option(
            metavar="process|thread",
            help="where writes run: 'process' (a child process per server process, the "
            "default) or 'thread' (a thread of the server process)",
        ),
    ] = None,
    open_docs: Annotated[
        bool, typer.Option(help="serve /docs, /redoc and /openapi.json without a token")
    ] = False,
    open_metrics: Annotated[
        bool, typer.Option(help="serve /metrics without a token (a scraper on a trusted network)")
    ] = False,
    max_header: Annotated[
        int,
        typer.Option(
            min=1024, metavar="BYTES", help="largest request line and headers, bytes (else 431)"
        ),
    ] = 16_384,
    read_timeout: Annotated[
        float,
        typer.Option(
            min=0.1,
            max=3600,
            metavar="SECONDS",
            help="seconds to receive a whole request (else 408)",
        ),
    ] = 20.0,
    keep_alive: Annotated[
        int,
        typer.Option(
            min=1, metavar="SECONDS", help="seconds an idle keep-alive connection stays open"
        ),
    ] = 5,
    worker_healthcheck: Annotated[
        int,
        typer.Option(
            min=1,
            metavar="SECONDS",
            help="seconds a worker may take to answer uvicorn's health check",
        ),
    ] = 60,
    log_level: Annotated[
        str, typer.Option(metavar="LEVEL", help="critical, error, warning, info or debug")
    ] = "info",
    log_format: Annotated[
        str, typer.Option(metavar="text|json", help="text, or json (one object a line)")
    ] = "text",
    access_log: Annotated[
        bool, typer.Option(help="log each request: method, path, status, ms, client")
    ] = True,
) -> None:
    """Run the HTTP service (OpenAPI docs at /docs); the token comes from
    $PARTS_PRIORITY_TOKEN or --token-file."""
    from allocation.service.logs import LEVELS, LOG_FORMATS
    from allocation.service.server import ServeOptions, serve_forever, settings_for_serve
    from allocation.service.settings import ConnectionLimits

    if log_level not in LEVELS:
        raise typer.BadParameter(
            f"--log-level must be one of {', '.join(LEVELS)}, got {log_level!r}"
        )
    if log_format not in LOG_FORMATS:
        raise typer.BadParameter(
            f"--log-format must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}"
        )
    settings, env = settings_for_serve(
        db,
        token_file,
        no_auth,
        max_body,
        max_lines,
        writer,
        open_docs=open_docs,
        open_metrics=open_metrics,
        limits=ConnectionLimits(max_header, read_timeout),
    )
    if settings.no_auth:
        _err.print("warning: --no-auth: any local process can change allocations")
    options = ServeOptions(
        host, port, workers, log_level, log_format, access_log, keep_alive, worker_healthcheck
    )
    serve_forever(settings, env, options)


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
