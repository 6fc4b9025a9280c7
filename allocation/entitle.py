"""The entitle use case: decide every order line of a set of tables and summarise the result.

The CLI, the service, the simulator and notebooks all call :func:`entitle`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from allocation.domain.entitlement import EntitlementDecision, EntitlementPolicy, entitle_orders
from allocation.domain.model import PriorityClass, Tier
from allocation.domain.rulebook import Rulebook
from allocation.domain.snapshot import EntitlementInputs
from allocation.engine import html_block, html_table

__all__ = ["EntitlementReport", "entitle"]

_SHOWN = 10


@dataclass(frozen=True)
class EntitlementReport:
    """The decisions for a set of order lines, in input order.

    Examples
    --------
    >>> from allocation import entitle, load_entitlement_inputs
    >>> report = entitle(load_entitlement_inputs(
    ...     "scenarios/example/customers.csv", "scenarios/example/contracts.csv",
    ...     "scenarios/example/orders.csv"))
    >>> report.summary()["by_class"]
    {'parts_priority': 4, 'standard': 12}
    >>> report.to_pandas().loc[0, ["order_id", "priority_class", "tier"]].tolist()
    ['O-1001', 'parts_priority', 'PM']

    In a notebook the report shows itself as tables (counts by class and tier, why orders
    lost parts priority, the first decisions).
    """

    decisions: tuple[EntitlementDecision, ...]
    customer_ids: tuple[str, ...]

    def to_records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per order line."""
        return [
            {
                "order_id": d.order_id,
                "customer_id": cid,
                "country": d.country,
                "priority_class": d.priority_class.value,
                "tier": d.tier.value,
                "contract_id": d.contract_id,
                "contract_tier": d.contract_tier.value if d.contract_tier else None,
                "reasons": d.reasons,
                "failed_rules": d.failed_rules,
            }
            for d, cid in zip(self.decisions, self.customer_ids, strict=True)
        ]

    def to_pandas(self) -> pd.DataFrame:
        """The decisions as a table; ``reasons`` joined with '; ' for flat files."""
        frame = pd.DataFrame.from_records(self.to_records())
        if frame.empty:
            frame = pd.DataFrame(columns=["order_id", "priority_class", "tier", "reasons"])
        frame["reasons"] = frame["reasons"].map("; ".join)
        frame["failed_rules"] = frame.get("failed_rules", pd.Series(dtype=object)).map(
            lambda r: ",".join(r) if isinstance(r, list) else r
        )
        return frame

    def summary(self) -> dict[str, Any]:
        """Counts by class and tier, and why orders lost parts priority.

        An order *lost* parts priority when the customer's contract for the product is a
        Priority Management one but the order is ``standard``; the breakdown counts each
        failed rule once per order.
        """
        by_class = Counter(d.priority_class.value for d in self.decisions)
        by_tier = Counter(d.tier.value for d in self.decisions)
        lost = [
            d
            for d in self.decisions
            if d.contract_tier is Tier.PM and d.priority_class is PriorityClass.STANDARD
        ]
        lost_why = Counter(rule for d in lost for rule in d.failed_rules)
        return {
            "orders": len(self.decisions),
            "by_class": {c.value: by_class.get(c.value, 0) for c in PriorityClass},
            "by_tier": {t.value: by_tier.get(t.value, 0) for t in Tier},
            "lost_parts_priority": len(lost),
            "lost_parts_priority_by_rule": dict(lost_why.most_common()),
        }

    def _repr_html_(self) -> str:
        summary = self.summary()
        counts = pd.DataFrame(
            [{"class": k, "orders": v} for k, v in summary["by_class"].items()]
            + [{"class": f"tier {k}", "orders": v} for k, v in summary["by_tier"].items()]
        )
        lost = pd.DataFrame(
            list(summary["lost_parts_priority_by_rule"].items()), columns=["failed rule", "orders"]
        )
        shown = [
            {
                "order": r["order_id"],
                "customer": r["customer_id"],
                "country": r["country"],
                "class": r["priority_class"],
                "tier": r["tier"],
                "reasons": "; ".join(r["reasons"]),
            }
            for r in self.to_records()[:_SHOWN]
        ]
        return html_block(
            "Entitlement decisions",
            [
                html_table(counts, "orders by class and tier"),
                html_table(lost, "why Priority Management orders lost parts priority"),
                html_table(pd.DataFrame(shown), "decisions", max_rows=_SHOWN),
            ],
            [f"{summary['orders']:,} orders; all of them in .to_pandas()"],
        )


def entitle(
    inputs: EntitlementInputs,
    on: date | None = None,
    policy: EntitlementPolicy | None = None,
    rulebook: Rulebook | None = None,
) -> EntitlementReport:
    """Decide priority class and tier of every order line in ``inputs``.

    Parameters
    ----------
    inputs : EntitlementInputs
        Validated tables (see :func:`allocation.load_entitlement_inputs`).
    on : date, optional
        Decide every line as of this day; each order's creation day by default.
    policy, rulebook
        Interpretations and rules; the data sheet's defaults when omitted.
    """
    orders = inputs.order_objects()
    decisions = entitle_orders(
        orders, inputs.customer_objects(), inputs.contract_objects(), on, policy, rulebook
    )
    return EntitlementReport(
        decisions=tuple(decisions), customer_ids=tuple(o.customer_id for o in orders)
    )
