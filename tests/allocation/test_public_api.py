"""The public API of ``allocation`` is what ``__all__`` lists, and this test pins it.

Adding or removing a public name is a decision: change the list here with it.
"""

from __future__ import annotations

import inspect

import allocation
import allocation.whatif

PUBLIC = {
    # tables in, snapshots, and what-if edits of them
    "EntitlementInputs",
    "Snapshot",
    "generate_world",
    "is_currency",
    "load_entitlement_inputs",
    "load_snapshot",
    "write_world",
    "add_broker_capacity",
    "move_customer",
    "scale_demand",
    "set_tier",
    "take_depot_offline",
    "WhatIf",
    # planner overrides, as snapshot edits
    "firm",
    "forbid",
    "clear_overrides",
    # use cases and their results
    "STRATEGIES",
    "Engine",
    "allocate",
    "classify_orders",
    "entitle",
    "EntitlementReport",
    "audit",
    "AuditReport",
    "Plan",
    "Planner",
    "marginal_values",
    "diff",
    "PlanDiff",
    "plan_outcomes",
    "read_outcomes",
    "report",
    "reports",
    "compare_protection",
    "ProtectionReport",
    # policy and rules
    "AllocationPolicy",
    "EntitlementPolicy",
    "ProtectionLevels",
    "ResponseTimes",
    "load_protection_levels",
    "Rulebook",
    "default_rulebook",
    "load_rulebook",
    "decide_entitlement",
    "EntitlementDecision",
    "Finding",
    "normalize_country",
    # the domain's value objects
    "Contract",
    "Customer",
    "SourceBase",
    "Depot",
    "InboundReceipt",
    "Lane",
    "OrderLine",
    "Part",
    "PriorityClass",
    "ProductFamily",
    "SourceKind",
    "StockLevel",
    "SupplyOption",
    "Tier",
    # errors
    "AllocationError",
    "InputError",
    "TableError",
    "UnknownCountryError",
    "RulebookError",
    "PolicyError",
    "UnknownIdError",
    "SolverError",
    "InfeasibleError",
    "OutOfRangeError",
}


def test_all_lists_exactly_the_public_names_once() -> None:
    assert len(allocation.__all__) == len(set(allocation.__all__))
    assert set(allocation.__all__) == PUBLIC


def test_every_public_name_is_importable_and_documented() -> None:
    for name in allocation.__all__:
        value = getattr(allocation, name)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert inspect.getdoc(value), f"{name} has no docstring"


def test_public_functions_and_classes_say_they_come_from_the_package() -> None:
    # Names are re-exported from private modules; none leaks from a third-party library.
    for name in allocation.__all__:
        value = getattr(allocation, name)
        module = getattr(value, "__module__", "allocation")
        assert module.startswith("allocation"), (name, module)


def test_the_what_if_package_exports_what_the_top_level_does() -> None:
    shared = set(allocation.whatif.__all__) & PUBLIC
    assert shared == {
        "PlanDiff",
        "ProtectionReport",
        "WhatIf",
        "add_broker_capacity",
        "compare_protection",
        "diff",
        "move_customer",
        "plan_outcomes",
        "read_outcomes",
        "scale_demand",
        "set_tier",
        "take_depot_offline",
    }
    for name in shared:
        assert getattr(allocation.whatif, name) is getattr(allocation, name)
