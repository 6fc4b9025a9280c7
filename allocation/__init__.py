"""Parts Priority's allocation engine: who gets scarce spare parts, from which source, and why.

The public API is what ``__all__`` lists; everything else is private and may change.

Examples
--------
>>> from allocation import normalize_country
>>> normalize_country("乌拉圭")
'UY'
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from allocation.adapters.inputs import load_entitlement_inputs
    from allocation.adapters.protection_file import load_protection_levels
    from allocation.adapters.snapshot import load_snapshot
    from allocation.adapters.synthetic import generate_world, write_world
    from allocation.allocate import STRATEGIES, allocate
    from allocation.audit import AuditReport, audit
    from allocation.domain.countries import normalize_country
    from allocation.domain.entitlement import (
        EntitlementDecision,
        EntitlementPolicy,
        Finding,
        decide_entitlement,
    )
    from allocation.domain.model import (
        Contract,
        Customer,
        Depot,
        InboundReceipt,
        Lane,
        OrderLine,
        Part,
        PriorityClass,
        ProductFamily,
        SourceBase,
        SourceKind,
        StockLevel,
        SupplyOption,
        Tier,
    )
    from allocation.domain.policy import AllocationPolicy, is_currency
    from allocation.domain.protection import ProtectionLevels
    from allocation.domain.response import ResponseTimes
    from allocation.domain.rulebook import Rulebook, default_rulebook, load_rulebook
    from allocation.domain.snapshot import EntitlementInputs, Snapshot
    from allocation.engine import Engine, Plan, Planner, classify_orders, marginal_values
    from allocation.entitle import EntitlementReport, entitle
    from allocation.errors import (
        AllocationError,
        InfeasibleError,
        InputError,
        OutOfRangeError,
        PolicyError,
        RulebookError,
        SolverError,
        TableError,
        UnknownCountryError,
        UnknownIdError,
    )
    from allocation.planner_overrides import clear_overrides, firm, forbid
    from allocation.reporting import report, reports
    from allocation.whatif import (
        PlanDiff,
        ProtectionReport,
        WhatIf,
        add_broker_capacity,
        compare_protection,
        diff,
        move_customer,
        plan_outcomes,
        read_outcomes,
        scale_demand,
        set_tier,
        take_depot_offline,
    )

# Loaded on first use, so that a command that needs none of them (``--help``, a command that
# only reads a file) does not pay for pandas, the solver and the plotting stack.
_HOMES = {
    "load_entitlement_inputs": "allocation.adapters.inputs",
    "load_protection_levels": "allocation.adapters.protection_file",
    "load_snapshot": "allocation.adapters.snapshot",
    "generate_world": "allocation.adapters.synthetic",
    "write_world": "allocation.adapters.synthetic",
    "STRATEGIES": "allocation.allocate",
    "allocate": "allocation.allocate",
    "AuditReport": "allocation.audit",
    "audit": "allocation.audit",
    "normalize_country": "allocation.domain.countries",
    "EntitlementDecision": "allocation.domain.entitlement",
    "EntitlementPolicy": "allocation.domain.entitlement",
    "Finding": "allocation.domain.entitlement",
    "decide_entitlement": "allocation.domain.entitlement",
    "Contract": "allocation.domain.model",
    "Customer": "allocation.domain.model",
    "Depot": "allocation.domain.model",
    "InboundReceipt": "allocation.domain.model",
    "Lane": "allocation.domain.model",
    "OrderLine": "allocation.domain.model",
    "Part": "allocation.domain.model",
    "PriorityClass": "allocation.domain.model",
    "ProductFamily": "allocation.domain.model",
    "SourceBase": "allocation.domain.model",
    "SourceKind": "allocation.domain.model",
    "StockLevel": "allocation.domain.model",
    "SupplyOption": "allocation.domain.model",
    "Tier": "allocation.domain.model",
    "AllocationPolicy": "allocation.domain.policy",
    "is_currency": "allocation.domain.policy",
    "ProtectionLevels": "allocation.domain.protection",
    "ResponseTimes": "allocation.domain.response",
    "Rulebook": "allocation.domain.rulebook",
    "default_rulebook": "allocation.domain.rulebook",
    "load_rulebook": "allocation.domain.rulebook",
    "EntitlementInputs": "allocation.domain.snapshot",
    "Snapshot": "allocation.domain.snapshot",
    "Engine": "allocation.engine",
    "Plan": "allocation.engine",
    "Planner": "allocation.engine",
    "classify_orders": "allocation.engine",
    "marginal_values": "allocation.engine",
    "EntitlementReport": "allocation.entitle",
    "entitle": "allocation.entitle",
    "AllocationError": "allocation.errors",
    "InfeasibleError": "allocation.errors",
    "InputError": "allocation.errors",
    "OutOfRangeError": "allocation.errors",
    "PolicyError": "allocation.errors",
    "RulebookError": "allocation.errors",
    "SolverError": "allocation.errors",
    "TableError": "allocation.errors",
    "UnknownCountryError": "allocation.errors",
    "UnknownIdError": "allocation.errors",
    "clear_overrides": "allocation.planner_overrides",
    "firm": "allocation.planner_overrides",
    "forbid": "allocation.planner_overrides",
    "report": "allocation.reporting",
    "reports": "allocation.reporting",
    "PlanDiff": "allocation.whatif",
    "ProtectionReport": "allocation.whatif",
    "WhatIf": "allocation.whatif",
    "add_broker_capacity": "allocation.whatif",
    "compare_protection": "allocation.whatif",
    "diff": "allocation.whatif",
    "move_customer": "allocation.whatif",
    "plan_outcomes": "allocation.whatif",
    "read_outcomes": "allocation.whatif",
    "scale_demand": "allocation.whatif",
    "set_tier": "allocation.whatif",
    "take_depot_offline": "allocation.whatif",
}

__all__ = [
    "STRATEGIES",
    "AllocationError",
    "AllocationPolicy",
    "AuditReport",
    "Contract",
    "Customer",
    "Depot",
    "Engine",
    "EntitlementDecision",
    "EntitlementInputs",
    "EntitlementPolicy",
    "EntitlementReport",
    "Finding",
    "InboundReceipt",
    "InfeasibleError",
    "InputError",
    "Lane",
    "OrderLine",
    "OutOfRangeError",
    "Part",
    "Plan",
    "PlanDiff",
    "Planner",
    "PolicyError",
    "PriorityClass",
    "ProductFamily",
    "ProtectionLevels",
    "ProtectionReport",
    "ResponseTimes",
    "Rulebook",
    "RulebookError",
    "Snapshot",
    "SolverError",
    "SourceBase",
    "SourceKind",
    "StockLevel",
    "SupplyOption",
    "TableError",
    "Tier",
    "UnknownCountryError",
    "UnknownIdError",
    "WhatIf",
    "add_broker_capacity",
    "allocate",
    "audit",
    "classify_orders",
    "clear_overrides",
    "compare_protection",
    "decide_entitlement",
    "default_rulebook",
    "diff",
    "entitle",
    "firm",
    "forbid",
    "generate_world",
    "is_currency",
    "load_entitlement_inputs",
    "load_protection_levels",
    "load_rulebook",
    "load_snapshot",
    "marginal_values",
    "move_customer",
    "normalize_country",
    "plan_outcomes",
    "read_outcomes",
    "report",
    "reports",
    "scale_demand",
    "set_tier",
    "take_depot_offline",
    "write_world",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'allocation' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """This package's module object. Four public functions share their name with the module
    or package beside them (``allocate``, ``audit``, ``entitle``, ``reports``); importing
    such a module sets the package's attribute to it, so a module imported after the package
    would hide the function. Here the function keeps the name, as when the package imported
    everything at once: ``allocation.audit`` is the function, ``allocation.audit.audit`` too
    (through the function's module in ``sys.modules``, which ``from allocation.audit import
    audit`` reads)."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _HOMES and getattr(value, "__name__", None) == f"{__name__}.{name}":
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
