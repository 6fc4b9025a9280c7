"""The entitlement audit: what in a customer base puts its Priority Services at risk.

The data sheet makes every tier conditional (docs/explanation/rules.md, "Eligibility"): the
customer must
cover 100% of its in-warranty installed base, keep the base above its tier's minimum, and
HP may audit it and refuse service where it is inaccurate; service starts within 30 days
after purchase and ends with the term; parts priority is not offered in six countries; only
some products are covered. :func:`audit` checks a customer base against each condition and
returns one finding per customer and condition at risk, each with a stable code, the
numbers behind it and a sentence:

================================  ==============================================================
code                              when
================================  ==============================================================
``coverage_below_base``           the contracts of a family cover fewer units than the
                                  customer's in-warranty installed base of that family
``installed_base_below_minimum``  the installed base is below the minimum of a tier held
``installed_base_near_minimum``   it is within the margin above that minimum
``contract_expiring``             an active contract ends within the horizon
``contract_not_yet_active``       a contract is bought but its service has not started, while
                                  the customer has open orders
``pm_in_excluded_country``        a Priority Management customer has its site or orders in a
                                  country that excludes parts priority
``uncovered_products_ordered``    the customer's orders name products Priority Services do
                                  not cover
================================  ==============================================================

A contract's ``covered_units`` (optional) says how many units of its family it covers; when
it is blank the contract is taken to cover the customer's whole installed base of that family,
so only contracts that state a smaller number raise ``coverage_below_base``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from allocation.domain.countries import country_name
from allocation.domain.entitlement import EntitlementPolicy, contract_window
from allocation.domain.model import Contract, Customer, ProductFamily, Tier
from allocation.domain.rulebook import Rulebook, default_rulebook
from allocation.domain.snapshot import EntitlementInputs
from allocation.engine import html_block, html_table
from allocation.errors import PolicyError

__all__ = ["AUDIT_CODES", "AuditFinding", "AuditReport", "audit"]

AUDIT_CODES: tuple[str, ...] = (
    "coverage_below_base",
    "installed_base_below_minimum",
    "installed_base_near_minimum",
    "contract_expiring",
    "contract_not_yet_active",
    "pm_in_excluded_country",
    "uncovered_products_ordered",
)
"""Every code a finding can have, in the order findings are listed for a customer."""


@dataclass(frozen=True)
class AuditFinding:
    """One condition at risk for one customer: ``code``, the numbers, and a sentence."""

    code: str
    customer_id: str
    message: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict: code, customer, message and the numbers."""
        return {
            "code": self.code,
            "customer_id": self.customer_id,
            "message": self.message,
            **self.numbers,
        }


@dataclass(frozen=True)
class AuditReport:
    """The findings of an audit, customer by customer (codes in :data:`AUDIT_CODES` order).

    Examples
    --------
    >>> from allocation import load_entitlement_inputs
    >>> report = audit(load_entitlement_inputs(
    ...     "scenarios/example/customers.csv", "scenarios/example/contracts.csv",
    ...     "scenarios/example/orders.csv"), on=date(2026, 11, 12))
    >>> sorted(report.summary()["by_code"])[:2]
    ['contract_expiring', 'installed_base_below_minimum']
    """

    on: date
    customers: int
    findings: tuple[AuditFinding, ...]

    def to_records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per finding."""
        return [f.to_record() for f in self.findings]

    def to_pandas(self) -> pd.DataFrame:
        """One row per finding: ``code``, ``customer_id``, ``message`` and the numbers."""
        columns = ["code", "customer_id", "message"]
        frame = pd.DataFrame.from_records(self.to_records())
        return frame if len(frame) else pd.DataFrame(columns=columns)

    def summary(self) -> dict[str, Any]:
        """Counts by code, and how many customers have any finding."""
        by_code: dict[str, int] = defaultdict(int)
        for finding in self.findings:
            by_code[finding.code] += 1
        return {
            "on": self.on.isoformat(),
            "customers": self.customers,
            "customers_with_findings": len({f.customer_id for f in self.findings}),
            "by_code": {code: by_code[code] for code in AUDIT_CODES if by_code[code]},
        }

    def _repr_html_(self) -> str:
        summary = self.summary()
        counts = pd.DataFrame(
            [{"finding": code, "customers": n} for code, n in summary["by_code"].items()]
        )
        shown = self.to_pandas()[["code", "customer_id", "message"]]
        return html_block(
            f"Entitlement audit as of {self.on:%Y-%m-%d}",
            [html_table(counts, "findings"), html_table(shown, "each finding")],
            [
                f"{summary['customers_with_findings']:,} of {summary['customers']:,} "
                "customer(s) with a finding"
            ],
        )


def audit(
    inputs: EntitlementInputs,
    on: date | None = None,
    policy: EntitlementPolicy | None = None,
    margin: float = 0.1,
    expiring_days: int = 60,
    rulebook: Rulebook | None = None,
) -> AuditReport:
    """Check every customer against the conditions its Priority Services depend on.

    Parameters
    ----------
    inputs : EntitlementInputs
        Customers and contracts (with an optional ``covered_units``); orders, possibly none.
    on : date, optional
        The day of the audit; by default the day of the latest order, else today.
    policy : EntitlementPolicy, optional
        How the sheet's ambiguities are read (the installed base counted for PA+, the
        start after purchase).
    margin : float
        How close above a tier's minimum an installed base raises
        ``installed_base_near_minimum``: 0.1 is within 10% (1,000–1,099 for PM).
    expiring_days : int
        How soon a contract's end raises ``contract_expiring``.
    """
    if not 0 <= margin <= 1:
        raise PolicyError(f"audit margin must be between 0 and 1, got {margin!r}")
    if expiring_days < 0:
        raise PolicyError(f"audit expiring days must be >= 0, got {expiring_days!r}")
    book = rulebook or default_rulebook()
    pol = policy or EntitlementPolicy()
    orders = inputs.orders
    day = on or (pd.Timestamp(orders["created_at"].max()).date() if len(orders) else date.today())
    start_days = (
        pol.start_days_after_purchase
        if pol.start_days_after_purchase is not None
        else book.start_days_after_purchase
    )
    contracts: dict[str, list[Contract]] = defaultdict(list)
    for contract in inputs.contract_objects():
        contracts[contract.customer_id].append(contract)
    by_customer = _orders_by_customer(orders)
    findings: list[AuditFinding] = []
    customers = inputs.customer_objects()
    for customer_id in sorted(customers):
        customer = customers[customer_id]
        mine = contracts.get(customer_id, [])
        held = [(k, book.skus[k.sku.upper()]) for k in mine]
        active = [(k, sku) for k, sku in held if contract_window(k, sku, start_days).contains(day)]
        found = [
            *_coverage(customer, active),
            *_installed_base(customer, active, pol, book, margin),
            *_expiring(customer, active, day, expiring_days, start_days),
            *_not_yet_active(customer, held, day, start_days, by_customer.get(customer_id)),
            *_excluded_countries(customer, active, by_customer.get(customer_id), book),
            *_uncovered_products(customer, by_customer.get(customer_id), book),
        ]
        findings.extend(found)
    return AuditReport(on=day, customers=len(customers), findings=tuple(findings))


def _orders_by_customer(orders: pd.DataFrame) -> dict[str, pd.DataFrame]:
    if len(orders) == 0:
        return {}
    return {str(k): v for k, v in orders.groupby("customer_id", sort=False)}


def _family_base(customer: Customer, family: ProductFamily) -> int:
    if family is ProductFamily.PC:
        return customer.installed_base_pcs
    return customer.installed_base_printers


def _coverage(customer: Customer, active: list[tuple[Contract, Any]]) -> list[AuditFinding]:
    found = []
    for family in ProductFamily:
        stated = [k.covered_units for k, sku in active if sku.family is family]
        if not stated or any(units is None for units in stated):
            continue  # a blank covered_units covers the whole base of its family
        covered = sum(int(units) for units in stated if units is not None)
        base = _family_base(customer, family)
        if covered < base:
            words = "PCs" if family is ProductFamily.PC else "business printers"
            found.append(
                AuditFinding(
                    "coverage_below_base",
                    customer.customer_id,
                    f"contracts cover {covered:,} of {base:,} in-warranty {words}: the sheet "
                    "requires the whole installed base covered",
                    {
                        "family": family.value,
                        "covered_units": covered,
                        "installed_base": base,
                        "share": round(covered / base, 4) if base else None,
                    },
                )
            )
    return found


def _installed_base(
    customer: Customer,
    active: list[tuple[Contract, Any]],
    policy: EntitlementPolicy,
    book: Rulebook,
    margin: float,
) -> list[AuditFinding]:
    found = []
    for tier in sorted({sku.tier for _, sku in active}, key=lambda t: t.rank, reverse=True):
        rule = book.tiers[tier]
        counting = (
            policy.pa_plus_installed_base_counts
            if tier is Tier.PA_PLUS
            else rule.installed_base_counts
        )
        base = customer.installed_base_pcs + (
            customer.installed_base_printers if counting == "pcs_and_printers" else 0
        )
        minimum = rule.minimum_installed_base
        numbers = {"tier": tier.value, "installed_base": base, "minimum": minimum}
        if base < minimum:
            found.append(
                AuditFinding(
                    "installed_base_below_minimum",
                    customer.customer_id,
                    f"installed base {base:,} is below the {minimum:,} that {rule.name} requires",
                    numbers,
                )
            )
        elif base < minimum * (1 + margin):
            found.append(
                AuditFinding(
                    "installed_base_near_minimum",
                    customer.customer_id,
                    f"installed base {base:,} is within {margin:.0%} of the {minimum:,} that "
                    f"{rule.name} requires",
                    {**numbers, "margin": margin},
                )
            )
    return found


def _expiring(
    customer: Customer,
    active: list[tuple[Contract, Any]],
    day: date,
    within: int,
    start_days: int,
) -> list[AuditFinding]:
    found = []
    for contract, sku in sorted(active, key=lambda a: a[0].contract_id):
        end = contract_window(contract, sku, start_days).end
        left = (end - day).days
        if left <= within:
            found.append(
                AuditFinding(
                    "contract_expiring",
                    customer.customer_id,
                    f"contract {contract.contract_id} ({sku.tier.value}, {contract.sku}) "
                    f"ends on {end:%Y-%m-%d}, in {left} day(s)",
                    {"contract_id": contract.contract_id, "ends": end.isoformat(), "days": left},
                )
            )
    return found


def _not_yet_active(
    customer: Customer,
    held: list[tuple[Contract, Any]],
    day: date,
    start_days: int,
    orders: pd.DataFrame | None,
) -> list[AuditFinding]:
    if orders is None or len(orders) == 0:
        return []
    found = []
    for contract, sku in sorted(held, key=lambda h: h[0].contract_id):
        window = contract_window(contract, sku, start_days)
        if contract.purchase_date <= day < window.start:
            found.append(
                AuditFinding(
                    "contract_not_yet_active",
                    customer.customer_id,
                    f"contract {contract.contract_id} ({sku.tier.value}) was bought on "
                    f"{contract.purchase_date:%Y-%m-%d} and starts on {window.start:%Y-%m-%d}; "
                    f"{len(orders):,} order(s) are open meanwhile",
                    {
                        "contract_id": contract.contract_id,
                        "starts": window.start.isoformat(),
                        "open_orders": len(orders),
                    },
                )
            )
    return found


def _excluded_countries(
    customer: Customer,
    active: list[tuple[Contract, Any]],
    orders: pd.DataFrame | None,
    book: Rulebook,
) -> list[AuditFinding]:
    if not any(sku.tier is Tier.PM for _, sku in active):
        return []
    sites: dict[str, int] = {}
    if customer.country in book.parts_priority_excluded:
        sites[customer.country] = 0
    if orders is not None and len(orders):
        ship = orders["ship_to_country"].where(orders["ship_to_country"].notna(), customer.country)
        for country, count in ship.value_counts().items():
            if country in book.parts_priority_excluded:
                sites[str(country)] = int(count)
    return [
        AuditFinding(
            "pm_in_excluded_country",
            customer.customer_id,
            "Priority Management customer with "
            + (f"{count:,} order(s)" if count else "its site")
            + f" in {country_name(country)}, where parts priority is not offered",
            {"country": country, "orders": count},
        )
        for country, count in sorted(sites.items())
    ]


def _uncovered_products(
    customer: Customer, orders: pd.DataFrame | None, book: Rulebook
) -> list[AuditFinding]:
    if orders is None or len(orders) == 0:
        return []
    counts = orders["product_type"].value_counts()
    uncovered = {str(p): int(n) for p, n in counts.items() if str(p) not in book.product_types}
    if not uncovered:
        return []
    listed = ", ".join(f"{p} ({n})" for p, n in sorted(uncovered.items()))
    return [
        AuditFinding(
            "uncovered_products_ordered",
            customer.customer_id,
            f"orders name products Priority Services do not cover: {listed}",
            {"products": uncovered, "orders": sum(uncovered.values())},
        )
    ]
