"""The plan: who gets which units from where, what stays unfilled, and why.

A :class:`Plan` wraps the problem and the units on each arc. Its tables are built from
arrays; :meth:`Plan.explain` answers one order at a time in words.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.model import PriorityClass, SourceKind
from allocation.domain.policy import AllocationPolicy
from allocation.engine.held_back import held_back, held_back_words
from allocation.engine.html import html_block, html_table
from allocation.engine.problem import KINDS, AllocationProblem

__all__ = ["LINE_COLUMNS", "UNFILLED_COLUMNS", "Plan", "records"]

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
UNFILLED_COLUMNS = ["order_id", "part_number", "quantity", "priority_class", "reason"]


@dataclass(frozen=True)
class Plan:
    """An allocation plan.

    Attributes
    ----------
    problem : AllocationProblem
        Orders, sources and arcs it was made from.
    flow : ndarray of int64
        Units on each arc of ``problem.arcs``.
    strategy : str
        ``optimal``, ``fifo`` or ``tier_greedy``.
    reasons : dict
        Why orders were left out before solving (e.g. partial fills off), by order row.

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

    problem: AllocationProblem
    flow: npt.NDArray[np.int64]
    strategy: str
    reasons: dict[int, str] = field(default_factory=dict)

    # -- tables ------------------------------------------------------------------------
    @cached_property
    def lines(self) -> pd.DataFrame:
        """Allocation lines: one per order and source that gives it units."""
        arcs, orders, sources = self.problem.arcs, self.problem.orders, self.problem.sources
        used = np.flatnonzero(self.flow > 0)
        qty = self.flow[used]
        o = arcs.order[used]
        s = arcs.source[used]
        eta_hours = arcs.eta_hours[used]
        frame = pd.DataFrame(
            {
                "order_id": orders["order_id"].to_numpy(dtype=object)[o],
                "part_number": sources["part_number"].to_numpy(dtype=object)[s],
                "requested_part_number": orders["part_number"].to_numpy(dtype=object)[o],
                "quantity": qty,
                "source": np.array([k.value for k in KINDS], dtype=object)[arcs.kind[used]],
                "origin": sources["origin"].to_numpy(dtype=object)[s],
                "eta": self.problem.as_of + pd.to_timedelta(eta_hours, unit="h"),
                "eta_hours": np.round(eta_hours, 3),
                "cost": np.round(arcs.money[used] * qty, 2),
                "priority_class": orders["priority_class"].to_numpy(dtype=object)[o],
            }
        )
        if "protected" in sources and sources["protected"].to_numpy(dtype=bool)[s].any():
            frame = _join_tranches(frame)
        sort = np.lexsort(
            (frame["origin"].to_numpy(dtype=str), frame["order_id"].to_numpy(dtype=str))
        )
        return frame.iloc[sort].reset_index(drop=True)[LINE_COLUMNS]

    @cached_property
    def filled(self) -> npt.NDArray[np.int64]:
        """Units allocated per order row."""
        return np.bincount(
            self.problem.arcs.order,
            weights=self.flow,
            minlength=self.problem.order_count,
        ).astype(np.int64)

    @cached_property
    def unfilled(self) -> pd.DataFrame:
        """The unfilled remainder of every order, with the reason."""
        orders = self.problem.orders
        missing = orders["quantity"].to_numpy(dtype=np.int64) - self.filled
        rows = np.flatnonzero(missing > 0)
        reasons = self._short_reasons(rows)
        frame = pd.DataFrame(
            {
                "order_id": orders["order_id"].to_numpy(dtype=object)[rows],
                "part_number": orders["part_number"].to_numpy(dtype=object)[rows],
                "quantity": missing[rows],
                "priority_class": orders["priority_class"].to_numpy(dtype=object)[rows],
                "reason": reasons,
            }
        )
        return frame[UNFILLED_COLUMNS]

    def short_reasons(self, order_ids: Sequence[str]) -> dict[str, str]:
        """Why each of these orders is not filled (only the unfilled ones are answered).

        The reasons of :attr:`unfilled`, for a few orders, without working out every one.
        """
        ids = self.problem.orders_column("order_id", object)
        missing = self.problem.orders_column("quantity", np.int64) - self.filled
        rows = rows_of(ids, order_ids)
        wanted = rows[missing[rows] > 0]
        return dict(zip(ids[wanted].tolist(), self._short_reasons(wanted), strict=True))

    def to_pandas(self) -> pd.DataFrame:
        """Allocation lines as a DataFrame (see :attr:`lines`; unfilled in :attr:`unfilled`)."""
        return self.lines.copy()

    def to_dict(self) -> dict[str, Any]:
        """The plan as one JSON-ready document: ``lines``, ``unfilled``, ``summary``."""
        lines = self.lines.copy()
        lines["eta"] = lines["eta"].dt.strftime("%Y-%m-%dT%H:%M:%S")
        return {
            "strategy": self.strategy,
            "as_of": self.problem.as_of.isoformat(),
            "lines": records(lines),
            "unfilled": records(self.unfilled),
            "summary": self.summary(),
        }

    # -- measures ----------------------------------------------------------------------
    def objective(self) -> dict[str, float]:
        """The lexicographic objective's levels, most important first.

        For each priority group: units allocated and the sum of their ETAs in hours (the
        downtime the plan commits to); then the money spent.
        """
        arcs, orders = self.problem.arcs, self.problem.orders
        group = orders["group"].to_numpy(dtype=np.int64)[arcs.order]
        result: dict[str, float] = {}
        policy = self.problem.policy
        for g in range(policy.group_count):
            mask = group == g
            name = AllocationPolicy.group_name(g, policy)
            result[f"{name}_units"] = float(self.flow[mask].sum())
            result[f"{name}_eta_hours"] = float(np.dot(self.flow[mask], arcs.eta_hours[mask]))
        result["cost"] = float(np.dot(self.flow, arcs.money))
        return result

    def summary(self) -> dict[str, Any]:
        """Fill by class and by source kind, cost, and the worst ETAs."""
        orders = self.problem.orders
        lines = self.lines
        by_class: dict[str, dict[str, float]] = {}
        for klass in PriorityClass:
            mask = orders["priority_class"].to_numpy(dtype=object) == klass.value
            asked = int(orders["quantity"].to_numpy()[mask].sum())
            got = int(self.filled[mask].sum())
            by_class[klass.value] = {
                "orders": int(mask.sum()),
                "units_requested": asked,
                "units_allocated": got,
                "fill_rate": round(got / asked, 4) if asked else 1.0,
            }
        by_source = {
            kind.value: int(lines.loc[lines["source"] == kind.value, "quantity"].sum())
            for kind in SourceKind
        }
        cost_by_source = {
            kind.value: round(float(lines.loc[lines["source"] == kind.value, "cost"].sum()), 2)
            for kind in SourceKind
        }
        worst = lines.sort_values("eta_hours", ascending=False).head(5)
        return {
            "strategy": self.strategy,
            "orders": len(orders),
            "by_class": by_class,
            "units_by_source": by_source,
            "cost_by_source": cost_by_source,
            "total_cost": round(float(lines["cost"].sum()), 2),
            "worst_eta": worst[["order_id", "source", "origin", "eta_hours"]].to_dict(
                orient="records"
            ),
            "objective": self.objective(),
        }

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
                    "mean ETA h": self._mean_eta(name),
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

    def _mean_eta(self, klass: str) -> float:
        """Mean ETA hours of the units allocated to a class (NaN with none)."""
        arcs, orders = self.problem.arcs, self.problem.orders
        mine = orders["priority_class"].to_numpy(dtype=object)[arcs.order] == klass
        units = self.flow[mine].sum()
        return (
            round(float(np.dot(self.flow[mine], arcs.eta_hours[mine]) / units), 1)
            if units
            else float("nan")
        )

    # -- words -------------------------------------------------------------------------
    def _short_reasons(self, rows: npt.NDArray[np.int64]) -> list[str]:
        if len(rows) == 0:
            return []
        n_allowed = np.bincount(self.problem.arcs.order, minlength=self.problem.order_count)
        groups = self.problem.orders_column("group", np.int64)
        holders_group = _best_holder_group(self, rows)
        no_route = pd.isna(self.problem.orders_column("home_depot", object))
        blocked = rows[(n_allowed[rows] == 0) & ~no_route[rows]]
        policy_words = _no_allowed_sources(self.problem, blocked)
        country = self.problem.orders_column("country", object)
        protected = held_back(self, rows)
        reasons = []
        for row in rows.tolist():
            if row in self.reasons:
                reasons.append(self.reasons[row])
            elif no_route[row]:
                reasons.append(f"no route from any depot to {country[row]}")
            elif row in protected and (protected[row].free > 0 or n_allowed[row] == 0):
                reasons.append(held_back_words(protected[row]))
            elif n_allowed[row] == 0:
                reasons.append(policy_words[row])
            else:
                top = holders_group.get(row)
                if row in protected:
                    top = 0  # protected units go to parts_priority orders only
                if top is not None and top < groups[row]:
                    name = AllocationPolicy.group_name(int(top), self.problem.policy)
                    reasons.append(
                        f"the units it could use went to {name} orders, which rank first"
                    )
                else:
                    reasons.append(
                        "the units it could use went to orders of the same class that are "
                        "older or get them sooner"
                    )
        return reasons

    def explain(self, order_id: str) -> str:
        """Why this order got what it got, or nothing, in words.

        Names the source of each unit and why it was chosen; for what is unfilled, the
        orders holding the units it could have used and the rule that ranked them first,
        and the best source it could still get if policy allowed it.
        """
        from allocation.engine.explain import explain_order

        return explain_order(self, order_id)


def _join_tranches(frame: pd.DataFrame) -> pd.DataFrame:
    """One line where an order takes units above and below a protection level of one stock.

    Both tranches are the same shelf (same origin, kind and ETA); a planner sees one line.
    """
    keys = [c for c in LINE_COLUMNS if c not in ("quantity", "cost")]
    joined = frame.groupby(keys, sort=False, dropna=False, as_index=False)[
        ["quantity", "cost"]
    ].sum()
    joined["cost"] = joined["cost"].round(2)
    return joined


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts of Python values (faster than ``to_dict`` on big tables)."""
    columns = [str(c) for c in frame.columns]
    values = [frame[c].tolist() for c in frame.columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


_FEW = 8
"""Up to this many values, comparing with each is cheaper than :func:`numpy.isin`'s sort."""


def rows_of(ids: npt.NDArray[np.object_], wanted: Collection[str]) -> npt.NDArray[np.int64]:
    """Rows whose id is one of ``wanted``, in row order (a write asks for a few of many)."""
    if len(wanted) > _FEW:
        return np.flatnonzero(np.isin(ids, list(wanted)))
    return np.flatnonzero(_any_equal(ids, wanted))


def _any_equal(values: npt.NDArray[Any], wanted: Iterable[Any]) -> npt.NDArray[np.bool_]:
    mask = np.zeros(len(values), dtype=bool)
    for value in wanted:
        mask |= values == value
    return mask


def _best_holder_group(plan: Plan, rows: npt.NDArray[np.int64]) -> dict[int, int]:
    """For each order row: the best priority group among orders holding its sources' units."""
    arcs = plan.problem.arcs
    groups = plan.problem.orders_column("group", np.int64)
    used = plan.flow > 0
    if not used.any():
        return {}
    nobody = np.iinfo(np.int64).max
    by_source = np.full(len(plan.problem.sources), nobody, dtype=np.int64)
    np.minimum.at(by_source, arcs.source[used], groups[arcs.order[used]])
    wanted = np.isin(arcs.order, rows) if len(rows) > _FEW else _any_equal(arcs.order, rows)
    holder = by_source[arcs.source[wanted]]
    held = holder != nobody
    order = arcs.order[wanted][held]
    best = np.full(len(groups), nobody, dtype=np.int64)
    np.minimum.at(best, order, holder[held])
    return {int(r): int(best[r]) for r in np.unique(order).tolist()}


def _no_allowed_sources(problem: AllocationProblem, rows: npt.NDArray[np.int64]) -> dict[int, str]:
    """Why orders with no allowed arc got nothing: no source at all, or policy forbids them."""
    if len(rows) == 0:
        return {}
    parts = problem.orders_column("part_number", object)
    countries = problem.orders_column("country", object)
    classes = problem.orders_column("priority_class", object)
    homes = problem.orders_column("home_code", np.int64)
    keys = {
        row: (str(parts[row]), str(countries[row]), str(classes[row]), int(homes[row]))
        for row in rows.tolist()
    }
    words = {row: _SOURCE_WORDS.get(problem, key) for row, key in keys.items()}
    todo = np.array([row for row, said in words.items() if said is None], dtype=np.int64)
    if len(todo):
        for row, said in _source_words(problem, todo).items():
            words[row] = said
            _SOURCE_WORDS.put(problem, keys[row], said)
    return {row: str(said) for row, said in words.items()}


def _source_words(problem: AllocationProblem, rows: npt.NDArray[np.int64]) -> dict[int, str]:
    from allocation.engine.problem import build_arcs

    every = build_arcs(problem, rows, only_allowed=False)
    names = [k.value for k in KINDS]
    kinds_by_order: dict[int, set[str]] = {}
    for o, k in zip(every.order.tolist(), every.kind.tolist(), strict=True):
        kinds_by_order.setdefault(o, set()).add(names[k])
    parts = problem.orders_column("part_number", object)
    countries = problem.orders_column("country", object)
    classes = problem.orders_column("priority_class", object)
    words = {}
    for row in rows.tolist():
        kinds = kinds_by_order.get(row)
        if not kinds:
            words[row] = (
                f"no stock, receipt or supply option of {parts[row]} can reach {countries[row]}"
            )
        else:
            words[row] = (
                f"policy: {classes[row]} orders may not use {', '.join(sorted(kinds))}, "
                "the only sources of this part"
            )
    return words


class _WordsBySupply:
    """The words of :func:`_source_words`, remembered per sources table and order kind.

    They depend only on the order's part, country, class and home depot, on the sources
    table and on the context (routes, policy). A service plans one order after another
    against the same sources table, and explaining each waiting order's backorder would
    otherwise build every arc it could have had, every time. Entries hold the very table
    and context they were made from and match only those (by identity), so nothing is
    reused across a change of supply. The tables most recently used are kept while their
    rows add up to at most ``rows`` (one part group's table has a few dozen; a whole
    world's is let go soon).
    """

    def __init__(self, rows: int = 100_000) -> None:
        self.rows = rows
        self._held = 0
        self._by_table: OrderedDict[int, tuple[pd.DataFrame, object, dict[Key, str]]] = (
            OrderedDict()
        )

    def _entry(self, problem: AllocationProblem) -> dict[Key, str] | None:
        found = self._by_table.get(id(problem.sources))
        if found is None or found[0] is not problem.sources or found[1] is not problem.context:
            return None
        self._by_table.move_to_end(id(problem.sources))
        return found[2]

    def get(self, problem: AllocationProblem, key: Key) -> str | None:
        """The words for an order of this kind, if worked out for this very table."""
        entry = self._entry(problem)
        return None if entry is None else entry.get(key)

    def put(self, problem: AllocationProblem, key: Key, words: str) -> None:
        """Remember the words for an order of this kind and this table."""
        entry = self._entry(problem)
        if entry is None:
            entry = {}
            self._by_table[id(problem.sources)] = (problem.sources, problem.context, entry)
            self._held += len(problem.sources)
            while self._held > self.rows and len(self._by_table) > 1:
                self._held -= len(self._by_table.popitem(last=False)[1][0])
        entry[key] = words


Key = tuple[str, str, str, int]
"""(part, country, class, home depot code) of an order."""

_SOURCE_WORDS = _WordsBySupply()
