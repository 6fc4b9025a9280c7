"""What any policy could have had, for one part in one replication: the hindsight facts.

The bound (:mod:`simulation.hindsight`) is a relaxation: every unit a policy can get, the
offline solve may get as early or earlier, and every order costs it no more than it costs
the policy. This module turns a replication's random numbers into that supply, policy by
policy-free rule; each rule says why no policy can do better.

- **Orders**: the replication's own (:func:`simulation.world.demand.order_book` on the same
  demand stream), so the bound and the policies see the same orders.
- **Shelves and scheduled receipts**: exactly the world's (a receipt lands when due).
- **Base-stock reorders** (the policy decides when units leave a depot, hence when they are
  reordered): the ``i``-th reorder unit of a part is placed no earlier than the ``i``-th unit
  of its demand was created (a unit leaves a depot only for an order that exists, and one
  leaving unit reorders one unit), and with order quantities of one it is the ``i``-th
  reorder and takes the ``i``-th lead-time draw of the part's stream (times the mean of the
  moment: draws scale with the mean). The bound lets it land at
  ``min over u >= d_i of release(u) + mean * factor(u) * g_i`` — placed at the best moment
  from its demand on — at whichever depot suits the solve. ``release(u)`` is ``u``, or during
  a supply cut with ``volume_lost`` the factory's queue: the cut's ``n``-th unit is released
  no earlier than ``low + n / rate`` (or the cut's end), and ``n >= i - D(<low)``.
- **Expedite and broker buys**: buy ``n`` of an option takes the ``n``-th outcome of the
  option's stream. It succeeds only if its uniform is below the best success chance the
  option ever has; it can happen no earlier than the first capacity period by whose end
  ``n`` units of capacity exist; a period sells at most its largest capacity. With a lead-time
  spread (``lead_time_cv > 0``) every buy gets the smallest factor among the successful
  draws. Failed buys deliver nothing and cost the bound nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from allocation import PriorityClass, SourceKind
from simulation.world.conditions import Conditions
from simulation.world.sampling import Streams, draw_lead_time
from simulation.world.setup import WorldSetup
from simulation.world.state import OptionBook, OrderBook

__all__ = ["OptionFacts", "PartFacts", "part_facts", "reorder_landings"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_CHUNK = 512


@dataclass(frozen=True)
class OptionFacts:
    """One supply option as the bound sees it (periods of ``period_hours`` from 0).

    ``capacity[P]`` is the most units period ``P`` can sell, ``tokens[P]`` the successful
    buys that can happen from period ``P`` on, ``segments`` the (start, lead hours) pieces
    of its lead time (stretched by supply cuts), ``factor`` the lead-time draw every buy
    gets, ``kind`` its source kind's code, ``option`` its row in the option book.
    """

    option: int
    kind: int
    capacity: IntArray
    tokens: IntArray
    segments: list[tuple[float, float]]
    factor: float


@dataclass(frozen=True)
class PartFacts:
    """Everything the offline solve of one part needs, times in hours since the start.

    ``rows`` are the order book's rows of the part's counted orders (created inside the
    KPI window); ``injections`` are ``(depot, hours, units)`` landing at a depot's shelf;
    ``pool`` the landing times of reorder units that may land at any depot.
    """

    part: int
    rows: IntArray
    injections: list[tuple[int, float, int]]
    pool: FloatArray
    options: list[OptionFacts]


def part_facts(
    setup: WorldSetup,
    book: OrderBook,
    options: OptionBook,
    conditions: Conditions,
    streams: Streams,
    part: int,
    rows: IntArray,
    counted: npt.NDArray[np.bool_],
) -> PartFacts:
    """The hindsight facts of ``part``: ``rows`` are all its orders' rows, ``counted`` which
    of them the KPIs count."""
    created = np.maximum(np.asarray(book.created, dtype=np.float64)[rows], 0.0)
    demand = np.sort(created)
    injections: list[tuple[int, float, int]] = []
    for depot, units in enumerate(setup.initial_stock[part].tolist()):
        if units:
            injections.append((depot, 0.0, int(units)))
    position = setup.initial_stock[part].astype(np.int64).copy()
    if setup.scenario.replenishment.scheduled_receipts:
        for p, depot, units, hours in setup.scheduled:
            if p == part:
                injections.append((depot, hours, units))
                position[depot] += units
    pool = np.zeros(0)
    if setup.scenario.replenishment.policy == "base_stock":
        pool, first = reorder_landings(setup, conditions, streams, part, demand, position)
        injections += first
    found = [
        _option_facts(setup, options, conditions, streams, o, len(demand))
        for o in options.by_part.get(part, ())
    ]
    return PartFacts(part, rows[counted[rows]], injections, pool, [f for f in found if f])


def reorder_landings(
    setup: WorldSetup,
    conditions: Conditions,
    streams: Streams,
    part: int,
    demand: FloatArray,
    position: IntArray,
) -> tuple[FloatArray, list[tuple[int, float, int]]]:
    """The earliest landing of each reorder unit any policy could have, and the reorders of
    time 0 (depots starting below their level) at their depots.

    ``demand`` holds the creation times of the part's demand units, sorted (clamped at 0);
    ``position`` each depot's starting inventory position (shelf plus scheduled receipts).
    """
    lead = setup.scenario.replenishment.lead_time
    rng = streams.replenishment(part)

    def draws(count: int) -> FloatArray:
        return np.array(
            [draw_lead_time(rng, 1.0, lead.cv, lead.distribution) for _ in range(count)]
        )

    mean = lead.mean_hours
    first: list[tuple[int, float, int]] = []
    for depot, level in enumerate(setup.base_stock[part].tolist()):
        lack = int(level) - int(position[depot])
        if level and lack > 0:
            one = float(draws(1)[0]) if mean > 0 else 0.0
            first.append((depot, mean * conditions.lead_factor(part, 0.0) * one, lack))
    if mean <= 0:
        return demand.copy(), first
    g = draws(len(demand))
    cuts = [(lo, hi, mask[part], lost, stretch) for lo, hi, mask, lost, stretch, _ in setup.cuts]
    cuts = [c for c in cuts if c[2]]
    rate = float(setup.part_rate_per_hour[part])
    index = np.arange(1, len(demand) + 1, dtype=np.float64)
    best = np.full(len(demand), np.inf)
    breaks = sorted({t for lo, hi, *_ in cuts for t in (lo, hi)})
    for u in [None, *breaks]:
        at = demand if u is None else np.full(len(demand), u)
        usable = at >= demand
        factor = np.ones(len(demand))
        release = at.copy()
        for lo, hi, _, lost, stretch in cuts:
            inside = (lo <= at) & (at < hi)
            factor = np.where(inside, factor * stretch, factor)
            if lost <= 0:
                continue
            served = (1.0 - lost) * rate
            if served <= 0:
                queued = np.full(len(demand), hi)
            else:
                before = np.searchsorted(demand, lo, side="left")
                queued = np.minimum(lo + np.maximum(index - before, 0.0) / served, hi)
            release = np.where(inside, np.maximum(release, queued), release)
        landing = release + mean * factor * g
        best = np.where(usable, np.minimum(best, landing), best)
    return best, first


def _option_facts(
    setup: WorldSetup,
    options: OptionBook,
    conditions: Conditions,
    streams: Streams,
    option: int,
    units: int,
) -> OptionFacts | None:
    """An option's periods, capacities and successful buys (None if it never sells)."""
    period = conditions.period_hours
    end = setup.end_hours
    count = max(math.ceil(end / period), 1)
    starts = np.arange(count) * period
    points = _breakpoints(setup, 0.0, end)
    terms = {t: conditions.terms_now(option, t) for t in sorted({*points, *starts.tolist()})}
    capacity = np.zeros(count, dtype=np.int64)
    for t, (cap, _, _, _) in terms.items():
        p = min(int(t // period), count - 1)
        capacity[p] = max(capacity[p], cap)
    best_success = max(s for _, _, _, s in terms.values())
    cumulative = np.cumsum(capacity)
    if cumulative[-1] <= 0 or best_success <= 0 or units <= 0:
        return None
    broker = bool(options.is_broker[option])
    behaviour = setup.scenario.sources
    cv = behaviour.broker.lead_time_cv if broker else behaviour.expedite.lead_time_cv
    rng = streams.purchase(option)
    wins: list[int] = []
    factors: list[float] = []
    drawn = 0
    limit = int(cumulative[-1])
    while len(wins) < units and drawn < limit:
        size = min(_CHUNK, limit - drawn)
        if cv > 0:
            pairs = [(draw_lead_time(rng, 1.0, cv), float(rng.random())) for _ in range(size)]
            g = np.array([p[0] for p in pairs])
            u = np.array([p[1] for p in pairs])
        else:
            g, u = np.ones(size), rng.random(size)
        hit = np.flatnonzero(u < best_success)
        wins += (hit + drawn + 1).tolist()
        factors += g[hit].tolist()
        drawn += size
    tokens = np.bincount(
        np.searchsorted(cumulative, np.array(wins[:units], dtype=np.int64), side="left"),
        minlength=count,
    ).astype(np.int64)
    segments = [(t, terms[t][1]) for t in sorted(terms)]
    kind = (SourceKind.BROKER if broker else SourceKind.EXPEDITE).code
    factor = min(factors) if factors else 1.0
    return OptionFacts(option, kind, capacity, tokens[:count], segments, factor)


def _breakpoints(setup: WorldSetup, low: float, high: float) -> list[float]:
    """Times at which supply terms may change: disruption windows' edges, and ``low``."""
    edges = {low}
    for lo, hi, *_ in setup.cuts:
        edges.update((lo, hi))
    for lo, hi, *_ in setup.markets:
        edges.update((lo, hi))
    return sorted(t for t in edges if low <= t < high)


def priority_code() -> int:
    """The class code of parts-priority orders."""
    return PriorityClass.PARTS_PRIORITY.code
