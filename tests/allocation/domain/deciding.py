"""Deciding one order's entitlement in tests: the factories' defaults, one fact changed."""

from __future__ import annotations

from datetime import date

from allocation.domain.entitlement import EntitlementDecision, EntitlementPolicy, decide_entitlement
from allocation.domain.model import Contract, Customer, OrderLine, PriorityClass, Tier
from tests.allocation.factories import contract, customer, order

__all__ = ["decide", "has_reason", "outcome"]


def decide(
    the_order: OrderLine | None = None,
    the_customer: Customer | None = None,
    contracts: list[Contract] | None = None,
    on: date | None = None,
    policy: EntitlementPolicy | None = None,
) -> EntitlementDecision:
    return decide_entitlement(
        the_order or order(),
        the_customer or customer(),
        [contract()] if contracts is None else contracts,
        on=on,
        policy=policy,
    )


def outcome(decision: EntitlementDecision) -> tuple[PriorityClass, Tier]:
    return decision.priority_class, decision.tier


def has_reason(decision: EntitlementDecision, text: str) -> bool:
    return any(text in reason for reason in decision.reasons)
