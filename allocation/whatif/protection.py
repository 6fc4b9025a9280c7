"""What protection levels buy each class, and what they cost: one snapshot, with and without.

The snapshot is allocated twice under the same policy, once without protection levels and
once with the given ones, and the two plans are compared class by class. Against the
optimizer the levels never change what ``parts_priority`` orders get *now* — one plan
already serves them first, and a level only restricts ``standard`` orders — so the
comparison shows what the levels cost now (standard units and hours, units left idle on the
shelf) and, against the ``fifo`` baseline, what they save. What they buy *later*, for
parts-priority orders that arrive after the snapshot, is a question for the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from allocation.adapters.protection_file import load_protection_levels
from allocation.adapters.tables import TableSource
from allocation.domain.entitlement import EntitlementPolicy
from allocation.domain.model import SourceBase
from allocation.domain.policy import AllocationPolicy
from allocation.domain.protection import ProtectionLevels
from allocation.domain.snapshot import Snapshot
from allocation.engine import STRATEGIES, Engine, Plan, html_block, html_table, records
from allocation.engine.explain import held_back
from allocation.errors import PolicyError
from allocation.whatif.diff import PlanDiff, diff

__all__ = ["ProtectionReport", "compare_protection"]

_CLASS_COLUMNS = {
    "units_a": "units_without",
    "units_b": "units_with",
    "units_change": "units_change",
    "eta_hours_a": "eta_hours_without",
    "eta_hours_b": "eta_hours_with",
    "eta_change": "eta_change",
    "losing": "orders_losing",
    "gaining": "orders_gaining",
}


@dataclass(frozen=True)
class ProtectionReport:
    """Two plans of one snapshot, without and with protection levels.

    Attributes
    ----------
    without, with_levels : Plan
    levels : ProtectionLevels
    """

    without: Plan
    with_levels: Plan
    levels: ProtectionLevels

    @cached_property
    def change(self) -> PlanDiff:
        """Order by order, from the plan without levels to the plan with them."""
        return diff(self.without, self.with_levels)

    def by_class(self) -> pd.DataFrame:
        """Per priority class: units and mean ETA hours without and with the levels."""
        table = self.change.by("priority_class")
        return table[["priority_class", "orders", *_CLASS_COLUMNS]].rename(columns=_CLASS_COLUMNS)

    def held(self) -> pd.DataFrame:
        """Per protected depot and part: the level, units on hand, protected units, how many
        parts-priority orders took, how many sit idle, and the unfilled standard units that
        could have used the idle ones."""
        plan = self.with_levels
        sources = plan.problem.sources.to_pandas()
        stock = sources[sources["base"] == SourceBase.SHELF]
        used = np.bincount(
            plan.problem.arcs.source, weights=plan.flow, minlength=len(sources)
        ).astype(np.int64)
        waiting = _waiting_standard(plan)
        rows = []
        for (depot, part), shelf in stock.groupby(["origin", "part_number"], sort=True):
            level = self.levels.level(str(depot), str(part))
            if level == 0:
                continue
            protected = shelf[shelf["protected"].astype(bool)]
            held_units = int(protected["quantity"].sum())
            taken = int(used[protected.index.to_numpy()].sum())
            rows.append(
                {
                    "depot_id": depot,
                    "part_number": part,
                    "level": level,
                    "on_hand": int(shelf["quantity"].sum()),
                    "protected": held_units,
                    "taken_by_parts_priority": taken,
                    "idle": held_units - taken,
                    "standard_units_waiting": waiting.get((str(depot), str(part)), 0),
                }
            )
        columns = ["depot_id", "part_number", "level", "on_hand", "protected"]
        columns += ["taken_by_parts_priority", "idle", "standard_units_waiting"]
        return pd.DataFrame(rows, columns=columns)

    def to_pandas(self) -> pd.DataFrame:
        """The table by class (see :meth:`by_class`)."""
        return self.by_class()

    def summary(self) -> dict[str, Any]:
        """By class, per protected shelf, and the money both plans spend."""
        money = (self.without.objective()["cost"], self.with_levels.objective()["cost"])
        return {
            "strategy": self.without.strategy,
            "levels": len(self.held()),
            "by_class": [_plain_row(r) for r in records(self.by_class())],
            "held": [_plain_row(r) for r in records(self.held())],
            "cost_without": round(money[0], 2),
            "cost_with": round(money[1], 2),
        }

    def _repr_html_(self) -> str:
        held = self.held()
        return html_block(
            f"Protection levels ({self.without.strategy})",
            [
                html_table(self.by_class(), "by priority class, without → with the levels"),
                html_table(held, "protected shelves"),
            ],
            [f"{int(held['idle'].sum()):,} protected unit(s) idle, kept for later orders"],
        )


def compare_protection(
    snapshot: Snapshot,
    levels: ProtectionLevels | TableSource,
    policy: AllocationPolicy | None = None,
    strategy: str = "optimal",
    entitlement_policy: EntitlementPolicy | None = None,
) -> ProtectionReport:
    """Allocate without and with protection levels and compare the two plans.

    Parameters
    ----------
    snapshot : Snapshot
    levels : ProtectionLevels, or a table (path or DataFrame) of ``depot_id``,
        ``part_number``, ``level``
    policy : AllocationPolicy, optional
        Everything else; its own protection levels are replaced.
    strategy : {"optimal", "fifo", "tier_greedy"}
    entitlement_policy : EntitlementPolicy, optional

    Returns
    -------
    ProtectionReport

    Examples
    --------
    >>> from allocation import load_snapshot
    >>> levels = ProtectionLevels({("D-US", "PSU-200"): 3})
    >>> report = compare_protection(load_snapshot("scenarios/example"), levels)
    >>> report.by_class()[["priority_class", "units_without", "units_with"]]
       priority_class  units_without  units_with
    0  parts_priority              5           5
    1        standard              6           5
    >>> report.held()[["depot_id", "part_number", "protected", "idle"]]
      depot_id part_number  protected  idle
    0     D-US     PSU-200          3     3
    """
    if strategy not in STRATEGIES:
        raise PolicyError(f"unknown strategy {strategy!r} (use one of {', '.join(STRATEGIES)})")
    chosen = levels if isinstance(levels, ProtectionLevels) else load_protection_levels(levels)
    base = policy or AllocationPolicy()
    plans = [
        Engine(snapshot, replace(base, protection=p), entitlement_policy).plan(strategy)
        for p in (ProtectionLevels(), chosen)
    ]
    return ProtectionReport(without=plans[0], with_levels=plans[1], levels=chosen)


def _waiting_standard(plan: Plan) -> dict[tuple[str, str], int]:
    """Unfilled standard units per protected shelf whose idle units they could have used."""
    missing = plan.problem.orders.quantity - plan.filled
    rows = np.flatnonzero(missing > 0)
    held = held_back(plan.problem, plan.flow, rows)
    out: dict[tuple[str, str], int] = {}
    for row, free, depot, part in zip(
        held.row.tolist(), held.free.tolist(), held.depot.tolist(), held.part.tolist(), strict=True
    ):
        if free > 0:
            key = (str(depot), str(part))
            out[key] = out.get(key, 0) + int(missing[row])
    return out


def _plain_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
