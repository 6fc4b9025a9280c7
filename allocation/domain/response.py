"""Response-time targets: by when an order line should have its parts (``need_by``).

An order may carry its own ``need_by`` (a column of the orders table). A policy can also
derive one from the order's creation time plus a response time in hours, set per tier,
per product type of the failed unit, or per site country. The rules, in order:

1. an explicit ``need_by`` on the order wins over anything the policy would derive;
2. otherwise, of the response times that apply to the order (its tier's, its product
   type's, its country's), the shortest — the tightest promise made to it — counts;
3. an order none applies to has no target, and the objective's lateness levels ignore it.

The default policy sets no response times, so no order has a target unless its row says
so, and plans stay exactly as they were before targets existed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Real

from allocation.domain.model import Tier
from allocation.errors import PolicyError

__all__ = ["MAX_RESPONSE_HOURS", "ResponseTimes"]

MAX_RESPONSE_HOURS = 24.0 * 366 * 10
"""The longest response time a policy may set: ten years, in hours."""


@dataclass(frozen=True)
class ResponseTimes:
    """Response times in hours by tier, product type and site country.

    Parameters
    ----------
    tier : mapping of Tier to float
        Hours by the order's tier (``standard``, ``PA``, ``PA+``, ``PM``).
    product_type : mapping of str to float
        Hours by the product type of the failed unit (``workstation``, ...).
    country : mapping of str to float
        Hours by the site country (ISO 3166-1 alpha-2).

    Examples
    --------
    >>> times = ResponseTimes(tier={Tier.PM: 8.0}, country={"DE": 4.0})
    >>> times.hours(Tier.PM, "notebook", "US"), times.hours(Tier.PM, "notebook", "DE")
    (8.0, 4.0)
    >>> times.hours(Tier.PA, "notebook", "US") is None
    True
    >>> bool(ResponseTimes())
    False
    """

    tier: Mapping[Tier, float] = field(default_factory=dict)
    product_type: Mapping[str, float] = field(default_factory=dict)
    country: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for what, table in (
            ("tier", self.tier),
            ("product_type", self.product_type),
            ("country", self.country),
        ):
            for key, hours in dict(table).items():
                if (
                    isinstance(hours, bool)
                    or not isinstance(hours, Real)
                    or not math.isfinite(float(hours))
                    or not 0 < float(hours) <= MAX_RESPONSE_HOURS
                ):
                    raise PolicyError(
                        f"allocation.response_hours.{what}.{key}: must be a positive number of "
                        f"hours (at most {MAX_RESPONSE_HOURS:.0f}), got {hours!r}"
                    )
        for key in self.tier:
            if not isinstance(key, Tier):
                raise PolicyError(f"allocation.response_hours.tier: {key!r} is not a Tier")

    def __bool__(self) -> bool:
        return bool(self.tier or self.product_type or self.country)

    def hours(self, tier: Tier, product_type: str, country: str) -> float | None:
        """The response time of an order of this tier, product type and site country: the
        shortest of those that apply, or None when none does."""
        found = [
            self.tier.get(tier),
            self.product_type.get(product_type),
            self.country.get(country),
        ]
        hours = [float(h) for h in found if h is not None]
        return min(hours) if hours else None
