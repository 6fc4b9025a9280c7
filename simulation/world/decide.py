"""The bridge from the simulated world to the allocation engine.

:meth:`Decider.solve` hands the engine the waiting orders of some part groups with every
unit the world can offer them now — shelves of online depots, receipts on their way, and
supply options with capacity left — and returns the engine's lines as commitments.

:meth:`Decider.lone` is the event path's shortcut, exact by construction: an order arriving
in a part group where nobody waits gets what it would get alone, which is its best allowed
source in the objective's order (ETA in policy ticks, then money in cents). The shortcut
answers only when that best source is unique and a shelf with enough units, or when no
source could give the order anything; otherwise it declines and the engine decides. A test
checks that runs with and without the shortcut give the same records.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.allocate import solve_problem
from allocation.domain.model import PriorityClass, SourceKind
from allocation.engine.frames import sources_table
from allocation.engine.problem import KINDS, problem_from
from simulation.world.conditions import Conditions
from simulation.world.setup import WorldSetup
from simulation.world.state import OptionBook, OrderBook, WorldState

__all__ = ["Commit", "Decider"]

_KIND_NAMES = [k.value for k in KINDS]


@dataclass(frozen=True)
class Commit:
    """Units the plan gives an order from one source.

    ``depot`` is the depot (of a shelf or a receipt) or -1; ``option`` the supply option
    row (expedite, broker) or -1; ``shelf`` whether the units are on a shelf now (a receipt
    still on its way is only a reservation); ``transit_hours`` the lane time from the source
    to the order; ``money`` per unit (price plus lane).
    """

    row: int
    kind: str
    part: int
    depot: int
    option: int
    quantity: int
    transit_hours: float
    money: float
    shelf: bool


class Decider:
    """Asks the engine (or, where exact, the shortcut) who gets what."""

    def __init__(
        self,
        setup: WorldSetup,
        strategy: str,
        book: OrderBook,
        state: WorldState,
        options: OptionBook,
        conditions: Conditions,
    ) -> None:
        self.setup = setup
        self.strategy = strategy
        self.book = book
        self.state = state
        self.options = options
        self.conditions = conditions
        context = setup.context
        self.context = context
        routes = context.routes
        pad = np.full((routes.hours.shape[0], 1), np.inf)
        self.hours = np.hstack([routes.hours, pad])
        self.cost = np.hstack([routes.cost, pad])
        origin = routes.origin_index()
        self.depot_row = np.array([origin[d] for d in setup.depot_ids], dtype=np.int64)
        self.option_row = np.array([origin[s] for s in options.supplier], dtype=np.int64)
        policy = setup.policy
        self.allowed = np.array(
            [[policy.allows(c, k) for k in KINDS] for c in PriorityClass], dtype=bool
        )
        self.resolution = policy.eta_resolution_hours
        self.min_success = policy.min_success_probability
        groups = context.part_group
        sizes = np.bincount(groups, minlength=len(groups))
        self.alone = (sizes[groups] == 1) & np.array(
            [p not in context.usable for p in range(len(groups))], dtype=bool
        )
        self.parts_of_group: dict[int, list[int]] = {}
        for p, g in enumerate(groups.tolist()):
            self.parts_of_group.setdefault(g, []).append(p)
        self._stock_code = KINDS.index(SourceKind.STOCK)
        self._transfer_code = KINDS.index(SourceKind.TRANSFER)
        self._inbound_code = KINDS.index(SourceKind.INBOUND)
        self._expedite_code = KINDS.index(SourceKind.EXPEDITE)
        self._broker_code = KINDS.index(SourceKind.BROKER)

    # -- the shortcut ----------------------------------------------------------------------
    def lone(self, row: int, now: float) -> list[Commit] | None:
        """An order alone in its group: its commitments, ``[]`` to wait, None to ask."""
        book = self.book
        part = int(book.part[row])
        if not self.alone[part]:
            return None
        klass = int(book.klass[row])
        col = int(book.country_col[row])
        home = int(book.home[row])
        quantity = book.need[row]
        state = self.state
        allowed = self.allowed[klass]
        # Candidates: (eta ticks, cents, kind code, depot, option, units, transit, money)
        ticks: list[int] = []
        cents: list[int] = []
        entries: list[tuple[int, int, int, int, float, float, bool]] = []
        shelf = state.on_hand[part]
        for depot in np.flatnonzero((shelf > 0) & state.online).tolist():
            kind = self._stock_code if depot == home else self._transfer_code
            if not allowed[kind]:
                continue
            origin = self.depot_row[depot]
            transit, money = float(self.hours[origin, col]), float(self.cost[origin, col])
            if transit == np.inf:
                continue
            ticks.append(round(transit / self.resolution))
            cents.append(round(money * 100.0))
            entries.append((kind, depot, -1, int(shelf[depot]), transit, money, True))
        for receipt in state.pipeline.get(part, {}).values():
            if not state.online[receipt.depot]:
                continue
            kind = self._inbound_code if receipt.depot == home else self._transfer_code
            if not allowed[kind]:
                continue
            origin = self.depot_row[receipt.depot]
            transit = float(self.hours[origin, col])
            if transit == np.inf:
                continue
            release = max(receipt.planned_hours - now, 0.0)
            ticks.append(round((release + transit) / self.resolution))
            cents.append(round(float(self.cost[origin, col]) * 100.0))
            entries.append((kind, receipt.depot, -1, receipt.quantity, transit, 0.0, False))
        rows = self.options.by_part.get(part)
        if rows:
            terms = self.conditions.terms(np.array(rows, dtype=np.int64), now)
            for i, option in enumerate(rows):
                kind = self._broker_code if self.options.is_broker[option] else self._expedite_code
                if not allowed[kind] or terms.capacity[i] <= 0:
                    continue
                if terms.success[i] < self.min_success:
                    continue
                origin = self.option_row[option]
                transit = float(self.hours[origin, col])
                if transit == np.inf:
                    continue
                money = float(terms.price[i]) + float(self.cost[origin, col])
                ticks.append(round((float(terms.lead_hours[i]) + transit) / self.resolution))
                cents.append(round(money * 100.0))
                entries.append((kind, -1, option, int(terms.capacity[i]), transit, money, False))
        if not entries:
            return []
        best = min(zip(ticks, cents, strict=True))
        tied = [i for i, key in enumerate(zip(ticks, cents, strict=True)) if key == best]
        if len(tied) != 1:
            return None
        kind, depot, _, units, transit, money, on_shelf = entries[tied[0]]
        if not on_shelf or units < quantity:
            return None
        return [Commit(row, _KIND_NAMES[kind], part, depot, -1, quantity, transit, money, True)]

    # -- the engine ------------------------------------------------------------------------
    def solve(self, groups: list[int], now: float) -> list[Commit]:
        """The engine's plan for the waiting orders of some groups, as commitments."""
        book = self.book
        rows = [r for g in groups for r in book.waiting.get(g, ())]
        if not rows:
            return []
        parts = sorted(p for g in groups for p in self.parts_of_group[g])
        index = np.array(rows, dtype=np.int64)
        orders = book.table.iloc[index].reset_index(drop=True)
        orders["quantity"] = np.array([book.need[r] for r in rows], dtype=np.int64)
        moment = self.setup.start + pd.Timedelta(hours=now)
        context = replace(self.context, as_of=moment)
        stock, inbound, options, option_rows = self._supply(parts, now)
        sources = sources_table(stock, inbound, options, context)
        problem = problem_from(orders, sources, context)
        plan = solve_problem(problem, self.strategy)
        arcs = problem.arcs
        used = np.flatnonzero(plan.flow > 0)
        if len(used) == 0:
            return []
        origin = sources["origin"].to_numpy(dtype=object)
        release = sources["release_hours"].to_numpy(dtype=np.float64)
        base = sources["base"].to_numpy(dtype=np.int64)
        part_code = sources["part_code"].to_numpy(dtype=np.int64)
        depot_code = self.context.depot_code
        commits = []
        for a in used.tolist():
            s = int(arcs.source[a])
            kind = int(arcs.kind[a])
            depot, option = -1, -1
            if base[s] <= 1:
                depot = depot_code[str(origin[s])]
            else:
                key = (int(part_code[s]), "broker" if base[s] == 3 else "expedite", str(origin[s]))
                option = option_rows[key]
            commits.append(
                Commit(
                    row=rows[int(arcs.order[a])],
                    kind=_KIND_NAMES[kind],
                    part=int(part_code[s]),
                    depot=depot,
                    option=option,
                    quantity=int(plan.flow[a]),
                    transit_hours=float(arcs.eta_hours[a] - release[s]),
                    money=float(arcs.money[a]),
                    shelf=bool(base[s] == 0),
                )
            )
        return commits

    def _supply(
        self, parts: list[int], now: float
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[tuple[int, str, str], int]]:
        """Stock, receipts and options of some parts, as the engine's input tables."""
        state = self.state
        names = self.context.part_numbers
        depots = self.setup.depot_ids
        part_idx = np.array(parts, dtype=np.int64)
        shelf = state.on_hand[part_idx] * state.online[None, :]
        p_i, d_i = np.nonzero(shelf > 0)
        stock = pd.DataFrame(
            {
                "part_number": [names[parts[i]] for i in p_i.tolist()],
                "depot_id": [depots[d] for d in d_i.tolist()],
                "on_hand": shelf[p_i, d_i].astype(np.int64),
            }
        )
        receipts: dict[tuple[int, int, float], int] = {}
        for p in parts:
            for r in state.pipeline.get(p, {}).values():
                if state.online[r.depot]:
                    key = (p, r.depot, r.planned_hours)
                    receipts[key] = receipts.get(key, 0) + r.quantity
        start = self.setup.start
        inbound = pd.DataFrame(
            {
                "part_number": [names[p] for p, _, _ in receipts],
                "depot_id": [depots[d] for _, d, _ in receipts],
                "quantity": np.array(list(receipts.values()), dtype=np.int64),
                "eta": pd.to_datetime(
                    [start + pd.Timedelta(hours=max(h, now)) for _, _, h in receipts]
                ).astype("datetime64[ns]"),
            }
        )
        option_rows = [r for p in parts for r in self.options.by_part.get(p, ())]
        terms = self.conditions.terms(np.array(option_rows, dtype=np.int64), now)
        opts = self.options
        keys = {
            (int(opts.part[r]), "broker" if opts.is_broker[r] else "expedite", opts.supplier[r]): r
            for r in option_rows
        }
        options = pd.DataFrame(
            {
                "part_number": [names[int(opts.part[r])] for r in option_rows],
                "source": ["broker" if opts.is_broker[r] else "expedite" for r in option_rows],
                "supplier_id": [opts.supplier[r] for r in option_rows],
                "capacity": terms.capacity,
                "lead_time_hours": terms.lead_hours,
                "unit_cost": terms.price,
                "success_probability": terms.success,
            }
        )
        return stock, inbound, options, keys
