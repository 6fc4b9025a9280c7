"""Contract windows: when a contract's service starts and ends, and what the decision says
about a contract not yet active or expired (docs/explanation/rules.md, contract terms).

The factories build an entitled Priority Management customer in the US with a PC contract
active on :data:`DAY`; each test changes the one fact it is about.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from allocation.domain.entitlement import ContractWindow, EntitlementPolicy, contract_window
from allocation.domain.model import PriorityClass, Tier
from allocation.domain.rulebook import default_rulebook
from allocation.errors import UnknownIdError
from tests.allocation.domain.deciding import decide, has_reason, outcome
from tests.allocation.factories import contract, order
from tests.allocation.rules_md import PM_PC_1Y, PM_PC_3Y, PM_PC_4Y, PM_PC_5Y

pytestmark = pytest.mark.fast

PARTS_PRIORITY, STANDARD = PriorityClass.PARTS_PRIORITY, PriorityClass.STANDARD


START = date(2025, 3, 10)


@pytest.mark.parametrize(
    ("sku", "years"), [(PM_PC_1Y, 1), (PM_PC_3Y, 3), (PM_PC_4Y, 4), (PM_PC_5Y, 5)]
)
def test_a_contract_is_active_from_its_start_day_until_the_day_before_start_plus_term(
    sku: str, years: int
) -> None:
    contracts = [contract(sku, activation_date=START)]
    end = date(START.year + years, START.month, START.day)

    def klass(day: date) -> PriorityClass:
        return decide(contracts=contracts, on=day).priority_class

    assert klass(START - timedelta(days=1)) is STANDARD
    assert klass(START) is PARTS_PRIORITY
    assert klass(end - timedelta(days=1)) is PARTS_PRIORITY
    assert klass(end) is STANDARD


def test_a_contract_not_yet_active_says_when_it_starts() -> None:
    decision = decide(contracts=[contract(activation_date=START)], on=date(2025, 3, 9))
    assert outcome(decision) == (STANDARD, Tier.STANDARD)
    assert decision.failed_rules == ["contract"]
    assert has_reason(decision, "starts on 2025-03-10, after 2025-03-09")
    assert (decision.contract_id, decision.contract_tier) == ("K1", Tier.PM)


def test_an_expired_contract_says_when_it_expired() -> None:
    decision = decide(contracts=[contract(activation_date=START)], on=date(2026, 3, 10))
    assert outcome(decision) == (STANDARD, Tier.STANDARD)
    assert has_reason(
        decision,
        "not entitled: contract K1 (U7D00E, Priority Management for PC units, 1 year) "
        "expired on 2026-03-10",
    )


def test_without_an_activation_date_service_starts_30_days_after_purchase() -> None:
    bought = contract(PM_PC_1Y, purchase_date=date(2025, 1, 1))
    window = contract_window(bought, default_rulebook().skus[PM_PC_1Y], 30)
    assert window == ContractWindow(start=date(2025, 1, 31), end=date(2026, 1, 31))
    assert decide(contracts=[bought], on=date(2025, 1, 30)).priority_class is STANDARD
    assert decide(contracts=[bought], on=date(2025, 1, 31)).priority_class is PARTS_PRIORITY


@pytest.mark.parametrize("activation", [date(2025, 1, 5), date(2025, 4, 1)])
def test_an_activation_date_is_the_start_whether_early_or_late(activation: date) -> None:
    activated = contract(purchase_date=date(2025, 1, 1), activation_date=activation)
    window = contract_window(activated, default_rulebook().skus[PM_PC_1Y], 30)
    assert window.start == activation
    assert decide(contracts=[activated], on=activation).priority_class is PARTS_PRIORITY
    assert decide(contracts=[activated], on=activation - timedelta(days=1)).priority_class is (
        STANDARD
    )


def test_the_policy_can_change_the_days_from_purchase_to_start() -> None:
    bought = [contract(purchase_date=date(2025, 1, 1))]
    day = date(2025, 2, 10)
    assert decide(contracts=bought, on=day).priority_class is PARTS_PRIORITY
    later = EntitlementPolicy(start_days_after_purchase=45)  # starts 15 February
    assert decide(contracts=bought, on=day, policy=later).priority_class is STANDARD
    at_once = EntitlementPolicy(start_days_after_purchase=0)
    assert decide(contracts=bought, on=date(2025, 1, 1), policy=at_once).priority_class is (
        PARTS_PRIORITY
    )


def test_a_term_starting_on_29_february_ends_on_28_february() -> None:
    leap = contract(activation_date=date(2024, 2, 29))
    window = contract_window(leap, default_rulebook().skus[PM_PC_1Y], 30)
    assert window.end == date(2025, 2, 28)
    assert decide(contracts=[leap], on=date(2025, 2, 27)).priority_class is PARTS_PRIORITY
    assert decide(contracts=[leap], on=date(2025, 2, 28)).priority_class is STANDARD


def test_a_29_february_purchase_started_at_once_rolls_its_end_to_28_february() -> None:
    leap = contract(purchase_date=date(2024, 2, 29))
    window = contract_window(leap, default_rulebook().skus[PM_PC_1Y], 0)
    assert window == ContractWindow(start=date(2024, 2, 29), end=date(2025, 2, 28))


def test_a_four_year_term_from_29_february_ends_on_29_february() -> None:
    leap = contract(PM_PC_4Y, activation_date=date(2024, 2, 29))
    window = contract_window(leap, default_rulebook().skus[PM_PC_4Y], 30)
    assert window.end == date(2028, 2, 29)


def test_purchase_plus_30_days_may_land_on_29_february() -> None:
    bought = contract(purchase_date=date(2024, 1, 30))
    window = contract_window(bought, default_rulebook().skus[PM_PC_1Y], 30)
    assert window == ContractWindow(start=date(2024, 2, 29), end=date(2025, 2, 28))


def test_the_decision_day_is_the_order_day_unless_given() -> None:
    contracts = [contract(activation_date=START)]
    the_eve = order(created_at=datetime(2025, 3, 9, 23, 59))
    assert decide(the_eve, contracts=contracts).priority_class is STANDARD
    assert decide(the_eve, contracts=contracts, on=START).priority_class is PARTS_PRIORITY


def test_a_contract_sku_is_matched_whatever_its_case() -> None:
    assert decide(contracts=[contract("u7d00e")]).priority_class is PARTS_PRIORITY


def test_a_contract_with_an_unknown_sku_is_refused_naming_it() -> None:
    with pytest.raises(UnknownIdError, match="'U0000E'"):
        decide(contracts=[contract("U0000E")])
