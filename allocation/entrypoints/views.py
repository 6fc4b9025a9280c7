"""Terminal views (rich): tables and summaries for people, never for machines.

Money carries the policy's currency code (``allocation.currency``, USD by default).
"""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from allocation.audit import AuditReport
from allocation.engine import Plan, PlanTables
from allocation.entitle import EntitlementReport
from allocation.entrypoints._numbers import format_number

__all__ = ["show_audit", "show_entitlement", "show_marginal", "show_plan"]

_RULE_WORDS = {
    "parts_priority_excluded": "country excludes parts priority",
    "contract": "no active contract for the product",
    "coverage": "country outside coverage",
    "product": "product not covered",
    "warranty": "no valid warranty",
    "it_helpdesk": "no IT help desk",
    "installed_base": "installed base below minimum",
    "parts_priority": "tier has no parts priority",
}


def show_audit(console: Console, report: AuditReport) -> None:
    """The findings, customer by customer, and how many customers each code concerns."""
    summary = report.summary()
    if not report.findings:
        console.print(
            f"no finding: {summary['customers']:,} customer(s) audited as of {summary['on']}"
        )
        return
    table = Table(title=f"Entitlement audit as of {summary['on']}")
    for name in ("customer", "finding", "what"):
        table.add_column(name, overflow="fold")
    for finding in report.findings:
        table.add_row(escape(finding.customer_id), finding.code, escape(finding.message))
    console.print(table)
    console.print(
        f"{summary['customers_with_findings']:,} of {summary['customers']:,} customer(s) "
        "with a finding: " + ", ".join(f"{code} {n}" for code, n in summary["by_code"].items()),
        highlight=False,
    )


def show_entitlement(console: Console, report: EntitlementReport) -> None:
    """A table of decisions and a summary of classes and of lost parts priority."""
    table = Table(title="Entitlement decisions", show_lines=False)
    for name in ("order", "customer", "country", "class", "tier", "deciding reason"):
        table.add_column(name, overflow="fold")
    for record in report.to_records():
        failed = [r for r in record["reasons"] if r.startswith(("not entitled", "no parts"))]
        reason = "; ".join(failed) or record["reasons"][-1]
        klass = record["priority_class"]
        style = "bold green" if klass == "parts_priority" else ""
        table.add_row(
            escape(str(record["order_id"])),
            escape(str(record["customer_id"])),
            escape(str(record["country"])),
            f"[{style}]{klass}[/]" if style else klass,
            record["tier"],
            escape(reason),
        )
    console.print(table)
    summary = report.summary()
    pp = summary["by_class"]["parts_priority"]
    console.print(
        f"[bold]{pp}[/] of {summary['orders']} orders have parts priority; "
        f"{summary['by_class']['standard']} are standard."
    )
    tiers = ", ".join(f"{t} {n}" for t, n in summary["by_tier"].items())
    console.print(f"tiers: {tiers}")
    lost = summary["lost_parts_priority"]
    if lost:
        console.print(f"{lost} order(s) of Priority Management contracts lost parts priority:")
        for rule, count in summary["lost_parts_priority_by_rule"].items():
            console.print(f"  {count:>6}  {_RULE_WORDS.get(rule, rule)}")


def show_plan(
    console: Console, plan: Plan | PlanTables, max_unfilled: int = 30, currency: str = "USD"
) -> None:
    """Fill by class and source kind, cost (in ``currency``), worst ETAs, and the unfilled
    with reasons."""
    summary = plan.summary()
    fill = Table(title=f"Allocation ({plan.strategy})")
    # Breaches of response-time targets, only when some order has one.
    targets = any("units_late" in row for row in summary["by_class"].values())
    names = ["class", "orders", "units asked", "units allocated", "fill rate"]
    names += ["with target", "breached", "units late"] if targets else []
    for name in names:
        fill.add_column(name, justify="right" if name != "class" else "left")
    for klass, row in summary["by_class"].items():
        cells = [
            klass,
            f"{row['orders']:,}",
            f"{row['units_requested']:,}",
            f"{row['units_allocated']:,}",
            f"{row['fill_rate']:.1%}",
        ]
        if targets:
            cells += [
                f"{row['orders_with_target']:,}",
                f"{row['orders_breached']:,}",
                f"{row['units_late']:,}",
            ]
        fill.add_row(*cells)
    console.print(fill)
    sources = Table(title="By source kind")
    sources.add_column("source")
    sources.add_column("units", justify="right")
    sources.add_column(f"cost ({currency})", justify="right")
    for kind, units in summary["units_by_source"].items():
        sources.add_row(kind, f"{units:,}", format_number(summary["cost_by_source"][kind], 2))
    sources.add_row("[bold]total[/]", "", f"[bold]{format_number(summary['total_cost'], 2)}[/]")
    console.print(sources)
    if summary["worst_eta"]:
        worst = ", ".join(
            f"{w['order_id']} {w['eta_hours']:.0f} h ({w['source']} {w['origin']})"
            for w in summary["worst_eta"]
        )
        console.print(f"worst ETAs: {escape(worst)}")
    if "firm_units" in summary:
        console.print(f"firm (planner overrides): {summary['firm_units']:,} unit(s)")
    if "churn" in summary:
        churn = summary["churn"]
        console.print(
            f"churn against the previous plan: {churn['units_moved']:,} of "
            f"{churn['previous_units']:,} unit(s) moved, in {churn['lines_moved']:,} line(s) "
            f"of {churn['orders_moved']:,} order(s)"
        )
    unfilled = plan.unfilled
    if len(unfilled):
        table = Table(title=f"Unfilled ({len(unfilled):,} orders)")
        for name in ("order", "part", "units", "class", "reason"):
            table.add_column(name, overflow="fold")
        for row in unfilled.head(max_unfilled).itertuples(index=False):
            table.add_row(
                escape(str(row.order_id)),
                escape(str(row.part_number)),
                str(row.quantity),
                str(row.priority_class),
                escape(str(row.reason)),
            )
        console.print(table)
        if len(unfilled) > max_unfilled:
            console.print(f"... and {len(unfilled) - max_unfilled:,} more (use --out or --json)")
    else:
        console.print("every order is filled")


def show_marginal(
    console: Console, values: pd.DataFrame, top: int = 20, currency: str = "USD"
) -> None:
    """What one more unit of a part at a depot buys, best first, the first ``top`` rows.

    Every number reads the same way, more is better: units gained, ETA unit-hours saved (the
    change in the class's units × hours to arrival, sign reversed) and money saved (the
    change in cost, sign reversed). Whole units print whole (``+1``). Part × depot pairs
    where one more unit changes nothing are left out, and counted.
    """
    if values.empty:
        console.print("no order is short of a part: one more unit anywhere buys nothing")
        return
    keys = [c for c in values.columns if c not in ("part_number", "depot_id")]
    buys = values[(values[keys] != 0).any(axis=1)]
    nothing = len(values) - len(buys)
    if buys.empty:
        console.print(
            f"one more unit buys nothing at any of the {len(values):,} part × depot pairs tried"
        )
        return
    table = Table(title="One more unit would buy (best first; in every column more is better)")
    table.add_column("part number")
    table.add_column("depot")
    for key in keys:
        table.add_column(_marginal_header(key, currency), justify="right")
    for row in buys.head(top).to_dict("records"):
        cells = [_marginal_cell(key, float(row[key])) for key in keys]
        table.add_row(escape(str(row["part_number"])), escape(str(row["depot_id"])), *cells)
    console.print(table)
    console.print(
        "[dim]units gained rank first; ETA unit-hours (units × hours until they arrive) and "
        "money break ties, and a unit gained brings its own hours and cost[/]"
    )
    if len(buys) > top:
        console.print(f"... and {len(buys) - top:,} more (use a larger --top)")
    if nothing:
        console.print(
            f"{nothing:,} part × depot pair(s) where one more unit buys nothing left out",
            highlight=False,
        )


def _marginal_header(key: str, currency: str) -> str:
    if key == "cost":
        return f"money saved ({currency})"
    if key.endswith("_units"):
        return f"{key.removesuffix('_units').replace('_', ' ')} units gained"
    if key.endswith("_eta_hours"):
        return f"{key.removesuffix('_eta_hours').replace('_', ' ')} ETA unit-h saved"
    return key.replace("_", " ")


def _marginal_cell(key: str, change: float) -> str:
    """A change as a gain: units as they are, hours and cost with the sign reversed."""
    if key.endswith("_units"):
        return format_number(change, 0 if change.is_integer() else 1, signed=True)
    if key.endswith("_eta_hours"):
        return format_number(-change, 1, signed=True)
    if key == "cost":
        return format_number(-change, 2, signed=True)
    return format_number(change, 1, signed=True)
