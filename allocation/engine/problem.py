"""From a snapshot to arrays: orders, sources and the arcs between them, built with NumPy.

An order can take units from a source when the source holds a part the order may use (its
own part or, with substitutes on, any part its supersession chain reaches), a route leads
from the source's origin to the order's country, and policy lets the order's class use the
source's kind:

- ``stock``: on hand at the order's home depot;
- ``transfer``: on hand at another depot, or a receipt landing at another depot;
- ``inbound``: a receipt landing at the order's home depot;
- ``expedite`` / ``broker``: a supply option, after its lead time.

ETA (hours from the snapshot's moment) = when the source can release the unit + transit.
Money per unit = transit cost + the option's price (stock already owned costs only transit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.adapters.snapshot import Snapshot
from allocation.domain.model import PriorityClass, SourceKind
from allocation.domain.policy import AllocationPolicy
from allocation.engine.columns import column, read_columns
from allocation.engine.context import Context, build_context
from allocation.engine.grown_orders import GrownOrders
from allocation.engine.network import Routes
from allocation.engine.source_index import source_index

__all__ = [
    "KINDS",
    "AllocationProblem",
    "Arcs",
    "Context",
    "build_arcs",
    "build_context",
    "build_problem",
    "problem_from",
    "size_bucket",
    "solve_sequence",
]

KINDS: tuple[SourceKind, ...] = tuple(SourceKind)
_KIND_CODE = {k: i for i, k in enumerate(KINDS)}
_PARTS_PRIORITY = list(PriorityClass).index(PriorityClass.PARTS_PRIORITY)
_FEW = 16  # up to this many orders, per-order Python beats NumPy's fixed costs


@dataclass(frozen=True)
class Arcs:
    """Source→order arcs as parallel arrays (positions index ``sources`` and ``orders``)."""

    source: npt.NDArray[np.int64]
    order: npt.NDArray[np.int64]
    part: npt.NDArray[np.int64]
    kind: npt.NDArray[np.int8]
    eta_hours: npt.NDArray[np.float64]
    money: npt.NDArray[np.float64]
    allowed: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.source)

    def take(self, mask: npt.NDArray[np.bool_] | npt.NDArray[np.int64]) -> Arcs:
        """The arcs selected by a mask or an index array."""
        return Arcs(
            self.source[mask],
            self.order[mask],
            self.part[mask],
            self.kind[mask],
            self.eta_hours[mask],
            self.money[mask],
            self.allowed[mask],
        )


@dataclass(frozen=True)
class AllocationProblem:
    """Everything the strategies need, as tables and arrays.

    ``orders`` has one row per open order line with its class, priority group (0 first),
    home depot, country and part group; ``sources`` one row per stock level, receipt and
    supply option with units to give; ``arcs`` the allowed source→order pairs.
    """

    orders: pd.DataFrame
    sources: pd.DataFrame
    arcs: Arcs
    context: Context

    if not TYPE_CHECKING:  # hidden from type checkers: every other name stays checked

        def __getattr__(self, name: str) -> Any:
            # Reached only for attributes not set: a grown problem's orders table is made
            # when first read (see allocation.engine.grown_orders).
            if name == "orders":
                grown = self.unmade_orders()
                if grown is not None:
                    frame = grown.frame()
                    object.__setattr__(self, "orders", frame)
                    return frame
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @classmethod
    def grown(
        cls, orders: GrownOrders, sources: pd.DataFrame, arcs: Arcs, context: Context
    ) -> AllocationProblem:
        """A problem whose orders table is made only when read (see :meth:`__getattr__`)."""
        problem = object.__new__(cls)
        problem.__dict__.update(sources=sources, arcs=arcs, context=context, _grown_orders=orders)
        return problem

    @property
    def order_count(self) -> int:
        """``len(orders)``, without making a grown problem's table."""
        grown: GrownOrders | None = self.__dict__.get("_grown_orders")
        return len(grown) if grown is not None else len(self.orders)

    def unmade_orders(self) -> GrownOrders | None:
        """A grown problem's rows while its orders table is not made yet, else None."""
        if "orders" in self.__dict__:
            return None
        grown: GrownOrders | None = self.__dict__.get("_grown_orders")
        return grown

    def grown_orders(self) -> GrownOrders:
        """The orders table as rows to grow: a grown problem's own, or the table made."""
        grown = self.unmade_orders()
        return grown if grown is not None else GrownOrders.starting_from(self.orders)

    @property
    def policy(self) -> AllocationPolicy:
        """The allocation policy."""
        return self.context.policy

    @property
    def as_of(self) -> pd.Timestamp:
        """The moment ETAs count from."""
        return self.context.as_of

    @property
    def routes(self) -> Routes:
        """Fastest routes from origins to countries."""
        return self.context.routes

    @property
    def part_numbers(self) -> list[str]:
        """Parts by code."""
        return self.context.part_numbers

    @property
    def usable(self) -> dict[int, npt.NDArray[np.int64]]:
        """Parts each part may use, for parts with a supersession chain."""
        return self.context.usable

    def orders_column(self, name: str, dtype: npt.DTypeLike | None = None) -> npt.NDArray[Any]:
        """``orders[name].to_numpy(dtype)``, read once per problem (see :meth:`sources_column`)."""
        return column(self, "orders", name, dtype)

    def sources_column(self, name: str, dtype: npt.DTypeLike | None = None) -> npt.NDArray[Any]:
        """``sources[name].to_numpy(dtype)``, read once per problem.

        Reading a column out of a DataFrame costs about 10 µs, and one incremental re-plan
        reads dozens; a problem's tables are never edited once it is made, so each column is
        read once and kept (read-only).
        """
        return column(self, "sources", name, dtype)


def with_arcs(problem: AllocationProblem, arcs: Arcs) -> AllocationProblem:
    """The same tables with other arcs; the columns read so far come along."""
    grown = problem.unmade_orders()
    if grown is not None:
        new = AllocationProblem.grown(grown, problem.sources, arcs, problem.context)
    else:
        new = AllocationProblem(
            orders=problem.orders, sources=problem.sources, arcs=arcs, context=problem.context
        )
    for table in ("orders", "sources"):
        new.__dict__[f"_{table}_columns"] = read_columns(problem, table)
    return new


def build_problem(
    snapshot: Snapshot,
    decisions: pd.DataFrame,
    policy: AllocationPolicy,
    context: Context | None = None,
) -> AllocationProblem:
    """Arrays for the optimizer from a snapshot and the orders' entitlement decisions.

    ``decisions`` has columns ``order_id``, ``priority_class`` and ``tier`` (one row per
    order, in the orders table's order).
    """
    from allocation.engine.frames import orders_table, sources_table

    context = context or build_context(snapshot, policy)
    orders = _canonical(orders_table(snapshot.orders, snapshot.customers, decisions, context))
    sources = sources_table(snapshot.stock, snapshot.inbound, snapshot.supply_options, context)
    return problem_from(orders, sources, context)


def _canonical(orders: pd.DataFrame) -> pd.DataFrame:
    """Orders oldest first, then by id: the plan depends on the set of orders, never on
    the rows' order in a file (a solver breaks ties between equal orders by position)."""
    order_ids = orders["order_id"].to_numpy(dtype=object).astype(str)
    created = orders["created_at"].to_numpy()
    rows = np.lexsort((order_ids, created))
    return orders.iloc[rows].reset_index(drop=True)


def problem_from(
    orders: pd.DataFrame, sources: pd.DataFrame, context: Context
) -> AllocationProblem:
    """A problem over prepared order and source tables, with its allowed arcs."""
    problem = AllocationProblem(orders=orders, sources=sources, arcs=_empty_arcs(), context=context)
    arcs = build_arcs(problem, solve_sequence(orders, sources, context), only_allowed=True)
    return with_arcs(problem, arcs)


def size_bucket(sources: pd.DataFrame, context: Context) -> npt.NDArray[np.int64]:
    """Per part group: ceil(log2(sources + 1)), so groups of like size share a solve."""
    return _bucket(sources["part_group"].to_numpy(dtype=np.int64), context)


def problem_size_bucket(problem: AllocationProblem) -> npt.NDArray[np.int64]:
    """:func:`size_bucket` of a problem's sources, computed once per sources table."""
    cache = read_columns(problem, "sources")
    bucket: npt.NDArray[np.int64] | None = cache.get(("_size_bucket", None))
    if bucket is None:
        bucket = _bucket(problem.sources_column("part_group", np.int64), problem.context)
        bucket.flags.writeable = False
        cache[("_size_bucket", None)] = bucket
    return bucket


def _bucket(part_group: npt.NDArray[np.int64], context: Context) -> npt.NDArray[np.int64]:
    counts = np.bincount(part_group, minlength=len(context.part_numbers))
    return np.ceil(np.log2(counts + 1)).astype(np.int64)


def solve_sequence(
    orders: pd.DataFrame, sources: pd.DataFrame, context: Context
) -> npt.NDArray[np.int64]:
    """Order rows by (size bucket, part group): the arcs come out ready to batch."""
    group = orders["part_group"].to_numpy(dtype=np.int64)
    return np.lexsort((group, size_bucket(sources, context)[group])).astype(np.int64)


def build_arcs(
    problem: AllocationProblem,
    order_rows: npt.NDArray[np.int64],
    only_allowed: bool,
) -> Arcs:
    """Arcs from every usable source to the given orders (vectorised).

    With ``only_allowed`` the arcs policy forbids are left out; without it they are kept
    with ``allowed`` false (the explanation uses them to say what policy costs an order).
    """
    if len(order_rows) == 0 or len(problem.sources) == 0:
        return _empty_arcs()
    rep_order, use_part = _order_parts(problem, order_rows)
    # × candidate sources of that part. Orders whose class may use any depot get every
    # source of the part; the others only their home depot's stock and receipts (and the
    # supply options when their class may use them), which keeps the arcs near 5 per order.
    policy = problem.policy
    classes = list(PriorityClass)
    wide = np.array([policy.allows(c, SourceKind.TRANSFER) for c in classes]) | (not only_allowed)
    with_options = np.array(
        [
            policy.allows(c, SourceKind.EXPEDITE) or policy.allows(c, SourceKind.BROKER)
            for c in classes
        ]
    )
    order_class = problem.orders_column("class_code", np.int64)
    order_home = problem.orders_column("home_code", np.int64)
    row_class = order_class[rep_order]
    is_wide = wide[row_class]
    index = source_index(problem)
    pieces = [index.expand(rep_order[is_wide], use_part[is_wide], None)]
    narrow = ~is_wide
    home = order_home[rep_order[narrow]]
    # No home depot (code -1): no home stock. Slot -1 would be the previous part's options.
    housed = home >= 0
    pieces.append(index.expand(rep_order[narrow][housed], use_part[narrow][housed], home[housed]))
    opt = narrow & with_options[row_class]
    pieces.append(index.expand(rep_order[opt], use_part[opt], index.options_slot))
    arc_order = np.concatenate([p[0] for p in pieces])
    arc_part = np.concatenate([p[1] for p in pieces])
    arc_source = np.concatenate([p[2] for p in pieces])
    if len(arc_source) == 0:
        return _empty_arcs()
    # Keep arcs grouped by order, in the sequence the orders were asked for.
    position = np.empty(problem.order_count, dtype=np.int64)
    position[np.asarray(order_rows, dtype=np.int64)] = np.arange(len(order_rows))
    by_order = np.argsort(position[arc_order], kind="stable")
    arc_order, arc_part, arc_source = arc_order[by_order], arc_part[by_order], arc_source[by_order]
    kind = _arc_kinds(problem, arc_source, order_home[arc_order])
    eta, money = _arc_costs(problem, arc_source, arc_order)
    reachable = np.isfinite(eta)
    allowed = _arc_allowed(problem, arc_source, order_class[arc_order], kind)
    keep = reachable & allowed if only_allowed else reachable
    if keep.all():
        return Arcs(arc_source, arc_order, arc_part, kind, eta, money, allowed)
    return Arcs(
        source=arc_source[keep],
        order=arc_order[keep],
        part=arc_part[keep],
        kind=kind[keep],
        eta_hours=eta[keep],
        money=money[keep],
        allowed=allowed[keep],
    )


def _order_parts(
    problem: AllocationProblem, order_rows: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Order × usable part: itself, plus its chain's parts for the few that have one."""
    o_part = problem.orders_column("part_code")[order_rows]
    usable = problem.usable
    if not usable:
        with_chain = np.zeros(len(o_part), dtype=bool)
    elif len(o_part) <= _FEW:
        # A set lookup: np.isin's sorting costs ~50 µs, a one-order arrival needs one lookup.
        with_chain = np.array([int(p) in usable for p in o_part.tolist()], dtype=bool)
    else:
        with_chain = np.isin(o_part, np.fromiter(usable, dtype=np.int64))
    if not with_chain.any():
        return np.asarray(order_rows, dtype=np.int64), o_part.astype(np.int64)
    counts = np.ones(len(o_part), dtype=np.int64)
    chain_lists = [usable[int(p)] for p in o_part[with_chain]]
    counts[with_chain] = [len(u) for u in chain_lists]
    rep_order = np.repeat(order_rows, counts)
    use_part = np.repeat(o_part, counts)
    starts = np.cumsum(counts) - counts
    for start, chain in zip(starts[with_chain], chain_lists, strict=True):
        use_part[start : start + len(chain)] = chain
    return rep_order, use_part


def _arc_kinds(
    problem: AllocationProblem,
    arc_source: npt.NDArray[np.int64],
    home: npt.NDArray[np.int64],
) -> npt.NDArray[np.int8]:
    """Stock or inbound at the order's home depot, transfer from elsewhere, or an option."""
    base = problem.sources_column("base")[arc_source]
    at_home = problem.sources_column("depot_code", np.int64)[arc_source] == home
    kind = np.full(len(arc_source), _KIND_CODE[SourceKind.TRANSFER], dtype=np.int8)
    kind[(base == 0) & at_home] = _KIND_CODE[SourceKind.STOCK]
    kind[(base == 1) & at_home] = _KIND_CODE[SourceKind.INBOUND]
    kind[base == 2] = _KIND_CODE[SourceKind.EXPEDITE]
    kind[base == 3] = _KIND_CODE[SourceKind.BROKER]
    return kind


def _arc_costs(
    problem: AllocationProblem,
    arc_source: npt.NDArray[np.int64],
    arc_order: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """ETA hours and money per unit: the source's release and price plus the route's."""
    # Routes: origin row × country column.
    src_row = problem.sources_column("origin_row", np.int64)[arc_source]
    ord_col = problem.orders_column("country_col", np.int64)[arc_order]
    # A country no lane reaches sits in the column past the last: an extra column of inf.
    hours, costs = _padded_routes(problem.routes)
    flat = src_row * hours.shape[1] + ord_col
    transit = hours.ravel()[flat]
    lane_cost = costs.ravel()[flat]
    eta = problem.sources_column("release_hours")[arc_source] + transit
    money = problem.sources_column("unit_price")[arc_source] + lane_cost
    return eta, money


def _arc_allowed(
    problem: AllocationProblem,
    arc_source: npt.NDArray[np.int64],
    class_code: npt.NDArray[np.int64],
    kind: npt.NDArray[np.int8],
) -> npt.NDArray[np.bool_]:
    """Whether policy lets the order's class take units of the arc's kind from the source."""
    allowed_table = np.array(
        [[problem.policy.allows(c, k) for k in KINDS] for c in PriorityClass], dtype=bool
    )
    allowed: npt.NDArray[np.bool_] = allowed_table[class_code, kind]
    if problem.policy.protection:
        # Protected units (RULES.md, "Parts priority": Priority Management orders first)
        # go to parts_priority orders only.
        held = problem.sources_column("protected", bool)[arc_source]
        allowed &= ~held | (class_code == _PARTS_PRIORITY)
    if problem.policy.min_success_probability > 0:
        ok = problem.sources_column("success_probability")[arc_source] >= (
            problem.policy.min_success_probability
        )
        allowed &= ok
    return allowed


def _padded_routes(
    routes: Routes,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    pad = np.full((routes.hours.shape[0], 1), np.inf)
    return np.hstack([routes.hours, pad]), np.hstack([routes.cost, pad])


def _empty_arcs() -> Arcs:
    i = np.zeros(0, dtype=np.int64)
    return Arcs(i, i, i, np.zeros(0, np.int8), np.zeros(0), np.zeros(0), np.zeros(0, bool))
