"""Properties of entitlement decisions over generated customers, contracts and orders.

The expectations are written from docs/explanation/rules.md (see :mod:`tests.allocation.rules_md`),
not read
back from the rulebook or the engine. The strategies lean towards situations where rules
compete: contracts mostly active and for the ordered unit's family, installed bases near the
tiers' minimums, most other rules passing.
"""

from __future__ import annotations

import calendar
import dataclasses
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from allocation.domain.entitlement import EntitlementDecision, EntitlementPolicy, decide_entitlement
from allocation.domain.model import Contract, Customer, OrderLine, PriorityClass, Tier
from tests.allocation import rules_md
from tests.budget import examples

pytestmark = pytest.mark.fast
PROPERTY_SETTINGS = settings(max_examples=examples(200), deadline=None)

SKU_FACTS = {code: (tier, years, family) for code, tier, years, family in rules_md.SKUS}
SKUS_OF = {
    family: [code for code, _, _, f in rules_md.SKUS if f is family]
    for family in (rules_md.PC, rules_md.PRINT)
}
COUNTRIES = (*rules_md.COVERED, "VN", "IS", "BO", "KE")
# Covered product types twice as often as the uncovered ones.
PRODUCT_TYPES = (
    *rules_md.PRODUCT_FAMILIES,
    *rules_md.PRODUCT_FAMILIES,
    *rules_md.UNCOVERED_PRODUCTS,
)

# Mostly true: a rule that fails everywhere would hide the others.
mostly_true = st.sampled_from([True, True, True, False])
days = st.dates(min_value=date(2019, 1, 1), max_value=date(2029, 12, 31))

customers = st.builds(
    Customer,
    customer_id=st.just("C1"),
    name=st.just("Acme"),
    country=st.sampled_from(COUNTRIES),
    # Near the minimums (PA 250, PA+ and PM 1,000), where mistakes hide.
    installed_base_pcs=st.sampled_from([0, 249, 250, 999, 1000, 1500])
    | st.integers(min_value=0, max_value=1500),
    installed_base_printers=st.sampled_from([0, 0, 1, 300])
    | st.integers(min_value=0, max_value=500),
    has_it_helpdesk=mostly_true,
)

# A contract as (holder, whether its SKU is of the ordered unit's family, which of the
# family's 12 SKUs, days its service has run on the order day, days from purchase to an
# explicit activation or None for the default start). Half the ages are under a year, so most
# contracts are active on the order day; the others may have expired or not yet started.
contract_specs = st.lists(
    st.tuples(
        st.sampled_from(["C1", "C1", "C1", "C2"]),
        mostly_true,
        st.integers(min_value=0, max_value=11),
        st.integers(min_value=0, max_value=360) | st.integers(min_value=-90, max_value=1900),
        st.none() | st.integers(min_value=0, max_value=90),
    ),
    min_size=1,
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

    @property
    def day(self) -> date:
        return self.on or self.order.created_at.date()

    @property
    def site(self) -> str:
        if self.policy.site_country == "ship_to" and self.order.ship_to_country:
            return self.order.ship_to_country
        return self.customer.country


@st.composite
def situations(draw: st.DrawFn) -> Situation:
    day = draw(days)
    product_type, warranty_valid, ship_to, at = draw(order_facts)
    order = OrderLine(
        "O1", "C1", "SSD-512", 1, datetime.combine(day, at), product_type, warranty_valid, ship_to
    )
    family = rules_md.PRODUCT_FAMILIES.get(product_type, rules_md.PC)
    other = rules_md.PRINT if family is rules_md.PC else rules_md.PC
    contracts = []
    for i, (holder, same_family, which, age, delay) in enumerate(draw(contract_specs)):
        sku = SKUS_OF[family if same_family else other][which]
        start = day - timedelta(days=age)
        if delay is None:  # the default start, 30 days after purchase
            bought, activated = start - timedelta(days=30), None
        else:
            bought, activated = start - timedelta(days=delay), start
        contracts.append(Contract(f"K{i}", holder, sku, bought, activated))
    # Decide on the order's day, or on a given day near it.
    shift = draw(st.none() | st.integers(min_value=-400, max_value=400))
    on = None if shift is None else day + timedelta(days=shift)
    return Situation(order, draw(customers), contracts, on, draw(policies))


def service_window(contract: Contract, policy: EntitlementPolicy) -> tuple[date, date]:
    """docs/explanation/rules.md, "Contract terms and start", computed independently of the
    engine."""
    years = SKU_FACTS[contract.sku][1]
    days_after = policy.start_days_after_purchase
    if days_after is None:
        days_after = rules_md.START_DAYS_AFTER_PURCHASE
    start = contract.activation_date or contract.purchase_date + timedelta(days=days_after)
    end_year = start.year + years
    if (start.month, start.day) == (2, 29) and not calendar.isleap(end_year):
        return start, date(end_year, 2, 28)
    return start, date(end_year, start.month, start.day)


def installed_base_suffices(s: Situation, tier: Tier) -> bool:
    base = s.customer.installed_base_pcs + s.customer.installed_base_printers
    if tier is Tier.PA_PLUS and s.policy.pa_plus_installed_base_counts == "pcs":
        base = s.customer.installed_base_pcs
    return base >= rules_md.MINIMUM_INSTALLED_BASE[tier] or not s.policy.enforce_installed_base


def expected_outcome(s: Situation) -> tuple[PriorityClass, Tier]:
    """A plain reading of docs/explanation/rules.md: the class and tier an order line should get."""
    standard = (PriorityClass.STANDARD, Tier.STANDARD)
    family = rules_md.PRODUCT_FAMILIES.get(s.order.product_type)
    if family is None or s.site not in rules_md.COVERED or not s.order.warranty_valid:
        return standard
    if s.policy.require_it_helpdesk and not s.customer.has_it_helpdesk:
        return standard
    tiers = [
        SKU_FACTS[k.sku][0]
        for k in s.contracts
        if k.customer_id == s.customer.customer_id
        and SKU_FACTS[k.sku][2] is family
        and service_window(k, s.policy)[0] <= s.day < service_window(k, s.policy)[1]
        and installed_base_suffices(s, SKU_FACTS[k.sku][0])
    ]
    if not tiers:
        return standard
    tier = max(tiers, key=lambda t: t.rank)
    if tier is Tier.PM and s.site not in rules_md.EXCLUDED:
        return PriorityClass.PARTS_PRIORITY, tier
    return PriorityClass.STANDARD, tier


# Found by these properties: an active PM contract the customer is too small for (500 units)
# hid its active PA contract, so dropping the PM contract raised the tier from standard to PA.
TOO_SMALL_FOR_PM = Situation(
    order=OrderLine("O1", "C1", "SSD-512", 1, datetime(2025, 6, 1, 9), "desktop", True),
    customer=Customer("C1", "Acme", "US", 500, 0, True),
    contracts=[
        Contract("K0", "C1", "U7D00E", date(2025, 1, 1)),
        Contract("K1", "C1", "U7C98E", date(2025, 1, 1)),
    ],
    on=None,
    policy=EntitlementPolicy(),
)


@pytest.mark.property
@PROPERTY_SETTINGS
@given(situations())
@example(TOO_SMALL_FOR_PM)
def test_every_decision_agrees_with_a_plain_reading_of_the_rules(s: Situation) -> None:
    decision = s.decide()
    assert (decision.priority_class, decision.tier) == expected_outcome(s)
    assert decision.country == s.site


@pytest.mark.property
@PROPERTY_SETTINGS
@given(situations())
def test_the_same_facts_always_give_the_same_decision(s: Situation) -> None:
    first = s.decide()
    assert s.decide() == first
    assert s.decide(contracts=s.contracts[::-1]) == first


@pytest.mark.property
@PROPERTY_SETTINGS
@given(situations())
def test_parts_priority_is_only_ever_given_when_every_rule_of_the_sheet_holds(
    s: Situation,
) -> None:
    decision = s.decide()
    if decision.priority_class is not PriorityClass.PARTS_PRIORITY:
        return
    family = rules_md.PRODUCT_FAMILIES[s.order.product_type]  # a covered product type
    assert decision.tier is Tier.PM
    assert decision.failed_rules == []
    [held] = [k for k in s.contracts if k.contract_id == decision.contract_id]
    assert held.customer_id == s.customer.customer_id
    assert SKU_FACTS[held.sku][0] is Tier.PM
    assert SKU_FACTS[held.sku][2] is family
    start, end = service_window(held, s.policy)
    assert start <= s.day < end
    assert s.site in rules_md.COVERED
    assert s.site not in rules_md.EXCLUDED
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


def moved_to(country: str) -> Callable[[Situation], Situation]:
    def move(s: Situation) -> Situation:
        return dataclasses.replace(
            s,
            order=dataclasses.replace(s.order, ship_to_country=country),
            customer=dataclasses.replace(s.customer, country=country),
        )

    move.__name__ = f"moved_to_{country}"
    return move


def without_contract(contract_id: str) -> Callable[[Situation], Situation]:
    def drop(s: Situation) -> Situation:
        kept = [k for k in s.contracts if k.contract_id != contract_id]
        return dataclasses.replace(s, contracts=kept)

    drop.__name__ = f"without_contract_{contract_id}"
    return drop


def worsenings(s: Situation) -> list[Callable[[Situation], Situation]]:
    """Every single change docs/explanation/rules.md says can only make an order line worse off."""
    return [
        without_warranty,
        without_help_desk,
        with_half_the_pcs,
        with_one_printer_less,
        with_an_uncovered_product,
        moved_outside_the_coverage,
        *(without_contract(k.contract_id) for k in s.contracts),
    ]


@pytest.mark.property
@PROPERTY_SETTINGS
@given(situations())
@example(TOO_SMALL_FOR_PM)
def test_making_any_one_input_worse_never_gains_parts_priority_or_a_better_tier(
    s: Situation,
) -> None:
    before = s.decide()
    for worsen in worsenings(s):
        after = worsen(s).decide()
        if before.priority_class is PriorityClass.STANDARD:
            assert after.priority_class is PriorityClass.STANDARD, worsen.__name__
        assert after.tier.rank <= before.tier.rank, worsen.__name__


@pytest.mark.property
@PROPERTY_SETTINGS
@given(situations(), st.sampled_from(sorted(rules_md.EXCLUDED)))
def test_moving_to_an_excluded_country_loses_parts_priority_but_never_the_tier(
    s: Situation, excluded: str
) -> None:
    before = s.decide()
    after = moved_to(excluded)(s).decide()
    assert after.priority_class is PriorityClass.STANDARD
    if s.site in rules_md.COVERED:
        # Every excluded country is covered: only parts priority is lost, never the tier.
        assert after.tier is before.tier


@pytest.mark.property
@PROPERTY_SETTINGS
@given(situations())
def test_an_uncovered_product_or_site_is_always_standard_with_tier_standard(s: Situation) -> None:
    for worsen in (with_an_uncovered_product, moved_outside_the_coverage):
        after = worsen(s).decide()
        assert (after.priority_class, after.tier) == (PriorityClass.STANDARD, Tier.STANDARD)


@pytest.mark.property
@PROPERTY_SETTINGS
@given(situations())
def test_the_tier_of_a_decision_is_standard_or_the_tier_of_a_contract_held(s: Situation) -> None:
    decision = s.decide()
    if decision.tier is Tier.STANDARD:
        assert decision.failed_rules != []
        return
    [held] = [k for k in s.contracts if k.contract_id == decision.contract_id]
    assert held.customer_id == s.customer.customer_id
    assert SKU_FACTS[held.sku][0] is decision.tier
    assert decision.contract_tier is decision.tier
