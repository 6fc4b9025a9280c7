"""Commands about who is entitled and how they were served: ``entitle``, ``audit``,
``report`` and ``root-causes``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from allocation.entrypoints._app import app
from allocation.entrypoints._arguments import (
    AsJsonArray,
    AsJsonDocument,
    EntitlementPolicyFile,
    ReportRun,
    parse_day,
    policies,
)
from allocation.entrypoints.output import print_json


# The engine, pandas and the views are imported inside the commands that use them, so that
# ``--help``, ``--version`` and a command's own usage errors answer at once.
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
