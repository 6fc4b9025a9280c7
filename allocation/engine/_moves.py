"""Moving units from one order to another, with the impact shown before it is made.

A planner who moves ``N`` units from order ``A`` to order ``B`` firms ``N`` units for ``B``
from one of ``A``'s planned sources (:class:`~allocation.domain.overrides.Firm`): ``B``
keeps them in every later plan, and the optimizer re-plans everything else around them.
Before the firm line is written, :func:`preview_move` plans both ways and says who loses
what, level by level of the objective and order by order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from allocation.domain.model import PriorityClass, SourceKind
from allocation.domain.overrides import Firm, MoveError
from allocation.domain.snapshot import Snapshot
from allocation.engine._plan import Plan
from allocation.engine.model import FirmError

if TYPE_CHECKING:
    from allocation.engine._facade import Engine

__all__ = ["MoveImpact", "preview_move"]

LEVEL_COLUMNS = ["level", "before", "after", "change"]
ORDER_COLUMNS = [
    "order_id",
    "priority_class",
    "units_before",
    "units_after",
    "eta_before",
    "eta_after",
]
_DEPOT_KINDS = frozenset({SourceKind.STOCK, SourceKind.TRANSFER, SourceKind.INBOUND})
_BY_CODE = {k.code: k for k in SourceKind}


@dataclass(frozen=True)
class MoveImpact:
    """What a move would do: the firm line it adds, and the plan before and after.

    ``levels`` holds the objective's levels (:meth:`Plan.objective` keys) before and after;
    ``orders`` every order whose units or latest ETA (hours) change; ``snapshot`` is the
    snapshot with the move applied (its ``overrides`` table has the firm line).
    """

    firm: Firm
    from_order: str
    levels: pd.DataFrame
    orders: pd.DataFrame
    snapshot: Snapshot

    @property
    def overrides(self) -> pd.DataFrame:
        """The ``overrides`` table with the move applied."""
        return self.snapshot.overrides

    def summary(self) -> dict[str, Any]:
        """The move, its level changes and who loses units, as plain values (for JSON)."""
        losers = self.orders[self.orders["units_after"] < self.orders["units_before"]]
        return {
            "move": {
                "from_order": self.from_order,
                "to_order": self.firm.order_id,
                "units": self.firm.quantity,
                "source": self.firm.kind.value,
                "origin": self.firm.origin,
            },
            "firm": self.firm.row(),
            "levels": {
                str(r.level): {"before": r.before, "after": r.after, "change": r.change}
                for r in self.levels.itertuples(index=False)
            },
            "orders_changed": len(self.orders),
            "orders_losing_units": sorted(losers["order_id"].tolist()),
        }


def preview_move(
    engine: Engine,
    from_order: str,
    to_order: str,
    units: int | None = None,
    source: tuple[str, str] | None = None,
) -> MoveImpact:
    """The impact of moving ``units`` of ``from_order``'s planned units to ``to_order``.

    Parameters
    ----------
    engine : Engine
        The snapshot and policy the move is planned under.
    from_order, to_order : str
        Order ids: ``A`` gives, ``B`` takes.
    units : int, optional
        Units to move (default: all of the chosen line).
    source : (kind, origin), optional
        Which of ``A``'s lines (default: the one with the best ETA).

    Raises
    ------
    MoveError
        ``A`` and ``B`` are the same, either is unknown, ``A`` has no such line or fewer
        units on it, ``units`` is not positive, or ``B`` cannot take units from there.
    """
    if from_order == to_order:
        raise MoveError(f"move: from and to are the same order {from_order!r}")
    if units is not None and units <= 0:
        raise MoveError(f"move {from_order} → {to_order}: units must be positive, got {units}")
    ids = set(engine.snapshot.orders["order_id"].astype(str))
    for order_id in (from_order, to_order):
        if order_id not in ids:
            raise MoveError(f"move {from_order} → {to_order}: no order {order_id!r}")
    before = engine.plan()
    kind, origin, available = _line_of(before, from_order, to_order, source)
    count = available if units is None else units
    if count > available:
        raise MoveError(
            f"move {from_order} → {to_order}: {from_order} has only {available} unit(s) "
            f"of {kind.value} from {origin}, not {count}"
        )
    firm = Firm(to_order, _kind_for(before, from_order, to_order, kind, origin), origin, count)
    table = pd.concat(
        [engine.snapshot.overrides, pd.DataFrame([firm.row()])], ignore_index=True
    ).astype(object)
    moved = engine.snapshot.with_overrides(table)
    from allocation.engine._facade import Engine as _Engine

    try:
        after = _Engine(moved, engine.policy, engine.entitlement_policy, engine.previous).plan()
    except FirmError as exc:
        raise MoveError(f"move {from_order} → {to_order}: {exc}") from None
    return MoveImpact(firm, from_order, _levels(before, after), _orders(before, after), moved)


def _line_of(
    plan: Plan, from_order: str, to_order: str, source: tuple[str, str] | None
) -> tuple[SourceKind, str, int]:
    """The (kind, origin) of ``A``'s line to move from, and its units."""
    lines = plan.lines[plan.lines["order_id"] == from_order]
    if source is not None:
        lines = lines[(lines["source"] == source[0]) & (lines["origin"] == source[1])]
    if lines.empty:
        where = f" from {source[0]} at {source[1]}" if source is not None else ""
        raise MoveError(f"move {from_order} → {to_order}: {from_order} has no planned units{where}")
    best = lines.sort_values(["eta_hours", "source", "origin"], kind="stable").iloc[0]
    kind, origin = SourceKind(best["source"]), str(best["origin"])
    mine = lines[(lines["source"] == kind.value) & (lines["origin"] == origin)]
    return kind, origin, int(mine["quantity"].sum())


def _kind_for(
    plan: Plan, from_order: str, to_order: str, kind: SourceKind, origin: str
) -> SourceKind:
    """The kind the units of ``A``'s (kind, origin) line are to ``B`` (a shelf at ``A``'s
    home depot is a transfer for an order homed elsewhere); refuses when ``B`` has no arc
    to those sources, saying why."""
    problem = plan.problem
    orders, arcs, sources = problem.orders, problem.arcs, problem.sources
    row_a = int(np.flatnonzero(orders.order_id == from_order)[0])
    row_b = int(np.flatnonzero(orders.order_id == to_order)[0])
    mine = (arcs.order == row_a) & (plan.flow > 0) & (arcs.kind == kind.code)
    mine &= sources.origin[arcs.source] == origin
    used = np.unique(arcs.source[mine])
    theirs = (arcs.order == row_b) & np.isin(arcs.source, used) & arcs.allowed
    if theirs.any():
        return _BY_CODE[int(arcs.kind[np.flatnonzero(theirs)[0]])]
    raise MoveError(
        f"move {from_order} → {to_order}: {to_order} cannot take units of {kind.value} "
        f"from {origin}: {_why_not(plan, row_b, used, kind, origin)}"
    )


def _why_not(plan: Plan, row: int, used: np.ndarray, kind: SourceKind, origin: str) -> str:
    """Why order ``row`` has no arc to the ``used`` sources, in words."""
    problem = plan.problem
    context, orders, sources = problem.context, problem.orders, problem.sources
    part = int(orders.part_code[row])
    usable = set(context.usable.get(part, np.array([part])).tolist())
    if not usable & set(sources.part_code[used].tolist()):
        return f"its part {orders.part_number[row]} cannot use part {sources.part_number[used[0]]}"
    klass = PriorityClass(str(orders.priority_class()[row]))
    as_kind = kind
    if kind in _DEPOT_KINDS:
        home = context.homes.get(str(orders.country[row]))
        at_home = origin == home
        as_kind = (
            SourceKind.TRANSFER
            if not at_home
            else (SourceKind.INBOUND if kind == SourceKind.INBOUND else SourceKind.STOCK)
        )
    if not problem.policy.allows(klass, as_kind):
        return f"its class {klass.value} may not use {as_kind.value}"
    return f"no route from {origin} reaches {orders.country[row]}, or an override forbids it"


def _levels(before: Plan, after: Plan) -> pd.DataFrame:
    a, b = before.objective(), after.objective()
    rows = [(name, a[name], b.get(name, 0.0), b.get(name, 0.0) - a[name]) for name in a]
    return pd.DataFrame(rows, columns=LEVEL_COLUMNS)


def _orders(before: Plan, after: Plan) -> pd.DataFrame:
    """Every order whose units or latest ETA change, with its class."""
    orders = before.problem.orders
    frame = pd.DataFrame(
        {"order_id": orders.order_id.astype(str), "priority_class": orders.priority_class()}
    ).set_index("order_id")
    for name, plan in (("before", before), ("after", after)):
        got = plan.lines.groupby("order_id").agg(
            units=("quantity", "sum"), eta=("eta_hours", "max")
        )
        frame[f"units_{name}"] = got["units"].reindex(frame.index).fillna(0).astype(np.int64)
        frame[f"eta_{name}"] = got["eta"].reindex(frame.index).astype(float)
    same_eta = (frame["eta_before"] == frame["eta_after"]) | (
        frame["eta_before"].isna() & frame["eta_after"].isna()
    )
    changed = (frame["units_before"] != frame["units_after"]) | ~same_eta
    out = frame[changed].reset_index()[ORDER_COLUMNS]
    return out.sort_values(["priority_class", "order_id"], kind="stable").reset_index(drop=True)
