"""Sources of units as parallel arrays: shelves, receipts and supply options with units to give.

A source is what gives units whoever takes them (its :class:`~allocation.domain.model.
SourceBase`); the kind an order sees (stock at home, transfer from elsewhere, ...) belongs to
the arc. Sources are sorted by part code and then by every column that tells them apart, so
the row order of the input tables never decides anything; a :class:`SourceIndex` made with
them answers "which sources hold this part (at this depot)" by binary search.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.model import SourceBase
from allocation.engine.model._context import Context
from allocation.engine.objective import identity_hash, source_identity

__all__ = ["SourceColumns", "SourceIndex", "sources_from"]

IntArray = npt.NDArray[np.int64]
TextArray = npt.NDArray[np.object_]
_BASE_LABELS = np.array([b.label for b in SourceBase], dtype=object)


@dataclass(frozen=True)
class SourceIndex:
    """Sources sorted by (part, depot slot) with range lookups; options share one slot."""

    order: IntArray
    keys: IntArray
    slots: int
    options_slot: int

    @classmethod
    def of(cls, part_code: IntArray, depot_code: IntArray, depots: int) -> SourceIndex:
        """The index of sources with these parts and depots (-2: an option)."""
        slots = depots + 1
        slot = np.where(depot_code < 0, slots - 1, depot_code)
        keys = part_code * slots + slot
        order = np.argsort(keys, kind="stable")
        return cls(order=order, keys=keys[order], slots=slots, options_slot=slots - 1)

    def expand(
        self,
        rows: IntArray,
        parts: IntArray,
        slot: IntArray | int | None,
    ) -> tuple[IntArray, IntArray]:
        """(order row, source) for every source of each part (in a slot, if given)."""
        if slot is None:
            low_key = parts * self.slots
            high_key = low_key + self.slots
        else:
            low_key = parts * self.slots + slot
            high_key = low_key + 1
        first = np.searchsorted(self.keys, low_key, side="left")
        last = np.searchsorted(self.keys, high_key, side="left")
        per = last - first
        total = int(per.sum())
        offsets = np.arange(total) - np.repeat(np.cumsum(per) - per, per)
        where = np.repeat(first, per) + offsets
        return np.repeat(rows, per), self.order[where]


@dataclass(frozen=True)
class SourceColumns:
    """Sources with units, one entry per source in every array.

    ``base`` holds :class:`~allocation.domain.model.SourceBase` codes; ``origin`` is the depot
    of a shelf or receipt, the supplier of an option; ``depot_id`` None and ``depot_code`` -2
    for options; ``release_hours`` when the source can release a unit, counted from the
    context's moment; ``release_at`` a receipt's landing (NaT otherwise); ``unit_price`` the
    option's price (0 for what is owned); ``book_cost`` the part's book cost; ``tie_hash``
    the hash of the source's identity (the tie-break's key); ``origin_row`` the routes' row
    of the origin; ``protected`` the units under a protection level. ``index`` finds a
    part's sources.
    """

    part_number: TextArray
    base: IntArray
    origin: TextArray
    depot_id: TextArray
    quantity: IntArray
    release_hours: npt.NDArray[np.float64]
    unit_price: npt.NDArray[np.float64]
    success_probability: npt.NDArray[np.float64]
    release_at: npt.NDArray[np.datetime64]
    part_code: IntArray
    book_cost: npt.NDArray[np.float64]
    tie_hash: IntArray
    part_group: IntArray
    depot_code: IntArray
    origin_row: IntArray
    protected: npt.NDArray[np.bool_]
    index: SourceIndex

    def __len__(self) -> int:
        return len(self.part_number)

    def base_label(self) -> TextArray:
        """``stock``, ``inbound``, ``expedite`` or ``broker`` per source."""
        labels: TextArray = _BASE_LABELS[self.base]
        return labels

    def identity(self) -> TextArray:
        """What identifies each source across rebuilds (see
        :func:`allocation.engine.objective.source_identity`)."""
        return source_identity(
            self.part_number, self.origin, self.base_label(), self.release_hours, self.protected
        )

    def with_quantity(self, quantity: IntArray) -> SourceColumns:
        """The same sources with other units."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["quantity"] = np.asarray(quantity, dtype=np.int64)
        return SourceColumns(**values)

    def take(self, rows: npt.NDArray[Any], depots: int) -> SourceColumns:
        """The sources selected by an index array or a mask, in that order (their index
        made again over ``depots`` depots)."""
        values = {f.name: getattr(self, f.name)[rows] for f in fields(self) if f.name != "index"}
        return SourceColumns(
            **values,
            index=SourceIndex.of(values["part_code"], values["depot_code"], depots),
        )

    @staticmethod
    def concat(parts: list[SourceColumns], depots: int) -> SourceColumns:
        """Sources of several tables, one after another (parts of disjoint groups)."""
        names = [f.name for f in fields(SourceColumns) if f.name != "index"]
        values = {n: np.concatenate([getattr(p, n) for p in parts]) for n in names}
        return SourceColumns(
            **values, index=SourceIndex.of(values["part_code"], values["depot_code"], depots)
        )

    def to_pandas(self) -> pd.DataFrame:
        """The sources as a table."""
        return pd.DataFrame(
            {
                "part_number": pd.Series(self.part_number, dtype=object),
                "base": self.base,
                "kind_name": pd.Series(self.base_label(), dtype=object),
                "origin": pd.Series(self.origin, dtype=object),
                "depot_id": pd.Series(self.depot_id, dtype=object),
                "quantity": self.quantity,
                "release_hours": self.release_hours,
                "release_at": self.release_at,
                "unit_price": self.unit_price,
                "success_probability": self.success_probability,
                "protected": self.protected,
            }
        )


def sources_from(
    stock: pd.DataFrame, inbound: pd.DataFrame, supply_options: pd.DataFrame, context: Context
) -> SourceColumns:
    """Stock levels, receipts and supply options with units, sorted by part code.

    With protection levels in the policy, the stock of a (depot, part) with a level is two
    sources: the units above the level, and the ``protected`` units up to it, which only
    ``parts_priority`` orders may take (see :mod:`allocation.domain.protection`).
    """
    s_part, s_depot, s_qty, s_protected = _stock_tranches(stock, context)
    i_qty = inbound["quantity"].to_numpy(dtype=np.int64)
    i_keep = i_qty > 0
    capacity = supply_options["capacity"].to_numpy(dtype=np.int64)
    o_keep = capacity > 0
    i_depot = inbound["depot_id"].to_numpy(dtype=object)[i_keep]
    o_origin = supply_options["supplier_id"].to_numpy(dtype=object)[o_keep]
    n_s, n_i, n_o = len(s_depot), len(i_depot), len(o_origin)
    part = np.concatenate(
        [
            s_part,
            inbound["part_number"].to_numpy(dtype=object)[i_keep],
            supply_options["part_number"].to_numpy(dtype=object)[o_keep],
        ]
    )
    eta = inbound["eta"].to_numpy(dtype="datetime64[ns]")[i_keep]
    as_of = np.datetime64(pd.Timestamp(context.as_of).value, "ns")
    success = supply_options["success_probability"].to_numpy(dtype=np.float64, na_value=1.0)
    option_base = np.where(
        supply_options["source"].to_numpy(dtype=object)[o_keep] == "expedite",
        SourceBase.EXPEDITE,
        SourceBase.BROKER,
    )
    base = np.concatenate(
        [
            np.full(n_s, SourceBase.SHELF, dtype=np.int64),
            np.full(n_i, SourceBase.RECEIPT, dtype=np.int64),
            option_base.astype(np.int64),
        ]
    )
    origin = np.concatenate([s_depot, i_depot, o_origin])
    depot_id = np.concatenate([s_depot, i_depot, np.full(n_o, None, dtype=object)])
    quantity = np.concatenate([s_qty, i_qty[i_keep], capacity[o_keep]])
    release = np.concatenate(
        [
            np.zeros(n_s),
            np.maximum((eta - as_of) / np.timedelta64(1, "s") / 3600.0, 0.0),
            supply_options["lead_time_hours"].to_numpy(dtype=np.float64)[o_keep],
        ]
    )
    price = np.concatenate(
        [np.zeros(n_s + n_i), supply_options["unit_cost"].to_numpy(dtype=np.float64)[o_keep]]
    )
    release_at = np.concatenate(
        [
            np.full(n_s, np.datetime64("NaT"), "datetime64[ns]"),
            eta,
            np.full(n_o, np.datetime64("NaT"), "datetime64[ns]"),
        ]
    )
    part_code = _codes(part, context.part_code)
    protected = np.concatenate([s_protected, np.zeros(n_i + n_o, dtype=bool)])
    tie_hash = identity_hash(source_identity(part, origin, _BASE_LABELS[base], release, protected))
    success = np.concatenate([np.ones(n_s + n_i), success[o_keep]])
    order = (
        # Every column that tells sources apart, so the row order of the input tables
        # never decides the order of the sources (the solver's pick among equals follows it).
        np.lexsort(
            (quantity, price, success, protected, release, origin.astype(str), base, part_code)
        )
        if len(part)
        else np.zeros(0, dtype=np.int64)
    )
    depot_code = _depot_codes(depot_id[order], context)
    part_code = part_code[order]
    return SourceColumns(
        part_number=part[order],
        base=base[order],
        origin=origin[order],
        depot_id=depot_id[order],
        quantity=quantity[order],
        release_hours=release[order],
        unit_price=price[order],
        success_probability=success[order],
        release_at=release_at[order],
        part_code=part_code,
        book_cost=_book_costs(part[order], context),
        tie_hash=tie_hash[order],
        part_group=context.part_group[part_code],
        depot_code=depot_code,
        origin_row=_origin_rows(origin[order], context),
        protected=protected[order],
        index=SourceIndex.of(part_code, depot_code, len(context.depot_ids)),
    )


def _stock_tranches(
    stock: pd.DataFrame, context: Context
) -> tuple[TextArray, TextArray, IntArray, npt.NDArray[np.bool_]]:
    """Part, depot, units and ``protected`` flag of every stock source with units.

    Without protection levels: one source per stock row. With them: the units above the
    level first, then the protected units (``min(level, on_hand)``) as a second source.
    """
    on_hand = stock["on_hand"].to_numpy(dtype=np.int64)
    part = stock["part_number"].to_numpy(dtype=object)
    depot = stock["depot_id"].to_numpy(dtype=object)
    levels = context.policy.protection
    if not levels:
        keep = on_hand > 0
        return part[keep], depot[keep], on_hand[keep], np.zeros(int(keep.sum()), dtype=bool)
    level = np.fromiter(
        (levels.level(d, p) for d, p in zip(depot.tolist(), part.tolist(), strict=True)),
        dtype=np.int64,
        count=len(on_hand),
    )
    held = np.minimum(level, on_hand)
    free = on_hand - held
    both_part = np.concatenate([part[free > 0], part[held > 0]])
    both_depot = np.concatenate([depot[free > 0], depot[held > 0]])
    both_qty = np.concatenate([free[free > 0], held[held > 0]])
    flag = np.concatenate(
        [np.zeros(int((free > 0).sum()), bool), np.ones(int((held > 0).sum()), bool)]
    )
    return both_part, both_depot, both_qty, flag


def _codes(values: TextArray, codes: dict[str, int]) -> IntArray:
    """Integer codes of text values, looked up once per distinct value."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    distinct, inverse = np.unique(values.astype(str), return_inverse=True)
    return np.array([codes[v] for v in distinct.tolist()], dtype=np.int64)[inverse]


def _depot_codes(depot_id: TextArray, context: Context) -> IntArray:
    return np.array(
        [context.depot_code.get(d, -2) if d is not None else -2 for d in depot_id.tolist()],
        dtype=np.int64,
    )


def _origin_rows(origin: TextArray, context: Context) -> IntArray:
    rows = context.origin_rows
    return np.array([rows[o] for o in origin.tolist()], dtype=np.int64)


def _book_costs(part: TextArray, context: Context) -> npt.NDArray[np.float64]:
    costs = context.unit_cost
    return np.array([costs[p] for p in part.tolist()], dtype=np.float64)
