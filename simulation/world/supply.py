"""What an order can get right now: free supply as the engine sees it, computed once per world.

Both deciders read supply through this module — the engine bridge (:mod:`.decide`) to build
the engine's tables, the exact single-order path (:mod:`.solo`) to rank sources itself — so
they see the same units with the same numbers. ETAs, money and tie values are computed with
the engine's own arithmetic (times as integer nanoseconds, ETAs in policy ticks, money in
cents, the engine's tie hash), which is what makes the single-order path agree with the
engine bit for bit.

Free supply of a part group, for orders of rank ``r``:

- shelves: units on hand at online depots;
- receipts: units on their way to online depots after the first ``held`` units, where
  ``held`` counts the promises an order of rank ``r`` cannot take (every promise, or with
  pre-emption only those of rank ``r`` or better), at the time each receipt is expected
  to land *given what is known now* (:meth:`Supply.free_receipts`): a factory reorder
  planned at release + mean lead time that has not landed by then is expected at release
  + ``E[lead | lead > elapsed]``, never in the past; otherwise an overdue receipt would
  look as good as a shelf unit, and the optimizer would promise it instead of real stock;
- options: expedite and broker capacity left this period, on the terms of the moment.

With protection levels in the policy (:mod:`allocation.domain.protection`), a shelf is two
sources, as the engine splits it (:func:`allocation.engine.model.sources_from`): the
units above the depot's level for the part, which any order may take, and the protected
units up to the level, which only ``parts_priority`` orders may take (docs/explanation/rules.md,
"Parts
priority": Priority Management orders are filled first). A standard order never sees the
last ``level`` units of a shelf; a parts-priority order sees both, the free ones first.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

import numpy as np
import pandas as pd

from allocation import PriorityClass, SourceBase, SourceKind
from allocation.engine import objective
from simulation.world.conditions import Conditions
from simulation.world.sampling import ExpectedLead
from simulation.world.setup import WorldSetup
from simulation.world.state import DepotInbound, OptionBook, WorldState

__all__ = ["Candidate", "Kind", "KindSet", "Supply", "hours_to_ns"]

STOCK, TRANSFER, INBOUND, EXPEDITE, BROKER = (k.code for k in SourceKind)
KIND_NAMES = [k.value for k in SourceKind]
_NS_PER_HOUR = 3_600_000_000_000
_SLACK_HOURS = 1e-6 / 3600.0

#: A kind of order, as far as its sources go: (part, class, country column, home depot).
Kind = tuple[int, int, int, int]
#: What a part has free now (:meth:`Supply._free`): shelf depots, receipt depots, options.
_Free = tuple[dict[int, None], dict[int, None], list[int]]
_NOTHING: _Free = ({}, {}, [])


def hours_to_ns(hours: float) -> int:
    """Hours since the start as whole nanoseconds (the engine's clock resolution).

    Examples
    --------
    >>> hours_to_ns(1.5)
    5400000000000
    """
    return round(hours * _NS_PER_HOUR)


@dataclass(frozen=True)
class KindSet:
    """Kinds of order (see :data:`Kind`) and the parts, classes and homes among them: what
    :meth:`Supply.usable_kinds` reads before it reads any kind.

    Examples
    --------
    >>> kinds = KindSet.of([(3, 1, 0, 2), (3, 1, 4, 5)])
    >>> sorted(kinds.parts), sorted(kinds.classes), sorted(kinds.homes)
    ([3], [1], [2, 5])
    """

    kinds: frozenset[Kind]
    parts: frozenset[int]
    classes: frozenset[int]
    homes: frozenset[int]

    @classmethod
    def of(cls, kinds: Iterable[Kind]) -> KindSet:
        """The summary of some kinds."""
        found = frozenset(kinds)
        if not found:
            return cls(found, frozenset(), frozenset(), frozenset())
        # Columns read in C: a decision asks this of a backlog's kinds whenever they change.
        return cls(
            found,
            frozenset(map(itemgetter(0), found)),
            frozenset(map(itemgetter(1), found)),
            frozenset(map(itemgetter(3), found)),
        )


class Candidate(NamedTuple):
    """A source with free units for one order: the engine's view of one arc (a named
    tuple: the single-order path makes several per event, and a tuple is made fastest).

    ``base`` is 0 shelf, 1 receipt, 2 expedite, 3 broker (the engine's source bases);
    ``kind`` the code of the order's source kind; ``release`` hours until the source can
    release units (the engine's ``release_hours``); ``expected`` a broker buy's expected
    ETA when the policy prices broker risk (None otherwise), which the objective ranks it
    by in place of ``release + transit`` (:attr:`eta`), as the engine's arcs do.
    """

    base: int
    kind: int
    part: int
    depot: int
    option: int
    units: int
    release: float
    transit: float
    money: float
    planned: float
    protected: bool = False
    expected: float | None = None

    @property
    def eta(self) -> float:
        """The ETA the objective ranks this source by: ``release + transit``, or a priced
        broker buy's expected ETA (:func:`allocation.engine.objective.broker_expected_eta`)."""
        return self.release + self.transit if self.expected is None else self.expected


class Supply:
    """Free supply of the world, read with the engine's numbers."""

    def __init__(
        self,
        setup: WorldSetup,
        state: WorldState,
        options: OptionBook,
        conditions: Conditions,
    ) -> None:
        self.setup = setup
        self.state = state
        self.options = options
        self.conditions = conditions
        context = setup.context
        routes = context.routes
        pad = np.full((routes.hours.shape[0], 1), np.inf)
        hours = np.hstack([routes.hours, pad])
        cost = np.hstack([routes.cost, pad])
        origin = routes.origin_index()
        depot_rows = [origin[d] for d in setup.depot_ids]
        self.depot_hours: list[list[float]] = hours[depot_rows].T.tolist()
        self.depot_cost: list[list[float]] = cost[depot_rows].T.tolist()
        option_rows = [origin[s] for s in options.supplier]
        self.option_hours: list[list[float]] = hours[option_rows].T.tolist() if option_rows else []
        self.option_cost: list[list[float]] = cost[option_rows].T.tolist() if option_rows else []
        policy = setup.policy
        self.allowed = [[policy.allows(c, k) for k in SourceKind] for c in PriorityClass]
        self.wide = [row[TRANSFER] for row in self.allowed]
        self.buys = [row[EXPEDITE] or row[BROKER] for row in self.allowed]
        self.resolution = policy.eta_resolution_hours
        # Receipts landing this close after the last one an order needs may still tie with
        # it in ETA ticks (two ticks: safe against rounding at a tick's edge).
        self.margin = 2.0 * self.resolution
        self.min_success = policy.min_success_probability
        self.priced = policy.broker_risk == "priced"
        self.detected = policy.broker_failure_detected_hours
        self.fallback = policy.broker_fallback_hours
        self.start_ns = int(pd.Timestamp(setup.start).value)
        self.usable: list[list[int]] = [
            context.usable[p].tolist() if p in context.usable else [p]
            for p in range(len(context.part_numbers))
        ]
        self._by_distance: dict[tuple[int, int], list[int]] = {}
        self._distance_rank: dict[tuple[int, int], dict[int, int]] = {}
        # Per (part, class, country column): how many depots had receipts of the part, and
        # those reachable, nearest first (see _receipts).
        self._nearest_inbound: dict[tuple[int, int, int], tuple[int, list[int]]] = {}
        self._lane_keys: dict[int, tuple[list[int], list[int]]] = {}
        self._hashes: dict[str, int] = {}
        self._labels = {int(b): b.label for b in SourceBase}
        levels, depot_ids = policy.protection, setup.depot_ids
        self.levels: list[list[int]] = [
            [levels.level(d, p) for d in depot_ids] if levels else [0] * len(depot_ids)
            for p in context.part_numbers
        ]
        self.priority = list(PriorityClass).index(PriorityClass.PARTS_PRIORITY)
        lead_time = setup.scenario.replenishment.lead_time
        # Expected factory lead time of a reorder still out some hours after its release.
        self.expected_lead = ExpectedLead(lead_time.cv, lead_time.distribution)

    # -- clocks and keys ---------------------------------------------------------------
    def as_of_ns(self, now: float) -> int:
        """The engine's ``as_of`` for a decision at ``now``."""
        return self.start_ns + hours_to_ns(now)

    def release(self, planned: float, now: float) -> float:
        """Hours until a receipt planned at ``planned`` lands, as the engine computes it:
        whole nanoseconds apart, divided as NumPy divides ``timedelta64`` (a test checks the
        two agree bit for bit), never below zero."""
        delta = (self.start_ns + hours_to_ns(planned)) - self.as_of_ns(now)
        return max(float(delta) / 1e9 / 3600.0, 0.0)

    def free_receipts(
        self, inbound: DepotInbound, skip: int, units: int, now: float
    ) -> list[tuple[float, int]]:
        """The free units of a depot's receipts after the first ``skip``, as ``(expected
        landing hours, units)``: enough for ``units`` plus those within :attr:`margin`.

        The engine bridge and the exact paths both read receipts here, so they see the same
        landing times. A receipt is expected where :meth:`DepotInbound.landing` puts it:
        as planned until its planned time, then at its release plus the expected lead time
        given that it has not landed. That is the conditional mean — the estimate that
        minimises the squared error of the landing time with what is known at ``now`` —
        and it keeps an overdue receipt from being priced as landing at once, which would
        make a unit that is not there beat a unit on another depot's shelf.
        """
        if units <= 0:
            return []
        landing = inbound.landing(now, self.expected_lead.estimate, skip + units, self.margin)
        return inbound.free_after(skip, units, self.margin, landing)

    def tie(self, agg_key: int, candidate: Candidate) -> int:
        """The engine's tie-break cost of this order's node taking this source."""
        identity = objective.one_source_identity(
            self.setup.context.part_numbers[candidate.part],
            self.origin(candidate),
            self._labels[candidate.base],
            candidate.release,
            candidate.protected,
        )
        hashed = self._hashes.get(identity)
        if hashed is None:
            hashed = self._hashes[identity] = objective.identity_hash_one(identity)
        return objective.tie_break_one(agg_key, hashed)

    def tie_node(self, agg_key: int, due_ns: int | None) -> int:
        """The tie-break's key of an order of node ``agg_key`` with this ``need_by`` (None:
        none, and the key is the node), as the engine keys it
        (:func:`allocation.engine.objective.tie_node`)."""
        if due_ns is None:
            return agg_key
        node = np.array([agg_key], dtype=np.int64)
        due = np.array([due_ns], dtype="datetime64[ns]")
        return int(objective.tie_node(node, due)[0])

    def lone_keys(self, found: list[Candidate], due_ns: int, now: float) -> list[int]:
        """Keys ranking an order's sources by (units late, hours late, ETA ticks) against
        its ``need_by`` (:func:`allocation.engine.objective.lone_ticks`), with the engine's
        arithmetic: the ``need_by`` in hours after the decision's ``as_of`` from whole
        nanoseconds, each ETA as :meth:`ticks_and_cents` reads it."""
        eta = np.array([c.eta for c in found], dtype=np.float64)
        due = np.full(len(found), float(due_ns - self.as_of_ns(now)) / 3.6e12)
        late, late_ticks = objective.late_levels(eta, due, self.resolution)
        ticks = [objective.tick(e, self.resolution) for e in eta.tolist()]
        return objective.lone_ticks(ticks, late, late_ticks)

    def origin(self, candidate: Candidate) -> str:
        """The depot of a shelf or receipt, the supplier of an option."""
        if candidate.base >= SourceBase.EXPEDITE:
            return self.options.supplier[candidate.option]
        return self.setup.depot_ids[candidate.depot]

    def ticks_and_cents(self, candidate: Candidate) -> tuple[int, int]:
        """The candidate's ETA in the engine's ticks and its money in cents."""
        return (
            objective.tick(candidate.eta, self.resolution),
            objective.cent(candidate.money),
        )

    def keys_of(self, found: list[Candidate]) -> list[tuple[int, int]]:
        """:meth:`ticks_and_cents` of each candidate (in one loop: asked on every decision
        of a lone order)."""
        resolution, tick, cent = self.resolution, objective.tick, objective.cent
        return [(tick(c.eta, resolution), cent(c.money)) for c in found]

    # -- what one order can use --------------------------------------------------------
    def lane_keys(self, col: int) -> tuple[list[int], list[int]]:
        """Per depot, its lane to country column ``col`` in ETA ticks and in cents (-1
        where there is no lane, or no price): the same for every decision, so computed
        once."""
        found = self._lane_keys.get(col)
        if found is None:
            hours, cost = self.depot_hours[col], self.depot_cost[col]
            ticks = [-1] * self.state.depots
            cents = [-1] * self.state.depots
            for d in range(self.state.depots):
                if math.isfinite(hours[d]):
                    ticks[d] = objective.tick(hours[d], self.resolution)
                if math.isfinite(cost[d]):
                    cents[d] = objective.cent(cost[d])
            found = self._lane_keys[col] = (ticks, cents)
        return found

    def depots_by_distance(self, klass: int, col: int) -> list[int]:
        """Depots whose shelf an order of this class and country may use, nearest first.

        Only the home depot for a class that may not use transfers (it is found by the
        caller); every reachable depot otherwise, by (transit ticks, lane cents).
        """
        key = (klass, col)
        found = self._by_distance.get(key)
        if found is None:
            hours = self.depot_hours[col]
            ticks, cents = self.lane_keys(col)
            reachable = [d for d in range(self.state.depots) if hours[d] != np.inf]
            found = sorted(reachable, key=lambda d: (ticks[d], cents[d], d))
            self._by_distance[key] = found
        return found

    def candidates(
        self,
        part: int,
        klass: int,
        col: int,
        home: int,
        units: int,
        rank: int,
        now: float,
        pre_empts: bool,
        targets: bool = False,
    ) -> list[Candidate]:
        """Every source an order may take free units from now, enough to cover ``units``.

        Shelves are read nearest first and stop once ``units`` are covered (plus any shelf
        tied with the last one in ticks and cents; for an order with a target, in ticks
        alone: within one tick a shelf that costs more may be on time where a cheaper one
        is late, and lateness ranks before money); receipts give their first ``units`` units
        per depot (plus those landing within :attr:`margin` of the last, which may tie with
        it). A source whose ETA is worse, in ticks, than ``units`` units already found could
        never be among the order's best: so receipt depots are read nearest first, and none
        whose transit alone is worse than the sources found so far (:func:`_covering_tick`).
        """
        found: list[Candidate] = []
        for p in self.usable[part]:
            found += self._shelves(p, klass, col, home, units, targets)
            found += self._receipts(p, klass, col, home, units, rank, now, pre_empts, found)
            found += self._options(p, klass, col, now)
        return found

    def shelves(
        self, part: int, klass: int, col: int, home: int, units: int, targets: bool = False
    ) -> list[Candidate]:
        """The free shelf units an order may take now, enough to cover ``units``: the shelf
        sources of :meth:`candidates` alone (its own depot's stock, other depots' by
        transfer where its class may use them, protected units for parts priority)."""
        found: list[Candidate] = []
        for p in self.usable[part]:
            found += self._shelves(p, klass, col, home, units, targets)
        return found

    def usable_kinds(self, kinds: KindSet, rank: int, now: float, pre_empts: bool) -> set[Kind]:
        """The kinds of order (part, class, country column, home) for which :meth:`candidates`
        finds a source of one unit now, without building any.

        A decision asks it of every kind of open order, and most kinds of a backlog have
        nothing to take. What each part has free is read once: shelves with units, depots
        whose receipts have a unit beyond the promises an order of ``rank`` cannot take,
        options with capacity left at the success the policy needs; in a backlog most parts
        have none, and then no kind is read at all. A kind may use one of them if its class
        may take that kind of source over a lane that exists — a shelf's protected units
        only for a parts-priority order.
        """
        wide, buys = self.wide, self.buys
        # Classes that may not use transfers read only their homes; none buying, no options.
        homes = None if any(wide[c] for c in kinds.classes) else kinds.homes
        buying = any(buys[c] for c in kinds.classes)
        free: dict[int, _Free] = {}
        for part in kinds.parts:
            for p in self.usable[part]:
                if p not in free:
                    free[p] = self._free(p, rank, now, pre_empts, homes, buying)
        if all(facts is _NOTHING for facts in free.values()):
            return set()
        found: set[Kind] = set()
        for kind in kinds.kinds:
            part, klass, col, home = kind
            for p in self.usable[part]:
                facts = free[p]
                if facts is _NOTHING:
                    continue
                shelves, receipts, options = facts
                if (
                    not wide[klass]
                    and home not in shelves
                    and home not in receipts
                    and not (buys[klass] and options)
                ):
                    continue
                if self._reaches(facts, p, klass, col, home):
                    found.add(kind)
                    break
        return found

    def _free(
        self,
        part: int,
        rank: int,
        now: float,
        pre_empts: bool,
        homes: frozenset[int] | None,
        buying: bool,
    ) -> _Free:
        """Depots with units on an online shelf, depots with a free receipt unit (only
        ``homes``, if given), options with a unit to sell (if ``buying``)."""
        state = self.state
        shelf, offline = state.on_hand[part], state.offline
        shelves: dict[int, None] = {}
        if any(shelf):
            depots = range(len(shelf)) if homes is None else [d for d in homes if d >= 0]
            shelves = {d: None for d in depots if shelf[d] and not offline[d]}
        receipts: dict[int, None] = {}
        inbound_depots = state.inbound_depots.get(part, {})
        for d in inbound_depots if homes is None else [d for d in homes if d in inbound_depots]:
            inbound = state.pipeline(part, d)
            if inbound is None or not inbound.units or offline[d]:
                continue
            skip = inbound.held_through(rank) if pre_empts else inbound.held
            if inbound.units > skip:
                receipts[d] = None
        options: list[int] = []
        for option in self.options.by_part.get(part, ()) if buying else ():
            capacity, _, _, success = self.conditions.terms_now(option, now)
            if capacity <= 0 or not self._offered(option, success):
                continue
            options.append(option)
        if not shelves and not receipts and not options:
            return _NOTHING
        return shelves, receipts, options

    def _reaches(self, facts: _Free, part: int, klass: int, col: int, home: int) -> bool:
        """Whether an order of this class, country and home may use any of a part's free
        sources (:meth:`_free`): a class that may not use transfers only its home's."""
        shelves, receipts, options = facts
        allowed, hours = self.allowed[klass], self.depot_hours[col]
        if shelves:
            shelf, levels = self.state.on_hand[part], self.levels[part]
            priority = klass == self.priority
            for d in shelves if self.wide[klass] else (home,) if home in shelves else ():
                if (
                    hours[d] != np.inf
                    and allowed[STOCK if d == home else TRANSFER]
                    and (priority or shelf[d] > levels[d])
                ):
                    return True
        for d in receipts if self.wide[klass] else (home,) if home in receipts else ():
            if hours[d] != np.inf and allowed[INBOUND if d == home else TRANSFER]:
                return True
        if options and self.buys[klass]:
            option_hours, is_broker = self.option_hours[col], self.options.is_broker
            for option in options:
                if (
                    allowed[BROKER if is_broker[option] else EXPEDITE]
                    and option_hours[option] != np.inf
                ):
                    return True
        return False

    def _shelves(
        self, part: int, klass: int, col: int, home: int, units: int, targets: bool
    ) -> list[Candidate]:
        state, allowed = self.state, self.allowed[klass]
        shelf = state.on_hand[part]
        hours, cost = self.depot_hours[col], self.depot_cost[col]
        if not self.wide[klass]:
            if home < 0 or not allowed[STOCK] or not shelf[home] or state.offline[home]:
                return []
            if hours[home] == np.inf:
                return []
            return self._tranches(part, home, klass, STOCK, hours[home], cost[home])
        if not any(shelf):  # nothing on any shelf, as in a shortage: no depot to read
            return []
        found: list[Candidate] = []
        covered, limit = 0, None
        ticks, cents = self.lane_keys(col)
        for d in self.depots_by_distance(klass, col):
            if not shelf[d] or state.offline[d]:
                continue
            kind = STOCK if d == home else TRANSFER
            if not allowed[kind]:
                continue
            key = (ticks[d], 0 if targets else cents[d])
            if limit is not None and key != limit:
                break
            tranches = self._tranches(part, d, klass, kind, hours[d], cost[d])
            if not tranches:
                continue
            found += tranches
            covered += sum(c.units for c in tranches)
            if covered >= units and limit is None:
                limit = key
        return found

    def _tranches(
        self, part: int, depot: int, klass: int, kind: int, transit: float, money: float
    ) -> list[Candidate]:
        """A shelf as the engine's stock sources: the units above the protection level,
        then — for parts-priority orders only — the protected units up to it."""
        have = self.state.on_hand[part][depot]
        held = min(self.levels[part][depot], have)
        found = []
        if have > held:
            found.append(Candidate(0, kind, part, depot, -1, have - held, 0.0, transit, money, 0.0))
        if held and klass == self.priority:
            found.append(Candidate(0, kind, part, depot, -1, held, 0.0, transit, money, 0.0, True))
        return found

    def _receipts(
        self,
        part: int,
        klass: int,
        col: int,
        home: int,
        units: int,
        rank: int,
        now: float,
        pre_empts: bool,
        found: list[Candidate],
    ) -> list[Candidate]:
        """A part's free receipts for an order, in its pipelines' order, given the sources
        ``found`` before them (which bound the depots worth reading, see :meth:`candidates`)."""
        state, allowed = self.state, self.allowed[klass]
        inbound_depots = state.inbound_depots.get(part, {})
        if not inbound_depots:
            return []
        if self.wide[klass]:
            # The depots with receipts, in the order depots_by_distance gives them: a
            # part has receipts at a few depots, and only those are read. A part's depots
            # with receipts are only ever added to, so the order holds while their count
            # does.
            key = (part, klass, col)
            known = self._nearest_inbound.get(key)
            if known is not None and known[0] == len(inbound_depots):
                nearest = known[1]
            else:
                rank_of = self._distance_rank.get((klass, col))
                if rank_of is None:
                    nearby = self.depots_by_distance(klass, col)
                    rank_of = self._distance_rank[(klass, col)] = {
                        d: i for i, d in enumerate(nearby)
                    }
                nearest = sorted(
                    (d for d in inbound_depots if d in rank_of), key=rank_of.__getitem__
                )
                self._nearest_inbound[key] = (len(inbound_depots), nearest)
        else:
            nearest = [home] if home >= 0 and allowed[INBOUND] else []
        hours, cost, resolution = self.depot_hours[col], self.depot_cost[col], self.resolution
        transit_ticks = self.lane_keys(col)[0]
        etas = [(objective.tick(c.eta, resolution), c.units) for c in found]
        bound = _covering_tick(etas, units)
        by_depot: dict[int, list[Candidate]] = {}
        for d in nearest:
            if d not in inbound_depots:
                continue
            transit = hours[d]
            if transit == np.inf or state.offline[d]:
                continue
            if bound is not None and transit_ticks[d] > bound:
                break
            inbound = state.pipeline(part, d)
            if inbound is None or not inbound.units:
                continue
            kind = INBOUND if d == home else TRANSFER
            if not allowed[kind]:
                continue
            # No receipt lands before the first one planned (an expected landing is never
            # before the planned one): a depot whose first receipt is worse than the
            # sources found is not read (a microsecond below, safe against the engine's
            # nanosecond arithmetic).
            if bound is not None:
                soonest = max(inbound.receipts[0][0] - now, 0.0) + transit - _SLACK_HOURS
                if objective.tick(soonest, resolution) > bound:
                    continue
            skip = inbound.held_through(rank) if pre_empts else inbound.held
            portions = self.free_receipts(inbound, skip, units, now)
            if not portions:
                continue
            here = by_depot[d] = []
            for planned, count in portions:
                release = self.release(planned, now)
                here.append(
                    Candidate(1, kind, part, d, -1, count, release, transit, cost[d], planned)
                )
                etas.append((objective.tick(release + transit, resolution), count))
            bound = _covering_tick(etas, units)
        if len(by_depot) < 2:
            return [c for here in by_depot.values() for c in here]
        return [c for d in inbound_depots if d in by_depot for c in by_depot[d]]

    def _options(self, part: int, klass: int, col: int, now: float) -> list[Candidate]:
        rows = self.options.by_part.get(part)
        if not rows:
            return []
        allowed, conditions = self.allowed[klass], self.conditions
        found: list[Candidate] = []
        for option in rows:
            kind = BROKER if self.options.is_broker[option] else EXPEDITE
            if not allowed[kind]:
                continue
            transit = self.option_hours[col][option]
            if transit == np.inf:
                continue
            capacity, lead, price, success = conditions.terms_now(option, now)
            if capacity <= 0 or not self._offered(option, success):
                continue
            money = price + self.option_cost[col][option]
            expected = None
            if self.priced and kind == BROKER:
                expected = objective.broker_expected_eta_one(
                    lead + transit, success, self.detected, self.fallback
                )
            found.append(
                Candidate(
                    kind - 1,
                    kind,
                    part,
                    -1,
                    option,
                    capacity,
                    lead,
                    transit,
                    money,
                    0.0,
                    expected=expected,
                )
            )
        return found

    def _offered(self, option: int, success: float) -> bool:
        """Whether an option with this success chance is one the engine would use: not
        below the policy's threshold, and — with priced risk and buys repeated until one
        succeeds — not a broker that never succeeds (its expected ETA is infinite, and the
        engine builds no arc to it)."""
        if success < self.min_success:
            return False
        never = self.priced and self.fallback is None and success <= 0
        return not (never and bool(self.options.is_broker[option]))


def _covering_tick(etas: list[tuple[int, int]], units: int) -> int | None:
    """The first ETA tick by which sources of ``(ETA tick, units)`` hold ``units`` units
    (None if they never do): no unit of a source later than that is ever needed."""
    covered = 0
    for tick, count in sorted(etas):
        covered += count
        if covered >= units:
            return tick
    return None
