"""Properties of entitlement decisions over generated customers, contracts and orders.

The expectations are written from RULES.md (see :mod:`tests.allocation.rules_md`), not read
back from the rulebook or the engine.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from allocation.domain.entitlement import EntitlementDecision, EntitlementPolicy, decide_entitlement
from allocation.domain.model import Contract, Customer, OrderLine, PriorityClass, Tier
from tests.allocation import rules_md

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)

SKU_FACTS = {code: (tier, years, family) for code, tier, years, family in rules_md.SKUS}
UNCOVERED_COUNTRIES = ("VN", "IS", "BO", "KE")
COUNTRIES = (*rules_md.COVERED, *UNCOVERED_COUNTRIES)
PRODUCT_TYPES = (*rules_md.PRODUCT_FAMILIES, *rules_md.UNCOVERED_PRODUCTS)

# Installed bases cluster around the tiers' minimums, where mistakes hide.
installed_bases = st.one_of(
    st.integers(min_value=0, max_value=2_000),
    st.sampled_from([0, 249, 250, 999, 1000]),
)
# Mostly true: a rule that fails everywhere hides the others.
mostly_true = st.sampled_from([True, True, True, False])
days = st.dates(min_value=date(2019, 1, 1), max_value=date(2029, 12, 31))

customers = st.builds(
    Customer,
    customer_id=st.just("C1"),
    name=st.just("Acme"),
    country=st.sampled_from(COUNTRIES),
    installed_base_pcs=installed_bases,
    installed_base_printers=installed_bases,
    has_it_helpdesk=mostly_true,
)


# A contract as (holder, SKU, days from the order day to purchase, days from purchase to
# activation or None): bought within six years before the order day or a little after it, so
# that several contracts are often active on the day.
contract_specs = st.lists(
    st.tuples(
        st.sampled_from(["C1", "C1", "C1", "C2"]),
        st.sampled_from(sorted(SKU_FACTS)),
        st.integers(min_value=-2200, max_value=60),
        st.none() | st.integers(min_value=0, max_value=90),
    ),
    max_size=4,
)

# An order line's facts: product type, warranty, ship-to country and time of day.
order_facts = st.tuples(
    st.sampled_from(PRODUCT_TYPES),
    mostly_true,
    st.none() | st.sampled_from(COUNTRIES),
    st.times(),
)

policies = st.builds(
    EntitlementPolicy,
    site_country=st.sampled_from(["ship_to", "customer"]),
    pa_plus_installed_base_counts=st.sampled_from(["pcs_and_printers", "pcs"]),
    start_days_after_purchase=st.none() | st.integers(min_value=0, max_value=60),
    require_it_helpdesk=mostly_true,
    enforce_installed_base=mostly_true,
)


@dataclasses.dataclass(frozen=True)
class Situation:
    """One order line with everything its decision depends on."""

    order: OrderLine
    customer: Customer
    contracts: list[Contract]
    on: date | None
    policy: EntitlementPolicy

    def decide(self, **changes: object) -> EntitlementDecision:
        s = dataclasses.replace(self, **changes)
        return decide_entitlement(s.order, s.customer, s.contracts, on=s.on, policy=s.policy)


@st.composite
def situations(draw: st.DrawFn) -> Situation:
    day = draw(days)
    product_type, warranty_valid, ship_to, at = draw(order_facts)
    order = OrderLine(
        "O1", "C1", "SSD-512", 1, datetime.combine(day, at), product_type, warranty_valid, ship_to
    )
    contracts = [
        Contract(
            contract_id=f"K{i}",
            customer_id=holder,
            sku=sku,
            purchase_date=day + timedelta(days=offset),
            activation_date=None if delay is None else day + timedelta(days=offset + delay),
        )
        for i, (holder, sku, offset, delay) in enumerate(draw(contract_specs))
    ]
    # Decide on the order's day, or on a given day near it.
    shift = draw(st.none() | st.integers(min_value=-400, max_value=400))
    on = None if shift is None else day + timedelta(days=shift)
    return Situation(order, draw(customers), contracts, on, draw(policies))


def site_of(order: OrderLine, customer: Customer, policy: EntitlementPolicy) -> str:
    if policy.site_country == "ship_to" and order.ship_to_country:
        return order.ship_to_country
    return customer.country


def service_window(contract: Contract, policy: EntitlementPolicy) -> tuple[date, date]:
    """RULES.md, "Contract terms and start", computed independently of the engine."""
    years = SKU_FACTS[contract.sku][1]
    days_after = policy.start_days_after_purchase
    if days_after is None:
        days_after = rules_md.START_DAYS_AFTER_PURCHASE
    start = contract.activation_date or contract.purchase_date + timedelta(days=days_after)
    if (start.month, start.day) == (2, 29) and (start.year + years) % 4 != 0:
        return start, date(start.year + years, 2, 28)
    return start, date(start.year + years, start.month, start.day)


@PROPERTY_SETTINGS
@given(situations())
def test_the_same_facts_always_give_the_same_decision(s: Situation) -> None:
    first = s.decide()
    assert s.decide() == first
    assert s.decide(contracts=s.contracts[::-1]) == first


@PROPERTY_SETTINGS
@given(situations())
def test_parts_priority_is_only_ever_given_when_every_rule_of_the_sheet_holds(
    s: Situation,
) -> None:
    decision = s.decide()
    if decision.priority_class is not PriorityClass.PARTS_PRIORITY:
        return
    day = s.on or s.order.created_at.date()
    family = rules_md.PRODUCT_FAMILIES[s.order.product_type]  # a covered product type
    assert decision.tier is Tier.PM
    assert decision.failed_rules == []
    [held] = [c for c in s.contracts if c.contract_id == decision.contract_id]
    tier, _, sku_family = SKU_FACTS[held.sku]
    assert held.customer_id == s.customer.customer_id
    assert (tier, sku_family) == (Tier.PM, family)
    start, end = service_window(held, s.policy)
    assert start <= day < end
    site = site_of(s.order, s.customer, s.policy)
    assert site in rules_md.COVERED
    assert site not in rules_md.EXCLUDED
    assert decision.country == site
    assert s.order.warranty_valid
    assert s.customer.has_it_helpdesk or not s.policy.require_it_helpdesk
    base = s.customer.installed_base_pcs + s.customer.installed_base_printers
    assert base >= 1000 or not s.policy.enforce_installed_base


def without_warranty(s: Situation) -> Situation:
    return dataclasses.replace(s, order=dataclasses.replace(s.order, warranty_valid=False))


def without_help_desk(s: Situation) -> Situation:
    return dataclasses.replace(s, customer=dataclasses.replace(s.customer, has_it_helpdesk=False))


def with_half_the_pcs(s: Situation) -> Situation:
    pcs = s.customer.installed_base_pcs // 2
    return dataclasses.replace(s, customer=dataclasses.replace(s.customer, installed_base_pcs=pcs))


def with_one_printer_less(s: Situation) -> Situation:
    printers = max(0, s.customer.installed_base_printers - 1)
    customer = dataclasses.replace(s.customer, installed_base_printers=printers)
    return dataclasses.replace(s, customer=customer)


def with_an_uncovered_product(s: Situation) -> Situation:
    return dataclasses.replace(s, order=dataclasses.replace(s.order, product_type="server"))


def moved_outside_the_coverage(s: Situation) -> Situation:
    return dataclasses.replace(
        s,
        order=dataclasses.replace(s.order, ship_to_country="VN"),
        customer=dataclasses.replace(s.customer, country="VN"),
    )


WORSENINGS: list[Callable[[Situation], Situation]] = [
    without_warranty,
    without_help_desk,
    with_half_the_pcs,
    with_one_printer_less,
    with_an_uncovered_product,
    moved_outside_the_coverage,
]


@PROPERTY_SETTINGS
@given(situations())
def test_making_any_one_input_worse_never_gains_parts_priority_or_a_better_tier(
    s: Situation,
) -> None:
    before = s.decide()
    worse = [(w.__name__, w(s).decide()) for w in WORSENINGS]
    worse += [
        (
            f"without contract {k.contract_id}",
            s.decide(contracts=[c for c in s.contracts if c != k]),
        )
        for k in s.contracts
    ]
    for name, after in worse:
        if before.priority_class is PriorityClass.STANDARD:
            assert after.priority_class is PriorityClass.STANDARD, name
        assert after.tier.rank <= before.tier.rank, name


@PROPERTY_SETTINGS
@given(situations())
def test_an_uncovered_product_or_site_is_always_standard_with_tier_standard(s: Situation) -> None:
    for worsen in (with_an_uncovered_product, moved_outside_the_coverage):
        after = worsen(s).decide()
        assert (after.priority_class, after.tier) == (PriorityClass.STANDARD, Tier.STANDARD)


@PROPERTY_SETTINGS
@given(situations(), st.sampled_from(sorted(rules_md.EXCLUDED)))
def test_moving_to_an_excluded_country_never_gains_parts_priority_and_keeps_the_tier(
    s: Situation, excluded: str
) -> None:
    before = s.decide()
    after = s.decide(
        order=dataclasses.replace(s.order, ship_to_country=excluded),
        customer=dataclasses.replace(s.customer, country=excluded),
    )
    assert after.priority_class is PriorityClass.STANDARD
    if site_of(s.order, s.customer, s.policy) in rules_md.COVERED:
        # Every excluded country is covered: only parts priority is lost, never the tier.
        assert after.tier is before.tier


@PROPERTY_SETTINGS
@given(situations())
def test_the_tier_of_a_decision_is_standard_or_the_tier_of_a_contract_held(s: Situation) -> None:
    decision = s.decide()
    if decision.tier is Tier.STANDARD:
        assert decision.failed_rules != []
        return
    [held] = [c for c in s.contracts if c.contract_id == decision.contract_id]
    assert held.customer_id == s.customer.customer_id
    assert SKU_FACTS[held.sku][0] is decision.tier
    assert decision.contract_tier is decision.tier
