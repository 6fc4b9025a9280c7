"""The bridge from the simulated world to the allocation engine.

A decision plans the **open** orders of some part groups (orders with units neither
committed nor promised) against the groups' free supply (:mod:`.supply`). The engine's
lines become commitments: shelf units ship, expedite and broker units are bought, receipt
units are promised (:mod:`.state`). Promises are kept; what an order holds is never planned
again, except that with pre-emption a higher rank may take lower ranks' promised units, as
the engine's policy allows for units allocated but not shipped.

With pre-emption, ranks are decided one after another, best first: an order of rank ``r``
sees the receipts beyond the promises of ranks ``r`` and better, so its ETA is the one it
will get when it joins the queue ahead of lower ranks. The lexicographic objective ranks
classes first anyway; what this gives up is the engine's choice, among plans equally good
for a higher rank, of the one best for the lower ranks.

A decision about a single order is answered by the exact no-solve path (:mod:`.solo`)
unless it declines; everything else goes to the engine (:meth:`allocation.Engine.solve`).
"""

from __future__ import annotations

from collections.abc import Collection
from itertools import chain

import numpy as np
import pandas as pd

from allocation import SourceBase
from simulation.world.idle import IdleViews, View
from simulation.world.setup import WorldSetup
from simulation.world.solo import Commit, in_sequence, one_node, solo
from simulation.world.state import OrderBook
from simulation.world.supply import KIND_NAMES, Kind, KindSet, Supply, hours_to_ns

__all__ = ["Decider"]

_RANKED = ("optimal", "tier_greedy")


class Decider:
    """Decides who gets what: the exact single-order path where it answers, else the engine.

    Parameters
    ----------
    setup : WorldSetup
        The scenario resolved against its world.
    strategy : str
        ``optimal``, ``fifo`` or ``tier_greedy``.
    book : OrderBook
        The orders.
    supply : Supply
        The free supply, read with the engine's numbers.
    shortcut : bool
        Answer without the engine where that is exact (off only to prove it changes nothing).
    """

    def __init__(
        self, setup: WorldSetup, strategy: str, book: OrderBook, supply: Supply, shortcut: bool
    ) -> None:
        self.setup = setup
        self.strategy = strategy
        self.book = book
        self.supply = supply
        self.shortcut = shortcut
        self.pre_empts = setup.policy.preemption and strategy in _RANKED
        self.partial_fills = setup.policy.partial_fills
        self.parts_of_group: dict[int, list[int]] = {}
        for p, g in enumerate(setup.context.part_group.tolist()):
            self.parts_of_group.setdefault(g, []).append(p)
        self.solves = 0
        self.shortcuts = 0
        # The kinds of a view's open orders, per (groups, rank), with the groups' kind
        # revisions they were read at: they change far less often than they are asked for.
        self._kind_sets: dict[View, tuple[list[int], KindSet]] = {}
        # Views that found nothing to take, passed over until what they read changes.
        self._idle = IdleViews(supply, book, self.pre_empts)

    def queue_rank(self, row: int) -> int:
        """Where an order's promises queue: by rank with pre-emption, else by arrival only."""
        return self.book.rank[row] if self.pre_empts else 0

    def next_rank(self, groups: list[int], done: int) -> int | None:
        """The best rank after ``done`` with open orders in these groups: each rank is
        decided in turn with pre-emption; without it every open order is one decision."""
        book = self.book
        if not self.pre_empts:
            return 0 if done < 0 and any(g in book.open for g in groups) else None
        best: int | None = None
        # Asked twice or more per event: a loop over a group's few ranks, no list made.
        for g in groups:
            for r in book.open_ranked.get(g, ()):
                if r > done and (best is None or r < best):
                    best = r
        return best

    def decide(self, rows: list[int], rank: int, now: float) -> list[Commit]:
        """Commitments for some open orders of one rank's view, in their canonical order.

        With the shortcut, orders that could take no unit from anywhere are left out first:
        they have no arc in the engine's network, so its plan for the others is the same
        (ages are compared within a part group, from its oldest order with an arc). Whether
        an order could take a unit depends only on its :meth:`OrderBook.profile`, so each
        kind of order is asked once. If one order is left, the single-order path answers;
        otherwise the engine.
        """
        book = self.book
        if self.shortcut and len(rows) > 1:
            kinds = KindSet.of(book.profile(r) for r in rows)
            usable = self._usable(kinds, rank, now)
            if len(usable) < len(kinds.kinds):
                rows = [r for r in rows if book.profile(r) in usable]
        return self._answer(rows, rank, now)

    def decide_open(self, groups: list[int], rank: int, now: float) -> list[Commit]:
        """:meth:`decide` for every open order of these groups in one rank's view (every
        open order without pre-emption).

        The book keeps its open orders per kind, so a view none of whose kinds could take
        a unit — a backlog waiting for supply, however long — is passed over without
        reading its rows, and of a view where only some kinds could, only their rows are
        read, and put back in the view's order. A view that found nothing is not read
        again until supply is freed where its kinds may take it, or its kinds change
        (:class:`~simulation.world.idle.IdleViews`); when only its kinds changed, only the
        kinds new to it are read.
        """
        book = self.book
        view_key = (tuple(groups), rank)
        if self.shortcut and self._idle.still_idle(view_key):
            self.shortcuts += 1
            return []
        views = self._kinds(groups, rank)
        rows: list[int] | None = None
        idle_kinds: Collection[Kind] = ()
        if self.shortcut and _more_than_one(views):
            fresh = self._idle.new_kinds(view_key)
            if fresh is not None:
                # Only kinds new to the view can have something: the others had nothing,
                # and nothing they read has been freed since.
                usable = self._usable(KindSet.of(fresh), rank, now) if fresh else set()
                if not usable:
                    answer = self._answer([], rank, now)
                    self._idle.extend(view_key, fresh)
                    return answer
                return self._answer(_rows_of(book, views, usable), rank, now)
            kinds = self._kind_set(groups, rank, views)
            usable = self._usable(kinds, rank, now)
            if not usable:
                rows, idle_kinds = [], kinds.kinds
            elif len(usable) < len(kinds.kinds):
                rows = []
                for view in views:
                    found = [r for k in view for key in k if key in usable for r in k[key]]
                    found.sort(key=book.opened.__getitem__)
                    rows += found
        if rows is None:
            rows = self._view(groups, rank)
            # One order alone that gets nothing, with partial fills, has no source at all.
            if len(rows) == 1 and self.partial_fills:
                idle_kinds = (book.profile(rows[0]),)
        answer = self._answer(rows, rank, now)
        if self.shortcut and idle_kinds and not answer:
            # Nothing to take: the view is passed over until what it reads changes.
            self._idle.remember(view_key, idle_kinds)
        return answer

    def _kinds(self, groups: list[int], rank: int) -> list[list[dict[Kind, dict[int, None]]]]:
        """Per group, its open rows by kind in the rank's view (every rank without
        pre-emption)."""
        book = self.book
        if self.pre_empts:
            return [
                [book.open_profiles[g][rank]]
                for g in groups
                if rank in book.open_profiles.get(g, ())
            ]
        return [list(book.open_profiles[g].values()) for g in groups if g in book.open_profiles]

    def _kind_set(
        self, groups: list[int], rank: int, views: list[list[dict[Kind, dict[int, None]]]]
    ) -> KindSet:
        """The kinds in these views of the groups' open orders (:meth:`_kinds`), read again
        only when a kind has come into or left the views since they were last read."""
        view = rank if self.pre_empts else -1
        key = (tuple(groups), view)
        revisions = self.book.kind_revision
        stamp = [revisions.get((g, view), 0) for g in groups]
        cached = self._kind_sets.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        found = KindSet.of(chain.from_iterable(chain.from_iterable(views)))
        self._kind_sets[key] = (stamp, found)
        return found

    def _usable(self, kinds: KindSet, rank: int, now: float) -> set[Kind]:
        """The kinds of order (part, class, country column, home) that could take a unit
        from somewhere now (:meth:`Supply.usable_kinds`)."""
        return self.supply.usable_kinds(kinds, rank, now, self.pre_empts)

    def _answer(self, rows: list[int], rank: int, now: float) -> list[Commit]:
        """The exact no-solve paths where they answer, else the engine."""
        if self.shortcut:
            if not rows:
                self.shortcuts += 1
                return []
            answer = (
                self._solo(rows[0], rank, now) if len(rows) == 1 else self._many(rows, rank, now)
            )
            if answer is not None:
                self.shortcuts += 1
                return sorted(answer, key=Commit.sort_key)
        self.solves += 1
        return sorted(self._engine(sorted(rows), rank, now), key=Commit.sort_key)

    def _view(self, groups: list[int], rank: int) -> list[int]:
        """The open rows of the groups in the rank's view, group by group in arrival order."""
        book = self.book
        if not self.pre_empts:
            return [r for g in groups for r in book.open.get(g, ())]
        return [r for g in groups for r in book.open_ranked.get(g, {}).get(rank, ())]

    def _solo(self, row: int, rank: int, now: float) -> list[Commit] | None:
        book = self.book
        return solo(
            self.supply,
            self.strategy,
            row=row,
            part=book.part[row],
            klass=book.klass[row],
            col=book.country_col[row],
            home=book.home[row],
            agg_key=book.agg_key[row],
            need=book.need[row],
            rank=rank,
            now=now,
            pre_empts=self.pre_empts,
            partial_fills=self.partial_fills,
            due_ns=book.need_by_ns[row] if book.targets else None,
        )

    def _many(self, rows: list[int], rank: int, now: float) -> list[Commit] | None:
        """Several orders without the engine where that is exact: the baselines always (they
        are sequential), ``optimal`` when the orders form one node; None otherwise."""
        if not self.partial_fills:
            return None
        book, supply, pre_empts = self.book, self.supply, self.pre_empts
        if self.strategy != "optimal":
            return in_sequence(
                supply, self.strategy, book, rows, rank=rank, now=now, pre_empts=pre_empts
            )
        if len({book.agg_key[r] for r in rows}) == 1:
            return one_node(supply, book, rows, rank=rank, now=now, pre_empts=pre_empts)
        return None

    # -- the engine ------------------------------------------------------------------------
    def _engine(self, rows: list[int], rank: int, now: float) -> list[Commit]:
        book, supply = self.book, self.supply
        parts = sorted({p for g in {book.group[r] for r in rows} for p in self.parts_of_group[g]})
        need: dict[int, int] = {}
        for r in rows:
            need[book.group[r]] = need.get(book.group[r], 0) + book.need[r]
        stock, inbound, planned = self._stock_and_receipts(parts, need, rank, now)
        options, option_of = self._options(parts, now)
        as_of = pd.Timestamp(supply.as_of_ns(now))
        engine = self.setup.engine
        orders = book.columns.take(np.array(rows, dtype=np.int64))
        orders = orders.with_quantity(np.array([book.need[r] for r in rows], dtype=np.int64))
        sources = engine.sources_of(stock, inbound, options, as_of)
        plan = engine.solve(orders, sources, self.strategy, as_of)
        used = np.flatnonzero(plan.flow > 0)
        arcs = plan.problem.arcs
        base = sources.base
        part_code = sources.part_code
        depot_code = sources.depot_code
        origin = sources.origin
        release_at = sources.release_at.astype(np.int64)
        protected = sources.protected
        commits = []
        for a in used.tolist():
            s, row = int(arcs.source[a]), rows[int(arcs.order[a])]
            b, p = int(base[s]), int(part_code[s])
            col = book.country_col[row]
            depot, option, when = -1, -1, 0.0
            if b <= SourceBase.RECEIPT:
                depot = int(depot_code[s])
                transit = supply.depot_hours[col][depot]
                if b == SourceBase.RECEIPT:
                    when = planned[(p, depot, int(release_at[s]))]
            else:
                option = option_of[(p, SourceBase(b).label, str(origin[s]))]
                transit = supply.option_hours[col][option]
            commits.append(
                Commit(
                    row=row,
                    base=b,
                    kind=KIND_NAMES[int(arcs.kind[a])],
                    part=p,
                    depot=depot,
                    option=option,
                    quantity=int(plan.flow[a]),
                    transit_hours=transit,
                    money=float(arcs.money[a]),
                    planned=when,
                    protected=bool(protected[s]),
                )
            )
        return commits

    def _stock_and_receipts(
        self, parts: list[int], need: dict[int, int], rank: int, now: float
    ) -> tuple[pd.DataFrame, pd.DataFrame, dict[tuple[int, int, int], float]]:
        """Shelves and the free receipts of some parts: per depot, as many units as the
        orders of the part's group need (and those landing within the margin after them),
        each at its expected landing given that it has not landed by ``now``
        (:meth:`~simulation.world.supply.Supply.free_receipts`)."""
        state, names, depots = (
            self.supply.state,
            self.setup.context.part_numbers,
            self.setup.depot_ids,
        )
        s_part, s_depot, s_units = [], [], []
        r_part, r_depot, r_units, r_eta = [], [], [], []
        planned: dict[tuple[int, int, int], float] = {}
        start_ns = self.supply.start_ns
        group_of = self.setup.context.part_group
        for p in parts:
            for d, units in enumerate(state.on_hand[p]):
                if units > 0 and not state.offline[d]:
                    s_part.append(names[p])
                    s_depot.append(depots[d])
                    s_units.append(units)
            for d in state.inbound_depots.get(p, ()):
                inbound = state.pipeline(p, d)
                if inbound is None or state.offline[d]:
                    continue
                skip = inbound.held_through(rank) if self.pre_empts else inbound.held
                wanted = need[int(group_of[p])]
                for when, units in self.supply.free_receipts(inbound, skip, wanted, now):
                    eta = start_ns + hours_to_ns(when)
                    planned[(p, d, eta)] = when
                    r_part.append(names[p])
                    r_depot.append(depots[d])
                    r_units.append(units)
                    r_eta.append(eta)
        stock = pd.DataFrame(
            {
                "part_number": pd.Series(s_part, dtype=object),
                "depot_id": pd.Series(s_depot, dtype=object),
                "on_hand": np.array(s_units, dtype=np.int64),
            }
        )
        inbound_table = pd.DataFrame(
            {
                "part_number": pd.Series(r_part, dtype=object),
                "depot_id": pd.Series(r_depot, dtype=object),
                "quantity": np.array(r_units, dtype=np.int64),
                "eta": np.array(r_eta, dtype=np.int64).astype("datetime64[ns]"),
            }
        )
        return stock, inbound_table, planned

    def _options(
        self, parts: list[int], now: float
    ) -> tuple[pd.DataFrame, dict[tuple[int, str, str], int]]:
        """Supply options of some parts on the terms of the moment."""
        opts = self.supply.options
        rows = [r for p in parts for r in opts.by_part.get(p, ())]
        terms = self.supply.conditions.terms(np.array(rows, dtype=np.int64), now)
        names = self.setup.context.part_numbers
        kinds = ["broker" if opts.is_broker[r] else "expedite" for r in rows]
        table = pd.DataFrame(
            {
                "part_number": pd.Series([names[opts.part[r]] for r in rows], dtype=object),
                "source": pd.Series(kinds, dtype=object),
                "supplier_id": pd.Series([opts.supplier[r] for r in rows], dtype=object),
                "capacity": terms.capacity.astype(np.int64),
                "lead_time_hours": terms.lead_hours.astype(np.float64),
                "unit_cost": terms.price.astype(np.float64),
                "success_probability": terms.success.astype(np.float64),
            }
        )
        keys = {
            (opts.part[r], kind, opts.supplier[r]): r for r, kind in zip(rows, kinds, strict=True)
        }
        return table, keys


def _rows_of(
    book: OrderBook, views: list[list[dict[Kind, dict[int, None]]]], usable: set[Kind]
) -> list[int]:
    """The open rows of the usable kinds, group by group in the order the view keeps them
    (their :attr:`~simulation.world.state.OrderBook.opened` numbers), read kind by kind
    from the few usable ones rather than from every kind of the view."""
    rows: list[int] = []
    for view in views:
        found = [r for kinds in view for key in usable if key in kinds for r in kinds[key]]
        found.sort(key=book.opened.__getitem__)
        rows += found
    return rows


def _more_than_one(views: list[list[dict[Kind, dict[int, None]]]]) -> bool:
    """Whether these views of open rows by kind hold more than one row."""
    seen = 0
    for view in views:
        for kinds in view:
            for rows in kinds.values():
                seen += len(rows)
                if seen > 1:
                    return True
    return False
