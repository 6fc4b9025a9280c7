"""Installed base: each tier's minimum of PCs and business printers, counted as the data
sheet says, and the shortfall told exactly (docs/explanation/rules.md, installed base).

The factories build an entitled Priority Management customer in the US with a PC contract
active on :data:`DAY`; each test changes the one fact it is about.
"""

from __future__ import annotations

import pytest

from allocation.domain.entitlement import EntitlementPolicy
from allocation.domain.model import PriorityClass, Tier
from tests.allocation.domain.deciding import decide, has_reason, outcome
from tests.allocation.factories import contract, customer
from tests.allocation.rules_md import PA_PC_1Y, PA_PLUS_PC_1Y, PM_PC_1Y

pytestmark = pytest.mark.fast

PARTS_PRIORITY, STANDARD = PriorityClass.PARTS_PRIORITY, PriorityClass.STANDARD


@pytest.mark.parametrize(
    ("sku", "base", "expected"),
    [
        pytest.param(PA_PC_1Y, 249, (STANDARD, Tier.STANDARD), id="PA-249"),
        pytest.param(PA_PC_1Y, 250, (STANDARD, Tier.PA), id="PA-250"),
        pytest.param(PA_PLUS_PC_1Y, 999, (STANDARD, Tier.STANDARD), id="PA+-999"),
        pytest.param(PA_PLUS_PC_1Y, 1000, (STANDARD, Tier.PA_PLUS), id="PA+-1000"),
        pytest.param(PM_PC_1Y, 999, (STANDARD, Tier.STANDARD), id="PM-999"),
        pytest.param(PM_PC_1Y, 1000, (PARTS_PRIORITY, Tier.PM), id="PM-1000"),
    ],
)
def test_each_tier_needs_its_minimum_installed_base(
    sku: str, base: int, expected: tuple[PriorityClass, Tier]
) -> None:
    decision = decide(the_customer=customer(installed_base_pcs=base), contracts=[contract(sku)])
    assert outcome(decision) == expected
    assert ("installed_base" in decision.failed_rules) is (expected[1] is Tier.STANDARD)


@pytest.mark.parametrize(
    ("sku", "pcs", "printers", "tier"),
    [
        pytest.param(PA_PC_1Y, 150, 100, Tier.PA, id="PA-150+100"),
        pytest.param(PA_PC_1Y, 150, 99, Tier.STANDARD, id="PA-150+99"),
        pytest.param(PA_PLUS_PC_1Y, 600, 400, Tier.PA_PLUS, id="PA+-600+400"),
        pytest.param(PA_PLUS_PC_1Y, 600, 399, Tier.STANDARD, id="PA+-600+399"),
        pytest.param(PM_PC_1Y, 600, 400, Tier.PM, id="PM-600+400"),
        pytest.param(PM_PC_1Y, 600, 399, Tier.STANDARD, id="PM-600+399"),
        pytest.param(PM_PC_1Y, 0, 1000, Tier.PM, id="PM-printers-only"),
    ],
)
def test_pcs_and_business_printers_count_together_towards_the_minimum(
    sku: str, pcs: int, printers: int, tier: Tier
) -> None:
    the_customer = customer(installed_base_pcs=pcs, installed_base_printers=printers)
    decision = decide(the_customer=the_customer, contracts=[contract(sku)])
    assert decision.tier is tier


@pytest.mark.parametrize(
    ("pcs", "printers", "tier"),
    [
        pytest.param(999, 500, Tier.STANDARD, id="999-pcs"),
        pytest.param(1000, 0, Tier.PA_PLUS, id="1000-pcs"),
    ],
)
def test_pa_plus_can_count_pcs_only_as_the_body_text_says(
    pcs: int, printers: int, tier: Tier
) -> None:
    policy = EntitlementPolicy(pa_plus_installed_base_counts="pcs")
    the_customer = customer(installed_base_pcs=pcs, installed_base_printers=printers)
    decision = decide(the_customer=the_customer, contracts=[contract(PA_PLUS_PC_1Y)], policy=policy)
    assert decision.tier is tier


def test_counting_pcs_only_for_pa_plus_leaves_pm_counting_printers_too() -> None:
    policy = EntitlementPolicy(pa_plus_installed_base_counts="pcs")
    the_customer = customer(installed_base_pcs=500, installed_base_printers=500)
    decision = decide(the_customer=the_customer, policy=policy)
    assert outcome(decision) == (PARTS_PRIORITY, Tier.PM)


def test_a_pm_customer_one_unit_short_is_told_the_exact_shortfall() -> None:
    decision = decide(the_customer=customer(installed_base_pcs=999))
    assert has_reason(
        decision,
        "not entitled: installed base 999 is below the 1,000 that Priority Management requires",
    )
    assert decision.failed_rules == ["installed_base"]


def test_a_pa_customer_one_unit_short_is_told_the_exact_shortfall() -> None:
    decision = decide(the_customer=customer(installed_base_pcs=249), contracts=[contract(PA_PC_1Y)])
    assert has_reason(
        decision, "not entitled: installed base 249 is below the 250 that Priority Access requires"
    )


def test_the_installed_base_check_can_be_switched_off_for_what_if_analysis() -> None:
    policy = EntitlementPolicy(enforce_installed_base=False)
    decision = decide(the_customer=customer(installed_base_pcs=10), policy=policy)
    assert outcome(decision) == (PARTS_PRIORITY, Tier.PM)
