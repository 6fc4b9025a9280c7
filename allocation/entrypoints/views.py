"""Terminal views (rich): tables and summaries for people, never for machines."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from allocation.entitle import EntitlementReport

__all__ = ["show_entitlement"]

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
            record["order_id"],
            record["customer_id"],
            record["country"],
            f"[{style}]{klass}[/]" if style else klass,
            record["tier"],
            reason,
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
