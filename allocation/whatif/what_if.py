"""A what-if case for notebooks: a snapshot and a policy, edited step by step, then allocated.

Each method returns a new :class:`WhatIf` with one more edit and says what it changed, so a
notebook cell reads like the question it asks::

    base = WhatIf(load_snapshot("scenarios/example"))
    storm = base.take_depot_offline("D-US").scale_demand(1.5)
    diff(base.allocate(), storm.allocate()).by("customer")
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from allocation.adapters.protection_file import load_protection_levels
from allocation.adapters.tables import TableSource
from allocation.allocate import allocate
from allocation.domain.entitlement import EntitlementPolicy
from allocation.domain.model import ProductFamily, Tier
from allocation.domain.policy import AllocationPolicy
from allocation.domain.protection import ProtectionLevels
from allocation.domain.snapshot import Snapshot
from allocation.engine import Plan, html_block
from allocation.errors import PolicyError
from allocation.whatif import edits

__all__ = ["WhatIf"]


@dataclass(frozen=True)
class WhatIf:
    """A snapshot, the policies to allocate it with, and the edits that made it.

    Parameters
    ----------
    snapshot : Snapshot
    policy : AllocationPolicy, optional
        The data sheet's defaults when omitted.
    entitlement_policy : EntitlementPolicy, optional
    edits : tuple of str
        What was changed, in words, oldest first (kept by the methods; leave it out).

    Examples
    --------
    >>> from allocation import load_snapshot
    >>> base = WhatIf(load_snapshot("scenarios/example"))
    >>> case = base.take_depot_offline("D-US").with_policy(preemption=False)
    >>> case.edits
    ('depot D-US offline', 'policy: preemption=False')
    >>> base.allocate().objective()["parts_priority_units"]
    5.0
    >>> case.allocate().objective()["parts_priority_units"]
    4.0
    """

    snapshot: Snapshot
    policy: AllocationPolicy = field(default_factory=AllocationPolicy)
    entitlement_policy: EntitlementPolicy | None = None
    edits: tuple[str, ...] = ()

    # -- the world ---------------------------------------------------------------------
    def take_depot_offline(self, depot_id: str) -> WhatIf:
        """See :func:`allocation.take_depot_offline`; its protection levels go with it."""
        snapshot = edits.take_depot_offline(self.snapshot, depot_id)
        policy = dataclasses.replace(
            self.policy, protection=self.policy.protection.without_depot(depot_id)
        )
        return self._then(f"depot {depot_id} offline", snapshot=snapshot, policy=policy)

    def scale_demand(
        self,
        factor: float,
        *,
        parts: Iterable[str] | None = None,
        customers: Iterable[str] | None = None,
        countries: Iterable[str] | None = None,
    ) -> WhatIf:
        """See :func:`allocation.scale_demand`."""
        parts, customers, countries = _listed(parts), _listed(customers), _listed(countries)
        snapshot = edits.scale_demand(
            self.snapshot, factor, parts=parts, customers=customers, countries=countries
        )
        scope = [
            f"{name} {', '.join(values)}"
            for name, values in (("parts", parts), ("customers", customers), ("in", countries))
            if values is not None
        ]
        words = f"demand × {factor:g}" + (f" ({'; '.join(scope)})" if scope else "")
        return self._then(words, snapshot=snapshot)

    def add_broker_capacity(
        self,
        part_number: str,
        capacity: int,
        *,
        lead_time_hours: float,
        unit_cost: float,
        supplier_id: str,
        success_probability: float = 1.0,
        delivers_to: str | None = None,
    ) -> WhatIf:
        """See :func:`allocation.add_broker_capacity`."""
        snapshot = edits.add_broker_capacity(
            self.snapshot,
            part_number,
            capacity,
            lead_time_hours=lead_time_hours,
            unit_cost=unit_cost,
            supplier_id=supplier_id,
            success_probability=success_probability,
            delivers_to=delivers_to,
        )
        words = (
            f"+{capacity} {part_number} from broker {supplier_id} "
            f"({lead_time_hours:g} h, {unit_cost:.2f} each)"
        )
        return self._then(words, snapshot=snapshot)

    def set_tier(
        self,
        customer_id: str,
        tier: Tier | str,
        families: Iterable[ProductFamily | str] | None = None,
    ) -> WhatIf:
        """See :func:`allocation.set_tier`."""
        snapshot = edits.set_tier(self.snapshot, customer_id, tier, families)
        return self._then(f"{customer_id} tier {Tier(tier).value}", snapshot=snapshot)

    def move_customer(self, customer_id: str, country: str) -> WhatIf:
        """See :func:`allocation.move_customer`."""
        snapshot = edits.move_customer(self.snapshot, customer_id, country)
        moved = str(snapshot.customers.set_index("customer_id").loc[customer_id, "country"])
        return self._then(f"{customer_id} moved to {moved}", snapshot=snapshot)

    # -- the policy --------------------------------------------------------------------
    def with_policy(self, **changes: Any) -> WhatIf:
        """The same case under a policy with some options changed (names as in the policy
        file's ``allocation`` section; see :class:`allocation.AllocationPolicy`)."""
        known = {f.name for f in dataclasses.fields(AllocationPolicy)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise PolicyError(
                f"allocation.{unknown[0]} is not an option (known: {', '.join(sorted(known))})"
            )
        policy = dataclasses.replace(self.policy, **changes)
        words = ", ".join(f"{k}={v!r}" for k, v in sorted(changes.items()))
        return self._then(f"policy: {words}", policy=policy)

    def with_protection(self, levels: ProtectionLevels | TableSource, default: int = 0) -> WhatIf:
        """The same case with protection levels: a :class:`ProtectionLevels`, or a table
        (path or DataFrame) of ``depot_id``, ``part_number``, ``level`` plus a default."""
        chosen = (
            levels
            if isinstance(levels, ProtectionLevels)
            else load_protection_levels(levels, default)
        )
        policy = dataclasses.replace(self.policy, protection=chosen)
        words = f"protection: {len(chosen.levels)} level(s), default {chosen.default}"
        return self._then(words, policy=policy)

    # -- results -----------------------------------------------------------------------
    def allocate(self, strategy: str = "optimal") -> Plan:
        """The plan of this case (see :func:`allocation.allocate`)."""
        return allocate(
            self.snapshot, self.policy, strategy, entitlement_policy=self.entitlement_policy
        )

    def _then(self, words: str, **changed: Any) -> WhatIf:
        return dataclasses.replace(self, edits=(*self.edits, words), **changed)

    def __repr__(self) -> str:
        done = "; ".join(self.edits) or "no edits"
        return f"WhatIf({self.snapshot.source}: {len(self.snapshot.orders)} orders; {done})"

    def _repr_html_(self) -> str:
        return html_block(
            f"What if ({self.snapshot.source})",
            [],
            [f"{len(self.snapshot.orders):,} orders", *(self.edits or ("no edits",))],
        )


def _listed(values: Iterable[str] | None) -> list[str] | None:
    return None if values is None else [str(v) for v in values]
