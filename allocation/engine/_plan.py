"""The plan: who gets which units from where, what stays unfilled, and why.

A :class:`Plan` holds the problem and the units on each arc. Its tables are built from
arrays in a few vectorised steps, whatever their size; :meth:`Plan.explain` answers one
order at a time in words.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.model import PriorityClass, SourceKind
from allocation.domain.policy import AllocationPolicy
from allocation.engine._backups import Backups, backup_words, empty_backups, hold_backups
from allocation.engine._churn import Churn, churn_between
from allocation.engine._html import html_block, html_table
from allocation.engine._lateness import TARGET_COLUMNS, Breaches, target_columns
from allocation.engine.explain import explain_order, unfilled_reasons
from allocation.engine.model import Problem, stable_order

__all__ = [
    "LINE_COLUMNS",
    "UNFILLED_COLUMNS",
    "Measures",
    "Plan",
    "PlanTables",
    "records",
    "rows_of",
]

IntArray = npt.NDArray[np.int64]
LINE_COLUMNS = [
    "order_id",
    "part_number",
    "requested_part_number",
    "quantity",
    "source",
    "origin",
    "eta",
    "eta_hours",
    "cost",
    "priority_class",
]
UNFILLED_COLUMNS = ["order_id", "part_number", "quantity", "priority_class", "code", "reason"]
_KIND_NAMES = np.array([k.value for k in SourceKind], dtype=object)


@dataclass
class _Made:
    """A plan's tables, made the first time they are read and kept with the plan (the
    plan is immutable, so they never go stale)."""

    filled: IntArray | None = None
    lines: pd.DataFrame | None = None
    unfilled: pd.DataFrame | None = None
    measures: Measures | None = None
    held: tuple[Backups | None] | None = None  # worked out once, even when there are none


@dataclass(frozen=True)
class Plan:
    """An allocation plan.

    Attributes
    ----------
    problem : Problem
        Orders, sources and arcs it was made from.
    flow : ndarray of int64
        Units on each arc of ``problem.arcs``.
    strategy : str
        ``optimal``, ``fifo`` or ``tier_greedy``.
    reasons : dict
        Why orders were left out before solving (e.g. partial fills off), by order row.
    previous : DataFrame, optional
        A previous plan's lines: the summary then reports the churn against it
        (:attr:`churn`).

    Examples
    --------
    >>> from allocation import allocate, load_snapshot
    >>> plan = allocate(load_snapshot("scenarios/example"))
    >>> plan.summary()["by_class"]["parts_priority"]
    {'orders': 4, 'units_requested': 5, 'units_allocated': 5, 'fill_rate': 1.0}
    >>> plan.to_pandas()[["order_id", "quantity", "source", "origin"]].head(2)
      order_id  quantity source origin
    0   O-1001         1  stock   D-US
    1   O-1004         2  stock   D-US

    In a notebook the plan shows itself as tables (fill and ETA by class, units and cost by
    source kind).
    """

    problem: Problem
    flow: IntArray
    strategy: str
    reasons: dict[int, str] = field(default_factory=dict)
    previous: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    _made: _Made = field(default_factory=_Made, init=False, repr=False, compare=False)

    # -- tables ------------------------------------------------------------------------
    @property
    def filled(self) -> IntArray:
        """Units allocated per order row."""
        if self._made.filled is None:
            filled = np.zeros(len(self.problem.orders), dtype=np.int64)
            np.add.at(filled, self.problem.arcs.order, self.flow)
            self._made.filled = filled
        return self._made.filled

    @property
    def lines(self) -> pd.DataFrame:
        """Allocation lines: one per order and source that gives it units."""
        if self._made.lines is None:
            self._made.lines = self._lines()
        return self._made.lines

    def _lines(self) -> pd.DataFrame:
        arcs, orders, sources = self.problem.arcs, self.problem.orders, self.problem.sources
        used = np.flatnonzero(self.flow > 0)
        qty = self.flow[used]
        firm = self._firm_units()
        if firm is not None:
            # Firmed units are lines of their own, flagged, beside what the plan added.
            held = np.minimum(firm, self.flow)
            free = self.flow - held
            firm_arcs, free_arcs = np.flatnonzero(held > 0), np.flatnonzero(free > 0)
            used = np.concatenate([firm_arcs, free_arcs])
            qty = np.concatenate([held[firm_arcs], free[free_arcs]])
        o = arcs.order[used]
        s = arcs.source[used]
        eta_hours = arcs.eta_hours[used]
        frame = pd.DataFrame(
            {
                "order_id": orders.order_id[o],
                "part_number": sources.part_number[s],
                "requested_part_number": orders.part_number[o],
                "quantity": qty,
                "source": _KIND_NAMES[arcs.kind[used]],
                "origin": sources.origin[s],
                "eta": self.problem.as_of + pd.to_timedelta(eta_hours, unit="h"),
                "eta_hours": np.round(eta_hours, 3),
                "cost": np.round(arcs.money[used] * qty, 2),
                "priority_class": orders.priority_class()[o],
            }
        )
        columns = LINE_COLUMNS
        if orders.has_targets():
            frame["need_by"], frame["late_hours"] = target_columns(self.problem, used)
            columns = LINE_COLUMNS + TARGET_COLUMNS
        if firm is not None:
            frame["firm"] = np.arange(len(used)) < len(firm_arcs)
            columns = [*columns, "firm"]
        if sources.protected[s].any():
            frame = _join_tranches(frame)
        sort = stable_order(frame["order_id"], frame["origin"])
        return frame.iloc[sort].reset_index(drop=True)[columns]

    def _firm_units(self) -> IntArray | None:
        """Units the planner's overrides firm on each arc (None: no firm in the context)."""
        if not self.problem.context.overrides.firm:
            return None
        firm = self.problem.firm()
        return np.zeros(len(self.flow), dtype=np.int64) if firm is None else firm

    @property
    def unfilled(self) -> pd.DataFrame:
        """The unfilled remainder of every order, with a stable ``code`` and the reason
        (the codes: :data:`allocation.engine.explain.CODES`)."""
        if self._made.unfilled is None:
            self._made.unfilled = self._unfilled()
        return self._made.unfilled

    def _unfilled(self) -> pd.DataFrame:
        orders = self.problem.orders
        missing = orders.quantity - self.filled
        rows = np.flatnonzero(missing > 0)
        why = unfilled_reasons(self.problem, self.flow, rows, self.reasons)
        frame = pd.DataFrame(
            {
                "order_id": orders.order_id[rows],
                "part_number": orders.part_number[rows],
                "quantity": missing[rows],
                "priority_class": orders.priority_class()[rows],
                "code": why.code,
                "reason": why.reason,
            }
        )
        return frame[UNFILLED_COLUMNS]

    def short_reasons(self, order_ids: Sequence[str]) -> dict[str, str]:
        """Why each of these orders is not filled (only the unfilled ones are answered).

        The reasons of :attr:`unfilled`, for a few orders, without working out every one.
        """
        orders = self.problem.orders
        missing = orders.quantity - self.filled
        rows = rows_of(orders.order_id, order_ids)
        wanted = rows[missing[rows] > 0]
        why = unfilled_reasons(self.problem, self.flow, wanted, self.reasons)
        return dict(zip(orders.order_id[wanted].tolist(), why.reason.tolist(), strict=True))

    @property
    def backups(self) -> pd.DataFrame:
        """Units held, not bought, for parts-priority broker buys (the policy's
        ``broker_backup``; :mod:`allocation.engine._backups`): ``order_id``,
        ``part_number``, ``source``, ``origin``, ``quantity``, ``eta``, ``eta_hours``.
        Empty with the flag off or with no broker lines."""
        held = self._held()
        return empty_backups() if held is None else held.table()

    def _held(self) -> Backups | None:
        if self._made.held is None:
            self._made.held = (hold_backups(self.problem, self.flow),)
        return self._made.held[0]

    def to_pandas(self) -> pd.DataFrame:
        """Allocation lines as a DataFrame (see :attr:`lines`; unfilled in :attr:`unfilled`)."""
        return self.lines.copy()

    def to_dict(self) -> dict[str, Any]:
        """The plan as one JSON-ready document: ``lines``, ``unfilled``, ``summary``."""
        return self.tables().to_dict()

    # -- measures ----------------------------------------------------------------------
    @property
    def measures(self) -> Measures:
        """What the plan's summary and objective count, in parts that add up."""
        if self._made.measures is None:
            self._made.measures = self._measures()
        return self._made.measures

    def _measures(self) -> Measures:
        problem = self.problem
        orders, arcs = problem.orders, problem.arcs
        classes = len(PriorityClass)
        used = np.flatnonzero(self.flow > 0)
        units = self.flow[used]
        return Measures(
            class_orders=np.bincount(orders.class_code, minlength=classes),
            class_asked=np.bincount(
                orders.class_code, weights=orders.quantity, minlength=classes
            ).astype(np.int64),
            class_allocated=np.bincount(
                orders.class_code, weights=self.filled, minlength=classes
            ).astype(np.int64),
            group=orders.group[arcs.order[used]],
            units=units,
            unit_hours=units * arcs.eta_hours[used],
            money=units * arcs.money[used],
            breaches=Breaches.of(problem, self.flow, self.filled, used)
            if orders.has_targets()
            else None,
        )

    def tables(self) -> PlanTables:
        """The plan's tables and measures, without the problem behind them."""
        tables = PlanTables(
            strategy=self.strategy,
            as_of=self.problem.as_of,
            policy=self.problem.policy,
            lines=self.lines,
            unfilled=self.unfilled,
            measures=self.measures,
            backups=self.backups if self.problem.policy.broker_backup else None,
        )
        return tables if self.previous is None else tables.with_previous(self.previous)

    def against(self, previous: pd.DataFrame) -> Plan:
        """The same plan, reporting its churn against ``previous`` plan lines."""
        return replace(self, previous=previous)

    @property
    def churn(self) -> Churn | None:
        """Units and lines moved since :attr:`previous` (None without a previous plan)."""
        if self.previous is None:
            return None
        return churn_between(self.previous, self.lines, self.problem.orders.order_id)

    def objective(self) -> dict[str, float]:
        """The lexicographic objective's levels, most important first.

        For each priority group: units allocated, then — when some order has a ``need_by``
        — the units late and the sum of their hours late, then the sum of the units' ETAs
        in hours (the downtime the plan commits to); then the money spent.
        """
        return self.measures.objective(self.problem.policy)

    def summary(self) -> dict[str, Any]:
        """Fill by class and by source kind, cost, and the worst ETAs."""
        return self.tables().summary()

    def _repr_html_(self) -> str:
        summary = self.summary()
        by_class = pd.DataFrame(
            [
                {
                    "class": name,
                    "orders": row["orders"],
                    "units asked": row["units_requested"],
                    "units allocated": row["units_allocated"],
                    "fill rate": f"{row['fill_rate']:.1%}",
                    "mean ETA h": self._mean_eta(PriorityClass(name)),
                }
                for name, row in summary["by_class"].items()
            ]
        )
        by_source = pd.DataFrame(
            {
                "source": list(summary["units_by_source"]),
                "units": list(summary["units_by_source"].values()),
                "cost": list(summary["cost_by_source"].values()),
            }
        )
        return html_block(
            f"Plan ({self.strategy}, as of {self.problem.as_of:%Y-%m-%d %H:%M})",
            [html_table(by_class, "by priority class"), html_table(by_source, "by source kind")],
            [
                f"total cost {summary['total_cost']:,.2f}; "
                f"{len(self.unfilled):,} order(s) not fully filled (see .unfilled)"
            ],
        )

    def _mean_eta(self, klass: PriorityClass) -> float:
        """Mean ETA hours of the units allocated to a class (NaN with none)."""
        arcs = self.problem.arcs
        mine = self.problem.orders.class_code[arcs.order] == klass.code
        units = self.flow[mine].sum()
        return (
            round(float(np.dot(self.flow[mine], arcs.eta_hours[mine]) / units), 1)
            if units
            else float("nan")
        )

    # -- words -------------------------------------------------------------------------
    def explain(self, order_id: str) -> str:
        """Why this order got what it got, or nothing, in words.

        Names the source of each unit and why it was chosen; for what is unfilled, the
        orders holding the units it could have used and the rule that ranked them first,
        and the best source it could still get if policy allowed it; with the policy's
        ``broker_backup``, the units held for its broker buy, or why none are.
        """
        text = explain_order(self.problem, self.flow, self.reasons, order_id)
        held = self._held()
        if held is None:
            return text
        row = int(np.flatnonzero(self.problem.orders.order_id == order_id)[0])
        return "\n".join([text, *backup_words(held, row)])


@dataclass(frozen=True)
class Measures:
    """What a plan's summary counts, in parts that add up across part groups.

    Per class (by code): orders, units asked, units allocated; per arc with units: its
    order's priority group, its units, units × ETA hours and units × money; ``breaches``
    when some order has a target (:class:`~allocation.engine._lateness.Breaches`). Sums of floats
    are taken with :func:`math.fsum`, exact whatever the order of the terms, so a plan made
    in several pieces measures exactly as one made whole.
    """

    class_orders: IntArray
    class_asked: IntArray
    class_allocated: IntArray
    group: IntArray
    units: IntArray
    unit_hours: npt.NDArray[np.float64]
    money: npt.NDArray[np.float64]
    breaches: Breaches | None = None

    @staticmethod
    def concat(parts: Sequence[Measures]) -> Measures:
        """The measures of plans of disjoint part groups, as of one plan."""
        breaches = None
        if any(p.breaches is not None for p in parts):
            breaches = Breaches.concat([p.breaches or Breaches.none(len(p.units)) for p in parts])
        return Measures(
            class_orders=np.sum([p.class_orders for p in parts], axis=0),
            class_asked=np.sum([p.class_asked for p in parts], axis=0),
            class_allocated=np.sum([p.class_allocated for p in parts], axis=0),
            group=np.concatenate([p.group for p in parts]),
            units=np.concatenate([p.units for p in parts]),
            unit_hours=np.concatenate([p.unit_hours for p in parts]),
            money=np.concatenate([p.money for p in parts]),
            breaches=breaches,
        )

    def objective(self, policy: AllocationPolicy) -> dict[str, float]:
        """Per priority group, units and unit × ETA hours; then money (see
        :meth:`Plan.objective`)."""
        result: dict[str, float] = {}
        for g in range(policy.group_count):
            mask = self.group == g
            name = AllocationPolicy.group_name(g, policy)
            result[f"{name}_units"] = float(self.units[mask].sum())
            if self.breaches is not None:
                result[f"{name}_units_late"] = float(self.breaches.late_units[mask].sum())
                result[f"{name}_late_hours"] = math.fsum(self.breaches.late_hours[mask].tolist())
            result[f"{name}_eta_hours"] = math.fsum(self.unit_hours[mask].tolist())
        result["cost"] = math.fsum(self.money.tolist())
        return result


@dataclass(frozen=True)
class PlanTables:
    """A plan's tables and measures: all a file, a terminal or a JSON document shows.

    What a plan made in several processes brings back (:meth:`Engine.plan_tables
    <allocation.engine.Engine.plan_tables>`); :meth:`Plan.tables` gives the same of a plan
    made whole.
    """

    strategy: str
    as_of: pd.Timestamp
    policy: AllocationPolicy
    lines: pd.DataFrame
    unfilled: pd.DataFrame
    measures: Measures
    churn: Churn | None = None
    backups: pd.DataFrame | None = None
    """Units held for broker buys (:attr:`Plan.backups`); None with ``broker_backup`` off."""

    def with_previous(self, previous: pd.DataFrame) -> PlanTables:
        """The same tables with their churn against ``previous`` plan lines (every order
        of the plan counts: those in its lines and those unfilled)."""
        open_orders = pd.concat([self.lines["order_id"], self.unfilled["order_id"]]).unique()
        return replace(self, churn=churn_between(previous, self.lines, open_orders))

    def objective(self) -> dict[str, float]:
        """The objective's levels (see :meth:`Plan.objective`)."""
        return self.measures.objective(self.policy)

    def summary(self) -> dict[str, Any]:
        """Fill by class and by source kind, cost, and the worst ETAs."""
        m, lines = self.measures, self.lines
        by_class: dict[str, dict[str, float]] = {}
        for klass in PriorityClass:
            asked = int(m.class_asked[klass.code])
            got = int(m.class_allocated[klass.code])
            by_class[klass.value] = {
                "orders": int(m.class_orders[klass.code]),
                "units_requested": asked,
                "units_allocated": got,
                "fill_rate": round(got / asked, 4) if asked else 1.0,
            }
            if m.breaches is not None:
                late = m.breaches.late_units[_class_of_arcs(m, klass)]
                by_class[klass.value] |= {
                    "orders_with_target": int(m.breaches.targets[klass.code]),
                    "orders_breached": int(m.breaches.breached[klass.code]),
                    "units_late": int(late.sum()),
                }
        source = lines["source"].to_numpy(dtype=object)
        quantity = lines["quantity"].to_numpy(dtype=np.int64)
        cost = lines["cost"].to_numpy(dtype=np.float64)
        by_source = {kind.value: int(quantity[source == kind.value].sum()) for kind in SourceKind}
        cost_by_source = {
            kind.value: round(float(cost[source == kind.value].sum()), 2) for kind in SourceKind
        }
        worst = lines.sort_values("eta_hours", ascending=False, kind="stable").head(5)
        return {
            "strategy": self.strategy,
            "orders": int(m.class_orders.sum()),
            "by_class": by_class,
            "units_by_source": by_source,
            "cost_by_source": cost_by_source,
            "total_cost": round(float(cost.sum()), 2),
            "worst_eta": worst[["order_id", "source", "origin", "eta_hours"]].to_dict(
                orient="records"
            ),
            "objective": self.objective(),
        } | self._override_summary()

    def _override_summary(self) -> dict[str, Any]:
        """``firm_units`` when the lines flag firmed units; ``churn`` with a previous plan."""
        extra: dict[str, Any] = {}
        if "firm" in self.lines.columns:
            firm = self.lines["firm"].to_numpy(dtype=bool)
            extra["firm_units"] = int(self.lines["quantity"].to_numpy()[firm].sum())
        if self.churn is not None:
            extra["churn"] = self.churn.summary()
        return extra

    def to_dict(self) -> dict[str, Any]:
        """The plan as one JSON-ready document: ``lines``, ``unfilled``, ``summary``."""
        lines = self.lines.copy()
        lines["eta"] = lines["eta"].dt.strftime("%Y-%m-%dT%H:%M:%S")
        if "need_by" in lines:
            due = lines["need_by"].dt.strftime("%Y-%m-%dT%H:%M:%S")
            lines["need_by"] = due.astype(object).where(due.notna(), None)
        return {
            "strategy": self.strategy,
            "as_of": self.as_of.isoformat(),
            "lines": records(lines),
            "unfilled": records(self.unfilled),
            "summary": self.summary(),
        } | self._backup_records()

    def _backup_records(self) -> dict[str, Any]:
        """``backups`` as rows, when the policy holds them."""
        if self.backups is None:
            return {}
        backups = self.backups.copy()
        backups["eta"] = backups["eta"].dt.strftime("%Y-%m-%dT%H:%M:%S")
        return {"backups": records(backups)}


def _join_tranches(frame: pd.DataFrame) -> pd.DataFrame:
    """One line where an order takes units above and below a protection level of one stock.

    Both tranches are the same shelf (same origin, kind and ETA); a planner sees one line.
    """
    keys = [c for c in frame.columns if c not in ("quantity", "cost")]
    joined = frame.groupby(keys, sort=False, dropna=False, as_index=False)[
        ["quantity", "cost"]
    ].sum()
    joined["cost"] = joined["cost"].round(2)
    return joined


def _class_of_arcs(m: Measures, klass: PriorityClass) -> npt.NDArray[np.bool_]:
    """Which used arcs serve orders of ``klass`` (group 0 is parts priority, every other
    group standard)."""
    first: npt.NDArray[np.bool_] = m.group == 0
    return first if klass is PriorityClass.PARTS_PRIORITY else ~first


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts of Python values (faster than ``to_dict`` on big tables)."""
    columns = [str(c) for c in frame.columns]
    values = [frame[c].tolist() for c in frame.columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


_FEW = 8
"""Up to this many values, comparing with each is cheaper than :func:`numpy.isin`'s sort."""


def rows_of(ids: npt.NDArray[np.object_], wanted: Collection[str]) -> IntArray:
    """Rows whose id is one of ``wanted``, in row order (a write asks for a few of many)."""
    if len(wanted) > _FEW:
        return np.flatnonzero(np.isin(ids, list(wanted)))
    return np.flatnonzero(_any_equal(ids, wanted))


def _any_equal(values: npt.NDArray[Any], wanted: Iterable[Any]) -> npt.NDArray[np.bool_]:
    mask = np.zeros(len(values), dtype=bool)
    for value in wanted:
        mask |= values == value
    return mask
