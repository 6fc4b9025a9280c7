"""Entitlement: one test per rule of docs/explanation/rules.md and per boundary of each rule.

The factories build an entitled Priority Management customer in the US with a PC contract
active on :data:`DAY`; each test changes the one fact it is about.
"""

from __future__ import annotations

from datetime import date

import pytest

from allocation.domain.countries import normalize_country
from allocation.domain.entitlement import (
    EntitlementPolicy,
    entitle_orders,
)
from allocation.domain.model import PriorityClass, Tier
from allocation.errors import InputError, PolicyError, UnknownIdError, UnknownProductTypeError
from tests.allocation import rules_md
from tests.allocation.domain.deciding import decide, has_reason, outcome
from tests.allocation.factories import contract, customer, order
from tests.allocation.rules_md import (
    PA_PC_1Y,
    PA_PLUS_PC_1Y,
    PA_PRINT_1Y,
    PM_PC_1Y,
    PM_PC_3Y,
    PM_PRINT_1Y,
)

pytestmark = pytest.mark.fast

PARTS_PRIORITY, STANDARD = PriorityClass.PARTS_PRIORITY, PriorityClass.STANDARD


def test_an_entitled_pm_customer_in_a_covered_country_has_parts_priority() -> None:
    decision = decide()
    assert outcome(decision) == (PARTS_PRIORITY, Tier.PM)
    assert decision.failed_rules == []
    assert decision.contract_id == "K1"
    assert decision.contract_tier is Tier.PM
    assert decision.country == "US"
    assert decision.reasons[-1] == "parts priority: Priority Management in United States"


# --- countries that exclude parts priority ------------------------------------------------------


@pytest.mark.parametrize(("country", "name"), rules_md.EXCLUDED.items())
def test_a_pm_customer_in_an_excluded_country_keeps_tier_pm_but_loses_parts_priority(
    country: str, name: str
) -> None:
    decision = decide(the_customer=customer(country=country))
    assert outcome(decision) == (STANDARD, Tier.PM)
    assert decision.reasons[-1] == f"no parts priority: {name} is excluded from parts priority"
    assert decision.failed_rules == ["parts_priority_excluded"]


def test_uruguay_pm_customer_keeps_tier_but_loses_parts_priority() -> None:
    decision = decide(the_customer=customer(country=normalize_country("乌拉圭")))
    assert outcome(decision) == (STANDARD, Tier.PM)
    assert "no parts priority: Uruguay is excluded from parts priority" in decision.reasons


@pytest.mark.parametrize("spelling", rules_md.DOMINICAN_SPELLINGS)
def test_both_dominican_spellings_exclude_parts_priority(spelling: str) -> None:
    decision = decide(the_customer=customer(country=normalize_country(spelling)))
    assert outcome(decision) == (STANDARD, Tier.PM)
    assert (
        "no parts priority: Dominican Republic is excluded from parts priority" in decision.reasons
    )


@pytest.mark.parametrize("country", rules_md.COVERED)
def test_a_pm_customer_in_any_covered_country_has_parts_priority_unless_excluded(
    country: str,
) -> None:
    decision = decide(the_customer=customer(country=country))
    expected = STANDARD if country in rules_md.EXCLUDED else PARTS_PRIORITY
    assert outcome(decision) == (expected, Tier.PM)
    assert "coverage" not in decision.failed_rules


@pytest.mark.parametrize("country", ["VN", "IS", "BO", "KE"])
def test_a_customer_outside_the_coverage_is_standard_with_tier_standard(country: str) -> None:
    decision = decide(the_customer=customer(country=country))
    assert outcome(decision) == (STANDARD, Tier.STANDARD)
    assert decision.failed_rules == ["coverage"]


def test_vietnam_is_outside_the_coverage_in_words_a_planner_can_read() -> None:
    decision = decide(the_customer=customer(country="VN"))
    assert "not entitled: Vietnam is outside the Priority Services coverage" in decision.reasons


# --- which country decides ----------------------------------------------------------------------


def test_a_global_pm_customer_based_in_ecuador_has_parts_priority_at_its_us_site() -> None:
    decision = decide(order(ship_to_country="US"), customer(country="EC"))
    assert outcome(decision) == (PARTS_PRIORITY, Tier.PM)
    assert decision.country == "US"


def test_a_global_pm_customer_based_in_ecuador_has_none_at_its_uruguay_site() -> None:
    decision = decide(order(ship_to_country="UY"), customer(country="EC"))
    assert outcome(decision) == (STANDARD, Tier.PM)
    assert decision.country == "UY"
    assert "no parts priority: Uruguay is excluded from parts priority" in decision.reasons


def test_a_us_customer_shipping_to_uruguay_has_no_parts_priority_there() -> None:
    decision = decide(order(ship_to_country="UY"), customer(country="US"))
    assert outcome(decision) == (STANDARD, Tier.PM)


def test_an_order_without_ship_to_country_is_decided_by_the_customer_country() -> None:
    decision = decide(order(ship_to_country=None), customer(country="EC"))
    assert outcome(decision) == (STANDARD, Tier.PM)
    assert decision.country == "EC"


def test_a_site_outside_the_coverage_has_no_entitlement_even_for_a_us_customer() -> None:
    decision = decide(order(ship_to_country="VN"), customer(country="US"))
    assert outcome(decision) == (STANDARD, Tier.STANDARD)
    assert decision.failed_rules == ["coverage"]


def test_the_customer_country_policy_ignores_the_ship_to_country() -> None:
    policy = EntitlementPolicy(site_country="customer")
    at_us_site = decide(order(ship_to_country="US"), customer(country="EC"), policy=policy)
    assert outcome(at_us_site) == (STANDARD, Tier.PM)
    assert at_us_site.country == "EC"
    at_uruguay_site = decide(order(ship_to_country="UY"), customer(country="US"), policy=policy)
    assert outcome(at_uruguay_site) == (PARTS_PRIORITY, Tier.PM)
    assert at_uruguay_site.country == "US"


# --- products -----------------------------------------------------------------------------------

PC_TYPES = [t for t, family in rules_md.PRODUCT_FAMILIES.items() if family is rules_md.PC]


@pytest.mark.parametrize("product_type", PC_TYPES)
def test_a_pc_sku_covers_every_pc_product_type(product_type: str) -> None:
    decision = decide(order(product_type=product_type), contracts=[contract(PM_PC_1Y)])
    assert outcome(decision) == (PARTS_PRIORITY, Tier.PM)


def test_a_print_sku_covers_business_printers() -> None:
    decision = decide(order(product_type="business_printer"), contracts=[contract(PM_PRINT_1Y)])
    assert outcome(decision) == (PARTS_PRIORITY, Tier.PM)
    assert has_reason(decision, "business_printer is a covered business-printer product")


def test_a_pc_sku_does_not_cover_a_business_printer() -> None:
    decision = decide(order(product_type="business_printer"), contracts=[contract(PM_PC_1Y)])
    assert outcome(decision) == (STANDARD, Tier.STANDARD)
    assert decision.failed_rules == ["contract"]
    assert "not entitled: no Priority Services contract covers business printers" in (
        decision.reasons
    )


@pytest.mark.parametrize("product_type", PC_TYPES)
def test_a_print_sku_does_not_cover_a_pc(product_type: str) -> None:
    decision = decide(order(product_type=product_type), contracts=[contract(PM_PRINT_1Y)])
    assert outcome(decision) == (STANDARD, Tier.STANDARD)
    assert "not entitled: no Priority Services contract covers PC units" in decision.reasons


def test_a_customer_holding_both_families_gets_each_tier_for_its_own_units() -> None:
    contracts = [contract(PM_PC_1Y, contract_id="K-PC"), contract(PA_PRINT_1Y, contract_id="K-PR")]
    pc = decide(order(product_type="notebook"), contracts=contracts)
    printer = decide(order(product_type="business_printer"), contracts=contracts)
    assert (outcome(pc), pc.contract_id) == ((PARTS_PRIORITY, Tier.PM), "K-PC")
    assert (outcome(printer), printer.contract_id) == ((STANDARD, Tier.PA), "K-PR")


@pytest.mark.parametrize("product_type", rules_md.UNCOVERED_PRODUCTS)
def test_a_product_outside_the_covered_types_is_not_entitled(product_type: str) -> None:
    contracts = [contract(PM_PC_1Y), contract(PM_PRINT_1Y, contract_id="K2")]
    decision = decide(order(product_type=product_type), contracts=contracts)
    assert outcome(decision) == (STANDARD, Tier.STANDARD)
    assert decision.failed_rules == ["product"]
    assert has_reason(
        decision, f"not entitled: product type {product_type!r} is not covered by Priority Services"
    )
    # The Priority Management contract it had is named: the order lost parts priority.
    assert decision.contract_tier is Tier.PM


@pytest.mark.parametrize(
    ("typo", "meant"), [("notebok", "'notebook'"), ("laptop", None), ("printer", None), ("", None)]
)
def test_a_product_type_the_rules_do_not_know_is_refused_with_the_closest_known_ones(
    typo: str, meant: str | None
) -> None:
    with pytest.raises(UnknownProductTypeError) as refused:
        decide(order(order_id="O-7", product_type=typo), contracts=[contract(PM_PC_1Y)])
    assert f"order 'O-7': unknown product type {typo!r}" in str(refused.value)
    if meant is not None:
        assert f"did you mean {meant}" in str(refused.value)


def test_a_policy_can_take_unknown_product_types_as_not_covered() -> None:
    policy = EntitlementPolicy(unknown_product_types="uncovered")
    decision = decide(order(product_type="laptop"), contracts=[contract(PM_PC_1Y)], policy=policy)
    assert outcome(decision) == (STANDARD, Tier.STANDARD)
    assert decision.failed_rules == ["product"]


def test_a_standalone_monitor_is_told_to_be_recorded_under_its_desktop_or_workstation() -> None:
    decision = decide(order(product_type="monitor"))
    assert has_reason(decision, "only as part of a desktop or workstation unit")


# --- warranty and help desk ---------------------------------------------------------------------


def test_a_unit_without_valid_warranty_is_not_entitled() -> None:
    decision = decide(order(warranty_valid=False))
    assert outcome(decision) == (STANDARD, Tier.STANDARD)
    assert decision.failed_rules == ["warranty"]
    assert (
        "not entitled: the unit has no valid HP warranty or extended hardware service contract"
        in decision.reasons
    )


def test_a_customer_without_an_it_help_desk_is_not_entitled() -> None:
    decision = decide(the_customer=customer(has_it_helpdesk=False))
    assert outcome(decision) == (STANDARD, Tier.STANDARD)
    assert decision.failed_rules == ["it_helpdesk"]
    assert "not entitled: the customer has no IT help desk" in decision.reasons


def test_the_help_desk_requirement_can_be_switched_off_for_what_if_analysis() -> None:
    policy = EntitlementPolicy(require_it_helpdesk=False)
    decision = decide(the_customer=customer(has_it_helpdesk=False), policy=policy)
    assert outcome(decision) == (PARTS_PRIORITY, Tier.PM)


# --- tiers without parts priority ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("sku", "tier", "name"),
    [(PA_PC_1Y, Tier.PA, "Priority Access"), (PA_PLUS_PC_1Y, Tier.PA_PLUS, "Priority Access Plus")],
)
def test_an_entitled_pa_or_pa_plus_customer_keeps_its_tier_without_parts_priority(
    sku: str, tier: Tier, name: str
) -> None:
    decision = decide(contracts=[contract(sku)])
    assert outcome(decision) == (STANDARD, tier)
    assert decision.failed_rules == ["parts_priority"]
    assert decision.reasons[-1] == f"standard: {name} does not include parts priority"


def test_a_customer_without_any_contract_is_standard() -> None:
    decision = decide(contracts=[])
    assert outcome(decision) == (STANDARD, Tier.STANDARD)
    assert (decision.contract_id, decision.contract_tier) == (None, None)
    assert "not entitled: no Priority Services contract covers PC units" in decision.reasons


def test_another_customers_contract_gives_nothing() -> None:
    decision = decide(contracts=[contract(customer_id="C2")])
    assert outcome(decision) == (STANDARD, Tier.STANDARD)
    assert decision.failed_rules == ["contract"]


# --- several contracts --------------------------------------------------------------------------


def test_the_best_active_tier_wins() -> None:
    contracts = [
        contract(PA_PC_1Y, contract_id="K-PA"),
        contract(PM_PC_1Y, contract_id="K-PM"),
        contract(PA_PLUS_PC_1Y, contract_id="K-PA+"),
    ]
    decision = decide(contracts=contracts)
    assert outcome(decision) == (PARTS_PRIORITY, Tier.PM)
    assert decision.contract_id == "K-PM"


def test_an_active_pa_contract_beats_an_expired_pm_contract() -> None:
    contracts = [
        contract(PM_PC_1Y, contract_id="K-PM", activation_date=date(2023, 1, 1)),
        contract(PA_PC_1Y, contract_id="K-PA"),
    ]
    decision = decide(contracts=contracts)
    assert outcome(decision) == (STANDARD, Tier.PA)
    assert decision.contract_id == "K-PA"


def test_an_active_pa_plus_contract_beats_a_pm_contract_not_yet_started() -> None:
    contracts = [
        contract(PM_PC_1Y, contract_id="K-PM", activation_date=date(2026, 1, 1)),
        contract(PA_PLUS_PC_1Y, contract_id="K-PA+"),
    ]
    assert outcome(decide(contracts=contracts)) == (STANDARD, Tier.PA_PLUS)


def test_a_renewed_pm_contract_keeps_parts_priority_after_the_old_one_expired() -> None:
    contracts = [
        contract(PM_PC_1Y, contract_id="K-OLD", activation_date=date(2024, 1, 1)),
        contract(PM_PC_1Y, contract_id="K-NEW", activation_date=date(2025, 1, 1)),
    ]
    decision = decide(contracts=contracts, on=date(2025, 6, 1))
    assert (outcome(decision), decision.contract_id) == ((PARTS_PRIORITY, Tier.PM), "K-NEW")


def test_a_pm_contract_too_big_for_the_installed_base_does_not_hide_a_pa_contract() -> None:
    # 500 units meet Priority Access's 250 but not Priority Management's 1,000.
    small = customer(installed_base_pcs=500)
    contracts = [contract(PM_PC_1Y, contract_id="K-PM"), contract(PA_PC_1Y, contract_id="K-PA")]
    decision = decide(the_customer=small, contracts=contracts)
    assert (outcome(decision), decision.contract_id) == ((STANDARD, Tier.PA), "K-PA")
    assert outcome(decide(the_customer=small, contracts=contracts[1:])) == (STANDARD, Tier.PA)


def test_when_no_contract_is_active_the_best_one_is_named() -> None:
    contracts = [
        contract(PA_PC_1Y, contract_id="K-PA", activation_date=date(2026, 1, 1)),
        contract(PM_PC_1Y, contract_id="K-PM", activation_date=date(2026, 1, 1)),
    ]
    decision = decide(contracts=contracts)
    assert outcome(decision) == (STANDARD, Tier.STANDARD)
    assert (decision.contract_id, decision.contract_tier) == ("K-PM", Tier.PM)


def test_the_order_of_the_contracts_does_not_change_the_decision() -> None:
    contracts = [
        contract(PM_PC_1Y, contract_id="K-A"),
        contract(PM_PC_3Y, contract_id="K-B"),
        contract(PA_PC_1Y, contract_id="K-C"),
    ]
    assert decide(contracts=contracts) == decide(contracts=contracts[::-1])


# --- every failed rule is listed ----------------------------------------------------------------


def test_a_decision_lists_every_failed_rule_not_just_the_first() -> None:
    the_customer = customer(country="VN", installed_base_pcs=10, has_it_helpdesk=False)
    expired = contract(activation_date=date(2020, 1, 1))
    decision = decide(order(warranty_valid=False), the_customer, [expired])
    assert outcome(decision) == (STANDARD, Tier.STANDARD)
    assert decision.failed_rules == [
        "contract",
        "coverage",
        "warranty",
        "it_helpdesk",
        "installed_base",
    ]
    failed = [f.message for f in decision.findings if not f.passed]
    assert len(failed) == 5
    assert all(message.startswith("not entitled: ") for message in failed)


def test_an_uncovered_product_still_lists_the_other_failed_rules() -> None:
    the_customer = customer(country="VN", has_it_helpdesk=False)
    decision = decide(order(product_type="server", warranty_valid=False), the_customer)
    assert decision.failed_rules == ["product", "coverage", "warranty", "it_helpdesk"]


def test_an_entitled_decision_explains_every_rule_that_passed() -> None:
    decision = decide()
    rules = [f.rule for f in decision.findings]
    assert rules == [
        "product",
        "contract",
        "coverage",
        "warranty",
        "it_helpdesk",
        "installed_base",
        "parts_priority",
    ]
    assert all(f.passed for f in decision.findings)


# --- the policy ---------------------------------------------------------------------------------


def test_the_default_policy_is_the_data_sheets_reading() -> None:
    policy = EntitlementPolicy()
    assert policy.site_country == "ship_to"
    assert policy.pa_plus_installed_base_counts == "pcs_and_printers"
    assert policy.start_days_after_purchase is None
    assert policy.require_it_helpdesk is True
    assert policy.enforce_installed_base is True


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("site_country", "headquarters"),
        ("site_country", None),
        ("pa_plus_installed_base_counts", "printers"),
        ("start_days_after_purchase", -1),
        ("start_days_after_purchase", 1.5),
        ("start_days_after_purchase", "30"),
        ("start_days_after_purchase", True),
        ("require_it_helpdesk", "no"),
        ("require_it_helpdesk", None),
        ("enforce_installed_base", "false"),
        ("enforce_installed_base", 0),
    ],
)
def test_a_bad_policy_value_is_refused_naming_the_option_and_value(
    option: str, value: object
) -> None:
    with pytest.raises(PolicyError) as caught:
        EntitlementPolicy(**{option: value})  # type: ignore[arg-type]
    assert f"entitlement.{option}" in str(caught.value)
    assert repr(value) in str(caught.value)


def test_a_policy_error_is_an_input_error_so_the_cli_exits_2() -> None:
    assert issubclass(PolicyError, InputError)


# --- many orders --------------------------------------------------------------------------------


def test_orders_with_the_same_facts_get_the_same_decision_under_their_own_ids() -> None:
    orders = [
        order(order_id="O1"),
        order(order_id="O2"),
        order(order_id="O3", ship_to_country="UY"),
    ]
    decisions = entitle_orders(orders, {"C1": customer()}, [contract()])
    assert [d.order_id for d in decisions] == ["O1", "O2", "O3"]
    assert [d.priority_class for d in decisions] == [PARTS_PRIORITY, PARTS_PRIORITY, STANDARD]
    assert decisions[1].findings == decisions[0].findings


def test_entitling_orders_gives_each_customer_only_its_own_contracts() -> None:
    customers = {"C1": customer(), "C2": customer(customer_id="C2")}
    orders = [order(order_id="O1"), order(order_id="O2", customer_id="C2")]
    decisions = entitle_orders(orders, customers, [contract(customer_id="C2")])
    assert [d.priority_class for d in decisions] == [STANDARD, PARTS_PRIORITY]


def test_entitling_an_order_of_an_unknown_customer_is_refused_naming_both_ids() -> None:
    with pytest.raises(UnknownIdError, match=r"order 'O1'.*'C9'"):
        entitle_orders([order(customer_id="C9")], {"C1": customer()}, [contract()])
