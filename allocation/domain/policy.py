"""Allocation policy: which classes may use which sources, and the other knobs of the sheet.

The data sheet's default: only ``parts_priority`` orders may use the "special means" —
transfers from other depots (internal sourcing), expedited factory deliveries and broker buys
(docs/explanation/rules.md, "Parts priority"). Everything here is configurable, as
docs/guide/allocation.md documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pycountry

from allocation.domain.fair_share import FairShare
from allocation.domain.model import PriorityClass, SourceKind, Tier
from allocation.domain.protection import ProtectionLevels
from allocation.domain.response import ResponseTimes
from allocation.errors import PolicyError

__all__ = ["BROKER_RISKS", "AllocationPolicy", "default_allowed_sources", "is_currency"]

BROKER_RISKS = ("threshold", "priced")
"""How a broker offer's risk of failing counts (:attr:`AllocationPolicy.broker_risk`)."""


def is_currency(code: object) -> bool:
    """Whether ``code`` is an ISO 4217 currency code, as written in capitals.

    Examples
    --------
    >>> is_currency("EUR"), is_currency("eur"), is_currency("XYZ")
    (True, False, False)
    """
    return (
        isinstance(code, str)
        and code.isupper()
        and pycountry.currencies.get(alpha_3=code) is not None
    )


def default_allowed_sources() -> dict[PriorityClass, frozenset[SourceKind]]:
    """The sheet's default: special means for parts priority only."""
    return {
        PriorityClass.PARTS_PRIORITY: frozenset(SourceKind),
        PriorityClass.STANDARD: frozenset({SourceKind.STOCK, SourceKind.INBOUND}),
    }


@dataclass(frozen=True)
class AllocationPolicy:
    """How the engine may allocate.

    Parameters
    ----------
    allowed_sources : mapping of PriorityClass to set of SourceKind
        Source kinds each class may use. Default: parts priority everything; standard only
        stock at its home depot and receipts landing there.
    preemption : bool
        Units allocated but not shipped to a ``standard`` order may be taken back for a
        ``parts_priority`` order (default on). Off: existing allocations are kept.
    partial_fills : bool
        An order may get fewer units than it asked for (default on). Off: all or nothing
        (solved by re-planning without orders that could only be partly filled).
    substitutes : bool
        Use the parts listed in a part's ``substitutes`` column, transitively (default on).
    rank_tiers_within_standard : bool
        Finer ranks inside ``standard``: a PM line in an excluded country, then PA+, then PA,
        then no tier (default off: all standard lines rank equal).
    eta_resolution_hours : float
        ETAs are compared in steps of this many hours (default 0.1); orders whose ETAs differ
        by less are a tie, which goes to the older order.
    min_success_probability : float
        Broker offers that succeed less often than this are not used (default 0: all).
    broker_risk : str
        How a broker offer's chance of failing counts: ``threshold`` (default) values a
        broker unit at its ETA as if it never failed, and only
        ``min_success_probability`` keeps unreliable offers out; ``priced`` values it at
        its *expected* ETA, the fallback's delay included
        (:func:`allocation.engine.objective.broker_expected_eta`).
    broker_failure_detected_hours : float or None
        With ``priced`` risk: hours after the buy until a failure is known (default None:
        when the unit should have arrived, the buy's own ETA).
    broker_fallback_hours : float or None
        With ``priced`` risk: hours from the failure being known until the order has its
        unit from elsewhere (default None: the same buy again, until one succeeds).
    protection : ProtectionLevels
        Units of a part held back at a depot for ``parts_priority`` orders: ``standard``
        orders may take only the units on hand above the level (default: none held back).
    currency : str
        The ISO 4217 code of the snapshot's costs and prices (default ``USD``): it labels
        money; nothing is converted.
    response_hours : ResponseTimes
        Response times by tier, product type or country: an order with no ``need_by`` of
        its own needs its parts by its creation time plus the shortest that applies
        (:mod:`allocation.domain.response`; default: none, so no order has a target
        unless its row gives one).
    fair_share : FairShare
        Caps on what one customer, country or region takes of a part in a period, as units
        or a share of supply (:mod:`allocation.domain.fair_share`; default: none).
    churn_penalty : float
        Money per unit a plan moves away from a previous plan (in the snapshot's
        currency), added to the money level only, below every class level, so no class
        gives up a unit or an hour for it (default 0: off). It applies when the engine is
        given a previous plan (:mod:`allocation.engine.objective`, "Churn penalty").
    broker_backup : bool
        A parts-priority order that takes broker units also *holds* as many units on a
        shelf it may use (its own depot's, or another depot's by transfer), from what the
        plan leaves free: held, not bought or shipped, and taken by no other order, so that
        a failed buy ships the held unit at once (default off).
    """

    allowed_sources: Mapping[PriorityClass, frozenset[SourceKind]] = field(
        default_factory=default_allowed_sources
    )
    preemption: bool = True
    partial_fills: bool = True
    substitutes: bool = True
    rank_tiers_within_standard: bool = False
    eta_resolution_hours: float = 0.1
    min_success_probability: float = 0.0
    broker_risk: str = "threshold"
    broker_failure_detected_hours: float | None = None
    broker_fallback_hours: float | None = None
    protection: ProtectionLevels = field(default_factory=ProtectionLevels)
    currency: str = "USD"
    response_hours: ResponseTimes = field(default_factory=ResponseTimes)
    fair_share: FairShare = field(default_factory=FairShare)
    churn_penalty: float = 0.0
    broker_backup: bool = False

    def __post_init__(self) -> None:
        if (
            isinstance(self.churn_penalty, bool)
            or not isinstance(self.churn_penalty, int | float)
            or not 0 <= self.churn_penalty < float("inf")
        ):
            raise PolicyError(
                "allocation.churn_penalty must be a non-negative amount of money per unit, "
                f"got {self.churn_penalty!r}"
            )
        if not isinstance(self.fair_share, FairShare):
            raise PolicyError(
                f"allocation.fair_share must be FairShare, got {type(self.fair_share)!r}"
            )
        if not isinstance(self.response_hours, ResponseTimes):
            raise PolicyError(
                "allocation.response_hours must be ResponseTimes, "
                f"got {type(self.response_hours)!r}"
            )
        if not isinstance(self.protection, ProtectionLevels):
            raise PolicyError(
                f"allocation.protection must be ProtectionLevels, got {type(self.protection)!r}"
            )
        for klass in PriorityClass:
            if klass not in self.allowed_sources:
                raise PolicyError(f"allocation.allowed_sources: no entry for class {klass.value!r}")
        if not (self.eta_resolution_hours > 0 and self.eta_resolution_hours <= 24):
            raise PolicyError(
                "allocation.eta_resolution_hours must be > 0 and <= 24, "
                f"got {self.eta_resolution_hours!r}"
            )
        if not 0 <= self.min_success_probability <= 1:
            raise PolicyError(
                "allocation.min_success_probability must be between 0 and 1, "
                f"got {self.min_success_probability!r}"
            )
        if self.broker_risk not in BROKER_RISKS:
            raise PolicyError(
                f"allocation.broker_risk must be one of {', '.join(BROKER_RISKS)}, "
                f"got {self.broker_risk!r}"
            )
        for name in ("broker_failure_detected_hours", "broker_fallback_hours"):
            hours = getattr(self, name)
            if hours is not None and not (0 <= hours < float("inf")):
                raise PolicyError(
                    f"allocation.{name} must be a non-negative number of hours, got {hours!r}"
                )
        if not is_currency(self.currency):
            raise PolicyError(
                f"allocation.currency: {self.currency!r} is not an ISO 4217 currency code "
                "(e.g. USD, EUR, JPY)"
            )

    def allows(self, klass: PriorityClass, kind: SourceKind) -> bool:
        """Whether orders of ``klass`` may take units from sources of ``kind``."""
        return kind in self.allowed_sources[klass]

    def rank_group(self, klass: PriorityClass, tier: Tier) -> int:
        """The priority group of an order line: 0 ranks first.

        ``parts_priority`` is group 0. ``standard`` is group 1, or with
        ``rank_tiers_within_standard`` groups 1–4 by tier (PM, PA+, PA, none).
        """
        if klass is PriorityClass.PARTS_PRIORITY:
            return 0
        if not self.rank_tiers_within_standard:
            return 1
        return {Tier.PM: 1, Tier.PA_PLUS: 2, Tier.PA: 3, Tier.STANDARD: 4}[tier]

    @property
    def group_count(self) -> int:
        """How many priority groups :meth:`rank_group` can return."""
        return 5 if self.rank_tiers_within_standard else 2

    @staticmethod
    def group_name(group: int, policy: AllocationPolicy) -> str:
        """A readable name of a priority group."""
        if group == 0:
            return "parts_priority"
        if not policy.rank_tiers_within_standard:
            return "standard"
        return {1: "standard (PM)", 2: "standard (PA+)", 3: "standard (PA)", 4: "standard"}[group]
