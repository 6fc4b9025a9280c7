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
  holds the snapshot's moment. What counts against the cap is what the party takes in this
  plan — its orders' firmed units, the units a previous plan kept for it, and the units the
  plan gives it — and what it took earlier in the period (:class:`TakenEarlier`): a
  snapshot file holds no shipment history, so none there; the HTTP service counts the units
  its orders shipped since the period began. A substitute shipped in the part's place
  counts against the part's cap (the cap is on what the party's orders for the part take).

Caps are part of the optimization, not a filter applied afterwards: the solver sees them as
capacities (:mod:`allocation.engine.model._fair_share`), so the units a cap holds back go to
the next best orders, exactly as the lexicographic objective ranks them. The default policy
caps nothing, and plans stay exactly what they were.

The proportional split
----------------------
A policy may also ask (``split: proportional``) that when a priority class cannot be fully
served with a part, the units it does get are shared among its orders in proportion to what
each asks for, instead of going to the older orders first. The *pool* is a priority group's
orders of one part — of one substitution group, when parts substitute for one another:
which of those parts' orders get the group's units is not fixed by how many the group gets,
so only the whole substitution group has a fixed number of units to share. With ``A`` the
units the pool gets in the plan and ``D`` what its orders still need (orders that some unit
can reach), each order's *quota* is its share by largest remainder (Hamilton) on its
quantity (:func:`largest_remainder`): ``floor(A·q_i / D)``, plus one unit for each of the
``A − Σ floor`` orders with the largest remainders, ties to the older order (by the minute
it was created, as the objective ranks age), then to the smaller order id. The quotas add up
to ``A`` exactly. The objective then maximises the units within quota right after the
class's units (:mod:`allocation.engine.objective`): a class that can be fully served, and
every class above it, is untouched. ``split_parts`` limits the split to some parts (default
``*``, every part); a part named brings its substitution group along. Like caps, the
default policy splits nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from numbers import Integral, Real

import numpy as np
import numpy.typing as npt

from allocation.domain.rulebook import default_rulebook
from allocation.errors import PolicyError

__all__ = [
    "PARTIES",
    "PERIODS",
    "SPLITS",
    "Cap",
    "FairShare",
    "TakenEarlier",
    "largest_remainder",
    "period_start",
]

PARTIES: tuple[str, ...] = ("customer", "country", "region")
"""What a cap may be by."""
PERIODS: tuple[str, ...] = ("day", "week", "month")
"""The periods a cap may be for."""
SPLITS: tuple[str, ...] = ("off", "proportional")
"""How a class's units of a part may be split among its orders when it cannot be fully served."""
ANY_PART = "*"
_MAX_UNITS = 1_000_000_000

IntArray = npt.NDArray[np.int64]


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
    """A policy's fair-share caps, at most one per part name (``*``: every other part), and
    its split (``off``, or ``proportional`` for the parts in ``split_parts``).

    Examples
    --------
    >>> rules = FairShare((Cap("customer", "*", units=2), Cap("country", "SSD", units=5)))
    >>> rules.cap_of("SSD").by, rules.cap_of("HDD").by, bool(FairShare())
    ('country', 'customer', False)
    >>> split = FairShare(split="proportional", split_parts=("SSD",))
    >>> bool(split), split.splits("SSD"), split.splits("HDD")
    (True, True, False)
    """

    caps: tuple[Cap, ...] = ()
    split: str = "off"
    split_parts: tuple[str, ...] = (ANY_PART,)

    def __post_init__(self) -> None:
        if self.split not in SPLITS:
            raise PolicyError(
                f"allocation.fair_share.split: {self.split!r} is not one of {', '.join(SPLITS)}"
            )
        if (
            not isinstance(self.split_parts, tuple)
            or not self.split_parts
            or not all(isinstance(p, str) and p.strip() for p in self.split_parts)
        ):
            raise PolicyError(
                "allocation.fair_share.split_parts must be part numbers or '*', "
                f"got {self.split_parts!r}"
            )
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
        """Whether any rule is on: a cap, or the split."""
        return bool(self.caps) or self.split != "off"

    def splits(self, part: str) -> bool:
        """Whether the proportional split applies to ``part`` (as named; the engine widens
        it to the part's substitution group)."""
        if self.split == "off":
            return False
        return ANY_PART in self.split_parts or part in self.split_parts

    def split_part_names(self) -> set[str]:
        """Parts ``split_parts`` names (``*`` left out)."""
        return set(self.split_parts) - {ANY_PART} if self.split != "off" else set()

    def cap_of(self, part: str) -> Cap | None:
        """The cap on ``part``: its own entry, else the ``*`` entry, else None."""
        found = {cap.part: cap for cap in self.caps}
        return found.get(part, found.get(ANY_PART))

    def parts(self) -> set[str]:
        """Parts an entry names (``*`` left out)."""
        return {cap.part for cap in self.caps if cap.part != ANY_PART}


def period_start(period: str, moment: datetime) -> datetime:
    """The start of the cap period (``day``, ``week`` — ISO, from Monday — or ``month``)
    that holds ``moment``, at midnight.

    Examples
    --------
    >>> period_start("week", datetime(2026, 12, 10, 15, 30))  # a Thursday
    datetime.datetime(2026, 12, 7, 0, 0)
    >>> period_start("month", datetime(2026, 12, 10, 15, 30))
    datetime.datetime(2026, 12, 1, 0, 0)
    >>> period_start("day", datetime(2026, 12, 10, 15, 30))
    datetime.datetime(2026, 12, 10, 0, 0)
    """
    if period not in PERIODS:
        raise PolicyError(f"period {period!r} is not one of {', '.join(PERIODS)}")
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def party_of(by: str, customer: str, country: str) -> str:
    """The party an order counts as under a cap by ``by``: its customer, its site country,
    or the coverage region of that country (a country outside the coverage is its own).

    Examples
    --------
    >>> party_of("customer", "C-ACME", "DE"), party_of("country", "C-ACME", "DE")
    ('C-ACME', 'DE')
    >>> party_of("region", "C-ACME", "DE")
    'Europe, Middle East and Africa'
    """
    if by == "customer":
        return customer
    if by == "country":
        return country
    return default_rulebook().region_of(country) or country


@dataclass(frozen=True)
class TakenEarlier:
    """What parties took of capped parts earlier in each cap's period, outside any plan.

    ``by_party`` maps (part the orders asked for, party under that part's cap) to units;
    ``by_part`` maps a part to its units taken by anyone, which were part of the period's
    supply (a share cap is a share of those too). ``since`` is the start of each part's
    period the counts are for. Empty by default: a snapshot file has no history.
    """

    by_party: Mapping[tuple[str, str], int] = field(default_factory=dict)
    by_part: Mapping[str, int] = field(default_factory=dict)
    since: Mapping[str, datetime] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.by_party) or bool(self.by_part)

    def with_parts(self, parts: Iterable[str], fresh: TakenEarlier) -> TakenEarlier:
        """These counts with those of ``parts`` replaced by ``fresh``'s (a re-read of some
        part group's history)."""
        named = set(parts)
        return TakenEarlier(
            by_party={k: v for k, v in self.by_party.items() if k[0] not in named}
            | {k: v for k, v in fresh.by_party.items() if k[0] in named},
            by_part={k: v for k, v in self.by_part.items() if k not in named}
            | {k: v for k, v in fresh.by_part.items() if k in named},
            since={k: v for k, v in self.since.items() if k not in named}
            | {k: v for k, v in fresh.since.items() if k in named},
        )


def largest_remainder(
    units: IntArray, demand: IntArray, pool: IntArray, rank: IntArray
) -> IntArray:
    """Each order's quota of its pool's units, in proportion to its demand (Hamilton).

    ``units[p]`` is what pool ``p`` gets (at most its orders' total demand); ``demand``,
    ``pool`` and ``rank`` are per order, ``rank`` the tie order (lower first: the older
    order, then the smaller order id). Each order gets ``floor(A·q_i / D)``, and the
    ``A − Σ floor`` units left go one each to the orders with the largest remainders
    ``A·q_i mod D``, ties by ``rank``. Quotas add up to ``A`` exactly and never exceed an
    order's demand. Exact integer arithmetic throughout (Python's integers where int64
    could overflow).

    Examples
    --------
    Orders of 5, 3 and 2 units share 7: 3.5, 2.1 and 1.4 are floored to 3, 2 and 1, and
    the one unit left goes to the largest remainder (0.5):

    >>> one = np.zeros(3, dtype=np.int64)
    >>> largest_remainder(np.array([7]), np.array([5, 3, 2]), one, np.arange(3)).tolist()
    [4, 2, 1]

    Three orders of 2 share 4: equal remainders, so the unit left goes to the first in rank:

    >>> largest_remainder(np.array([4]), np.array([2, 2, 2]), one, np.array([2, 0, 1])).tolist()
    [1, 2, 1]
    """
    n_pools = len(units)
    total = np.zeros(n_pools, dtype=np.int64)
    np.add.at(total, pool, demand)
    a, d = units[pool], np.maximum(total[pool], 1)
    if n_pools and int(total.max(initial=0)) >= 1 << 31:  # A·q may pass int64: exact ints
        product = a.astype(object) * demand.astype(object)
        base = (product // d.astype(object)).astype(np.int64)
        rem = (product % d.astype(object)).astype(np.int64)
    else:
        product = a * demand
        base, rem = product // d, product % d
    left = units.astype(np.int64).copy()
    np.subtract.at(left, pool, base)
    order = np.lexsort((rank, -rem, pool))
    sorted_pool = pool[order]
    start = np.searchsorted(sorted_pool, sorted_pool, side="left")
    extra = (np.arange(len(order)) - start) < left[sorted_pool]
    quota: IntArray = base.astype(np.int64)
    quota[order] += extra.astype(np.int64)
    return quota
