"""Fair share within a class: caps on what one customer, country or region takes of a part.

A shortage can let one large customer (or one country, or one region) drain a part that
others of the same class also wait for. A policy may cap what one *party* takes of a part
in a period, as a number of units or as a share of the part's supply:

- ``by`` names the party: ``customer`` (the order's customer id), ``country`` (its site
  country) or ``region`` (the coverage region of its site country, as the rulebook lists
  them: Americas, EMEA, APJ; a country outside the coverage is a region of its own);
- ``part`` names the part the orders ask for, or ``*`` for every part (each part capped on
  its own); an entry naming a part wins over ``*`` for that part, and a part has at most
  one entry, so the capped sets of orders never cross and the cap is a flow capacity;
- ``units: N`` caps at ``N`` units; ``share: s`` at ``floor(s × supply)``, where supply is
  every unit of the part in the plan — on hand, receipts, supply options, and units firmed
  or kept from a previous plan — rounded down so the cap is never above the share;
- ``period`` (``day``, ``week`` or ``month``) is the period the cap is for: the one that
  holds the snapshot's moment. A snapshot holds no shipment history, so what counts against
  the cap is what the party takes in this plan: its orders' firmed units, the units a
  previous plan kept for it, and the units the plan gives it. A substitute shipped in the
  part's place counts against the part's cap (the cap is on what the party's orders for the
  part take).

Caps are part of the optimization, not a filter applied afterwards: the solver sees them as
capacities (:mod:`allocation.engine.model._fair_share`), so the units a cap holds back go to
the next best orders, exactly as the lexicographic objective ranks them. The default policy
caps nothing, and plans stay exactly what they were.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral, Real

from allocation.errors import PolicyError

__all__ = ["PARTIES", "PERIODS", "Cap", "FairShare"]

PARTIES: tuple[str, ...] = ("customer", "country", "region")
"""What a cap may be by."""
PERIODS: tuple[str, ...] = ("day", "week", "month")
"""The periods a cap may be for."""
ANY_PART = "*"
_MAX_UNITS = 1_000_000_000


@dataclass(frozen=True)
class Cap:
    """At most ``units`` (or ``floor(share × supply)``) of ``part`` per ``by`` party and period.

    Examples
    --------
    >>> Cap("customer", "SSD-512", share=0.4).limit(7), Cap("country", "*", units=3).limit(7)
    (2, 3)
    >>> Cap("customer", "SSD-512", share=0.3).limit(10)
    3
    >>> Cap("customer", "SSD-512", share=0.4).words()
    '40%'
    >>> Cap("planet", "*", units=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    allocation.errors.PolicyError: allocation.fair_share.caps: by: 'planet' is not ...
    """

    by: str
    part: str
    units: int | None = None
    share: float | None = None
    period: str = "week"

    def __post_init__(self) -> None:
        where = "allocation.fair_share.caps"
        if self.by not in PARTIES:
            raise PolicyError(f"{where}: by: {self.by!r} is not one of {', '.join(PARTIES)}")
        if not isinstance(self.part, str) or not self.part.strip():
            raise PolicyError(f"{where}: part must be a part number or '*', got {self.part!r}")
        if self.period not in PERIODS:
            raise PolicyError(
                f"{where}: period: {self.period!r} is not one of {', '.join(PERIODS)}"
            )
        if (self.units is None) == (self.share is None):
            raise PolicyError(f"{where}: the cap of {self.part} needs units or share (just one)")
        if self.units is not None and (
            isinstance(self.units, bool)
            or not isinstance(self.units, Integral)
            or not 0 <= int(self.units) <= _MAX_UNITS
        ):
            raise PolicyError(
                f"{where}: units of {self.part} must be a whole number from 0 to "
                f"{_MAX_UNITS:,}, got {self.units!r}"
            )
        if self.share is not None and (
            isinstance(self.share, bool)
            or not isinstance(self.share, Real)
            or not math.isfinite(float(self.share))
            or not 0 < float(self.share) <= 1
        ):
            raise PolicyError(
                f"{where}: share of {self.part} must be above 0 and at most 1, got {self.share!r}"
            )

    def limit(self, supply: int) -> int:
        """The cap in units, given the part's supply in the plan (used for a share only)."""
        if self.units is not None:
            return int(self.units)
        assert self.share is not None
        # Rounded down exactly, the share read as the decimal it was written as: in floats
        # 0.3 × 10 is 2.9999999999999996, whose floor would be one unit short.
        return math.floor(Fraction(repr(float(self.share))) * supply)

    def words(self) -> str:
        """The cap as a planner reads it: ``40%`` or ``12 units``."""
        if self.units is not None:
            return f"{self.units} unit{'s' if self.units != 1 else ''}"
        assert self.share is not None
        return f"{float(self.share) * 100:g}%"


@dataclass(frozen=True)
class FairShare:
    """A policy's fair-share caps, at most one per part name (``*``: every other part).

    Examples
    --------
    >>> rules = FairShare((Cap("customer", "*", units=2), Cap("country", "SSD", units=5)))
    >>> rules.cap_of("SSD").by, rules.cap_of("HDD").by, bool(FairShare())
    ('country', 'customer', False)
    """

    caps: tuple[Cap, ...] = ()

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for cap in self.caps:
            if not isinstance(cap, Cap):
                raise PolicyError(f"allocation.fair_share.caps: {cap!r} is not a Cap")
            if cap.part in seen:
                raise PolicyError(
                    f"allocation.fair_share.caps: part {cap.part!r} has two caps "
                    "(one per part: the capped sets of orders must not cross)"
                )
            seen.add(cap.part)

    def __bool__(self) -> bool:
        return bool(self.caps)

    def cap_of(self, part: str) -> Cap | None:
        """The cap on ``part``: its own entry, else the ``*`` entry, else None."""
        found = {cap.part: cap for cap in self.caps}
        return found.get(part, found.get(ANY_PART))

    def parts(self) -> set[str]:
        """Parts an entry names (``*`` left out)."""
        return {cap.part for cap in self.caps if cap.part != ANY_PART}
