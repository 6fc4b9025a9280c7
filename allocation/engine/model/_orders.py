"""Open order lines as parallel arrays: what the solver, the explanations and the tables read.

Text columns are looked up once per distinct value (codes, not strings), which is what keeps a
million rows fast; every later step works on the integer columns made here. An arrival grows
the columns by one row (:meth:`OrderColumns.concat`): arrays, never a one-row table.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.model import PriorityClass, Tier
from allocation.engine.model._context import Context
from allocation.engine.model._overrides import own_nodes
from allocation.engine.model._sorting import positions
from allocation.engine.objective import node_keys

__all__ = ["CLASSES", "TIERS", "OrderColumns", "orders_from"]

CLASSES: tuple[PriorityClass, ...] = tuple(PriorityClass)
"""Priority classes by code (``class_code``)."""
TIERS: tuple[Tier, ...] = tuple(Tier)
"""Tiers by code (``tier_code``)."""

IntArray = npt.NDArray[np.int64]
TextArray = npt.NDArray[np.object_]

_INT_FIELDS = (
    "quantity",
    "class_code",
    "tier_code",
    "group",
    "part_code",
    "part_group",
    "home_code",
    "country_col",
    "node",
)
_CLASS_NAMES = np.array([c.value for c in CLASSES], dtype=object)
_TIER_NAMES = np.array([t.value for t in TIERS], dtype=object)


@dataclass(frozen=True)
class OrderColumns:
    """Open order lines, one entry per line in every array.

    ``class_code`` and ``tier_code`` index :data:`CLASSES` and :data:`TIERS`; ``group`` is
    the priority group (0 ranks first, see
    :meth:`~allocation.domain.policy.AllocationPolicy.rank_group`); ``part_code`` and
    ``part_group`` index the context's parts and their substitution groups; ``home_code``
    the context's depots (-1: no depot reaches the country); ``country_col`` the routes'
    countries (one past the last: no lane reaches it); ``node`` is equal for orders that
    share part, country column, group and class — the optimizer's node, the tie-break's key
    (an order with a forbidden source has one of its own, negative: see
    :func:`~allocation.engine.model._overrides.own_nodes`).
    ``need_by`` is when the order's parts are due (NaT: no target), its own or the one the
    policy's response times give it (:mod:`allocation.domain.response`).
    """

    order_id: TextArray
    customer_id: TextArray
    part_number: TextArray
    quantity: IntArray
    created_at: npt.NDArray[np.datetime64]
    country: TextArray
    class_code: IntArray
    tier_code: IntArray
    group: IntArray
    part_code: IntArray
    part_group: IntArray
    home_code: IntArray
    country_col: IntArray
    node: IntArray
    need_by: npt.NDArray[np.datetime64]

    def __len__(self) -> int:
        return len(self.order_id)

    def take(self, rows: npt.NDArray[Any]) -> OrderColumns:
        """The rows selected by an index array or a mask, in that order."""
        return OrderColumns(*(getattr(self, f.name)[rows] for f in fields(self)))

    def with_quantity(self, quantity: IntArray) -> OrderColumns:
        """The same orders wanting other quantities."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["quantity"] = np.asarray(quantity, dtype=np.int64)
        return OrderColumns(**values)

    @staticmethod
    def concat(parts: list[OrderColumns]) -> OrderColumns:
        """Orders of several tables, one after another."""
        if len(parts) == 1:
            return parts[0]
        return OrderColumns(
            *(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(OrderColumns))
        )

    @staticmethod
    def empty() -> OrderColumns:
        """No orders."""
        text = np.zeros(0, dtype=object)
        ints = np.zeros(0, dtype=np.int64)
        moments = np.zeros(0, dtype="datetime64[ns]")
        return OrderColumns(
            **{f.name: text for f in fields(OrderColumns)}
            | dict.fromkeys(_INT_FIELDS, ints)
            | {"created_at": moments, "need_by": moments}
        )

    def priority_class(self) -> TextArray:
        """Each order's class name (``parts_priority`` or ``standard``)."""
        names: TextArray = _CLASS_NAMES[self.class_code]
        return names

    def tier(self) -> TextArray:
        """Each order's tier name."""
        names: TextArray = _TIER_NAMES[self.tier_code]
        return names

    def home_depot(self, context: Context) -> TextArray:
        """Each order's home depot id, None where no depot reaches its country."""
        ids = np.array([*context.depot_ids, None], dtype=object)
        homes: TextArray = ids[np.where(self.home_code >= 0, self.home_code, len(ids) - 1)]
        return homes

    def created_minutes(self) -> IntArray:
        """Creation times in whole minutes since the epoch (the age level's unit)."""
        minutes: IntArray = self.created_at.astype("datetime64[m]").astype(np.int64)
        return minutes

    def has_targets(self) -> bool:
        """Whether any order has a ``need_by``: without one the lateness levels are zero."""
        return bool(len(self.need_by)) and not bool(np.isnat(self.need_by).all())

    def due_hours(self, as_of: pd.Timestamp) -> npt.NDArray[np.float64]:
        """Each order's ``need_by`` in hours after ``as_of`` (negative: overdue; NaN: none)."""
        delta = (self.need_by - np.datetime64(as_of, "ns")).astype(np.float64)
        hours: npt.NDArray[np.float64] = np.where(np.isnat(self.need_by), np.nan, delta / 3.6e12)
        return hours

    def to_pandas(self, context: Context) -> pd.DataFrame:
        """The orders as a table, with class, tier and home depot by name."""
        return pd.DataFrame(
            {
                "order_id": pd.Series(self.order_id, dtype=object),
                "customer_id": pd.Series(self.customer_id, dtype=object),
                "part_number": pd.Series(self.part_number, dtype=object),
                "quantity": self.quantity,
                "created_at": self.created_at,
                "country": pd.Series(self.country, dtype=object),
                "priority_class": pd.Series(self.priority_class(), dtype=object),
                "tier": pd.Series(self.tier(), dtype=object),
                "class_code": self.class_code,
                "group": self.group,
                "part_code": self.part_code,
                "part_group": self.part_group,
                "home_depot": pd.Series(self.home_depot(context), dtype=object),
                "home_code": self.home_code,
                "country_col": self.country_col,
                "agg_key": self.node,
            }
        )


def orders_from(
    orders: pd.DataFrame,
    customers: pd.DataFrame,
    class_code: IntArray,
    tier_code: IntArray,
    context: Context,
) -> OrderColumns:
    """Order columns of an orders table (see :mod:`allocation.domain.tables`) whose classes
    and tiers have been decided (codes by row).

    The site country is the order's ship-to country, else its customer's.
    """
    cust = positions(orders["customer_id"], customers["customer_id"])
    ship = orders["ship_to_country"].to_numpy(dtype=object)
    cust_country = customers["country"].to_numpy(dtype=object)[cust]
    country = np.where(pd.isna(ship), cust_country, ship)
    country_code, countries = pd.factorize(country)
    class_code = np.asarray(class_code, dtype=np.int64)
    tier_code = np.asarray(tier_code, dtype=np.int64)
    policy = context.policy
    groups = np.array([[policy.rank_group(c, t) for t in TIERS] for c in CLASSES], dtype=np.int64)
    part_code = positions(orders["part_number"], context.part_numbers)
    home_code = np.array([context.home_code(c) for c in countries], dtype=np.int64)
    country_col = np.array([context.country_col(c) for c in countries], dtype=np.int64)
    group = groups[class_code, tier_code]
    col = country_col[country_code] if len(countries) else np.zeros(0, dtype=np.int64)
    return OrderColumns(
        order_id=orders["order_id"].to_numpy(dtype=object),
        customer_id=orders["customer_id"].to_numpy(dtype=object),
        part_number=orders["part_number"].to_numpy(dtype=object),
        quantity=orders["quantity"].to_numpy(dtype=np.int64),
        created_at=orders["created_at"].to_numpy(dtype="datetime64[ns]"),
        country=np.asarray(country, dtype=object),
        class_code=class_code,
        tier_code=tier_code,
        group=group,
        part_code=part_code,
        part_group=context.part_group[part_code],
        home_code=home_code[country_code] if len(countries) else np.zeros(0, dtype=np.int64),
        country_col=col,
        node=own_nodes(
            orders["order_id"].to_numpy(dtype=object),
            node_keys(part_code, col, group, class_code),
            context,
        ),
        need_by=_need_by(orders, tier_code, country, context),
    )


def _need_by(
    orders: pd.DataFrame, tier_code: IntArray, country: TextArray, context: Context
) -> npt.NDArray[np.datetime64]:
    """Each order's own ``need_by``, else its creation time plus the policy's response time
    (the shortest of its tier's, product type's and country's; NaT when none applies).

    The policy is asked once per distinct (tier, product type, country), not per row.
    """
    n = len(orders)
    own = (
        orders["need_by"].to_numpy(dtype="datetime64[ns]")
        if "need_by" in orders
        else np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    )
    times = context.policy.response_hours
    if not times or n == 0:
        return own
    blank = np.isnat(own)
    if not blank.any():
        return own
    kinds = (
        orders["product_type"].to_numpy(dtype=object)
        if "product_type" in orders
        else np.full(n, "", dtype=object)
    )
    key = pd.MultiIndex.from_arrays([tier_code, kinds, country])
    codes, combos = pd.factorize(key)
    hours = np.array(
        [
            np.nan if (h := times.hours(TIERS[int(t)], str(k), str(c))) is None else h
            for t, k, c in combos
        ],
        dtype=np.float64,
    )[codes]
    created = orders["created_at"].to_numpy(dtype="datetime64[ns]")
    derived = created + np.rint(np.nan_to_num(hours) * 3.6e12).astype("timedelta64[ns]")
    derived[np.isnan(hours)] = np.datetime64("NaT")
    need_by: npt.NDArray[np.datetime64] = np.where(blank, derived, own)
    return need_by
