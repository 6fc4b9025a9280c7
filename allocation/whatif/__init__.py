"""What-if analysis: edit a snapshot or a policy, allocate again, and see who gains and loses.

- :mod:`~allocation.whatif.edits`: snapshot edits (depot offline, demand, broker capacity,
  a customer's tier or country), each returning a new snapshot;
- :class:`WhatIf`: a snapshot and policies edited step by step, then allocated;
- :func:`diff`: who gains and who loses from one plan to another;
- :func:`compare_protection`: what protection levels buy and cost, class by class.
"""

from __future__ import annotations

from allocation.whatif.diff import LEVELS, PlanDiff, diff
from allocation.whatif.edits import (
    add_broker_capacity,
    move_customer,
    scale_demand,
    set_tier,
    take_depot_offline,
)
from allocation.whatif.outcomes import (
    OUTCOME_COLUMNS,
    order_sites,
    outcomes_from_tables,
    plan_outcomes,
    read_outcomes,
)
from allocation.whatif.protection import ProtectionReport, compare_protection
from allocation.whatif.what_if import WhatIf

__all__ = [
    "LEVELS",
    "OUTCOME_COLUMNS",
    "PlanDiff",
    "ProtectionReport",
    "WhatIf",
    "add_broker_capacity",
    "compare_protection",
    "diff",
    "move_customer",
    "order_sites",
    "outcomes_from_tables",
    "plan_outcomes",
    "read_outcomes",
    "scale_demand",
    "set_tier",
    "take_depot_offline",
]
