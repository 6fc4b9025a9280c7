"""Parts Priority's allocation engine: who gets scarce spare parts, from which source, and why.

The public API is what ``__all__`` lists; everything else is private and may change.

Examples
--------
>>> from allocation import normalize_country
>>> normalize_country("乌拉圭")
'UY'
"""

from __future__ import annotations

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
from allocation.domain.policy import AllocationPolicy
from allocation.domain.protection import ProtectionLevels
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
    "compare_protection",
    "decide_entitlement",
    "default_rulebook",
    "diff",
    "entitle",
    "generate_world",
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
