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
  pre-emption only those of rank ``r`` or better);
- options: expedite and broker capacity left this period, on the terms of the moment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.model import PriorityClass, SourceKind
from allocation.engine.optimal import tie_break
from allocation.engine.problem import KINDS
from simulation.world.conditions import Conditions
from simulation.world.setup import WorldSetup
from simulation.world.state import OptionBook, WorldState

__all__ = ["Candidate", "Supply", "hours_to_ns"]

STOCK, TRANSFER, INBOUND, EXPEDITE, BROKER = (KINDS.index(k) for k in SourceKind)
KIND_NAMES = [k.value for k in KINDS]
BASE_NAMES = ("stock", "inbound", "expedite", "broker")
_NS_PER_HOUR = 3_600_000_000_000


def hours_to_ns(hours: float) -> int:
    """Hours since the start as whole nanoseconds (the engine's clock resolution)."""
    return round(hours * _NS_PER_HOUR)


@dataclass(frozen=True)
class Candidate:
    """A source with free units for one order: the engine's view of one arc.

    ``base`` is 0 shelf, 1 receipt, 2 expedite, 3 broker (the engine's source bases);
    ``kind`` the code of the order's source kind; ``release`` hours until the source can
    release units (the engine's ``release_hours``).
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
        self.allowed = [[policy.allows(c, k) for k in KINDS] for c in PriorityClass]
        self.wide = [row[TRANSFER] for row in self.allowed]
        self.resolution = policy.eta_resolution_hours
        self.min_success = policy.min_success_probability
        self.start_ns = int(pd.Timestamp(setup.start).value)
        self.usable: list[list[int]] = [
            context.usable[p].tolist() if p in context.usable else [p]
            for p in range(len(context.part_numbers))
        ]
        self._by_distance: dict[tuple[int, int], list[int]] = {}
        self._hashes: dict[str, int] = {}

    # -- clocks and keys ---------------------------------------------------------------
    def as_of_ns(self, now: float) -> int:
        """The engine's ``as_of`` for a decision at ``now``."""
        return self.start_ns + hours_to_ns(now)

    def releases(self, planned: list[float], now: float) -> npt.NDArray[np.float64]:
        """Hours until receipts planned at ``planned`` land, as the engine computes them."""
        eta = (np.array([hours_to_ns(h) for h in planned], dtype=np.int64) + self.start_ns).astype(
            "datetime64[ns]"
        )
        as_of = np.datetime64(self.as_of_ns(now), "ns")
        released: npt.NDArray[np.float64] = np.maximum(
            (eta - as_of) / np.timedelta64(1, "s") / 3600.0, 0.0
        )
        return released

    def tie(self, agg_key: int, candidate: Candidate) -> int:
        """The engine's tie-break cost of this order's node taking this source."""
        context = self.setup.context
        if candidate.base >= 2:
            origin = self.options.supplier[candidate.option]
        else:
            origin = self.setup.depot_ids[candidate.depot]
        release = float(np.round(np.float64(candidate.release), 6))
        identity = (
            f"{context.part_numbers[candidate.part]}|{origin}|{BASE_NAMES[candidate.base]}|"
            f"{release!r}"
        )
        hashed = self._hashes.get(identity)
        if hashed is None:
            raw = pd.util.hash_array(np.array([identity], dtype=object))
            hashed = self._hashes[identity] = int((raw >> np.uint64(33)).astype(np.int64)[0])
        value = tie_break(np.array([agg_key], dtype=np.int64), np.array([hashed], dtype=np.int64))
        return int(value[0])

    # -- what one order can use --------------------------------------------------------
    def depots_by_distance(self, klass: int, col: int) -> list[int]:
        """Depots whose shelf an order of this class and country may use, nearest first.

        Only the home depot for a class that may not use transfers (it is found by the
        caller); every reachable depot otherwise, by (transit ticks, lane cents).
        """
        key = (klass, col)
        found = self._by_distance.get(key)
        if found is None:
            hours, cost = self.depot_hours[col], self.depot_cost[col]
            reachable = [d for d in range(self.state.depots) if hours[d] != np.inf]
            found = sorted(
                reachable,
                key=lambda d: (round(hours[d] / self.resolution), round(cost[d] * 100.0), d),
            )
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
    ) -> list[Candidate]:
        """Every source an order may take free units from now, enough to cover ``units``.

        Shelves are read nearest first and stop once ``units`` are covered (plus any shelf
        tied with the last one in ticks and cents); receipts give at most ``units`` units
        per depot. The rest could never be part of the order's best sources.
        """
        found: list[Candidate] = []
        for p in self.usable[part]:
            found += self._shelves(p, klass, col, home, units)
            found += self._receipts(p, klass, col, home, units, rank, now, pre_empts)
            found += self._options(p, klass, col, now)
        return found

    def _shelves(self, part: int, klass: int, col: int, home: int, units: int) -> list[Candidate]:
        state, allowed = self.state, self.allowed[klass]
        shelf = state.on_hand[part]
        hours, cost = self.depot_hours[col], self.depot_cost[col]
        if not self.wide[klass]:
            if home < 0 or not allowed[STOCK] or not shelf[home] or state.offline[home]:
                return []
            if hours[home] == np.inf:
                return []
            return [
                Candidate(0, STOCK, part, home, -1, shelf[home], 0.0, hours[home], cost[home], 0.0)
            ]
        found: list[Candidate] = []
        covered, limit = 0, None
        for d in self.depots_by_distance(klass, col):
            have = shelf[d]
            if not have or state.offline[d]:
                continue
            kind = STOCK if d == home else TRANSFER
            if not allowed[kind]:
                continue
            key = (round(hours[d] / self.resolution), round(cost[d] * 100.0))
            if limit is not None and key != limit:
                break
            found.append(Candidate(0, kind, part, d, -1, have, 0.0, hours[d], cost[d], 0.0))
            covered += have
            if covered >= units and limit is None:
                limit = key
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
    ) -> list[Candidate]:
        state, allowed = self.state, self.allowed[klass]
        if self.wide[klass]:
            depots = list(state.inbound_depots.get(part, ()))
        else:
            depots = [home] if home >= 0 and allowed[INBOUND] else []
        portions: list[tuple[int, int, float, int]] = []
        hours = self.depot_hours[col]
        for d in depots:
            inbound = state.pipeline(part, d)
            if inbound is None or state.offline[d] or hours[d] == np.inf:
                continue
            kind = INBOUND if d == home else TRANSFER
            if not allowed[kind]:
                continue
            skip = inbound.held_through(rank) if pre_empts else inbound.held
            for planned, count in inbound.free_after(skip, units):
                portions.append((kind, d, planned, count))
        if not portions:
            return []
        release = self.releases([p[2] for p in portions], now).tolist()
        cost = self.depot_cost[col]
        return [
            Candidate(1, kind, part, d, -1, count, r, hours[d], cost[d], planned)
            for (kind, d, planned, count), r in zip(portions, release, strict=True)
        ]

    def _options(self, part: int, klass: int, col: int, now: float) -> list[Candidate]:
        rows = self.options.by_part.get(part)
        if not rows:
            return []
        allowed = self.allowed[klass]
        terms = self.conditions.terms(np.array(rows, dtype=np.int64), now)
        found: list[Candidate] = []
        for i, option in enumerate(rows):
            kind = BROKER if self.options.is_broker[option] else EXPEDITE
            capacity = int(terms.capacity[i])
            if not allowed[kind] or capacity <= 0 or terms.success[i] < self.min_success:
                continue
            transit = self.option_hours[col][option]
            if transit == np.inf:
                continue
            money = float(terms.price[i]) + self.option_cost[col][option]
            lead = float(terms.lead_hours[i])
            found.append(
                Candidate(kind - 1, kind, part, -1, option, capacity, lead, transit, money, 0.0)
            )
        return found
