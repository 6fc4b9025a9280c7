"""Planner overrides from Python: firm a line, forbid a source, clear an order's overrides.

Overrides are data — a snapshot's ``overrides`` table (:mod:`allocation.domain.overrides`)
— so these functions return a new snapshot whose table has the change, checked as a file
of overrides is checked on load (:func:`allocation.adapters.overrides_file.read_overrides`):
an unknown order, an origin that is neither a depot nor a supplier, a quantity that is not
a positive whole number is a :class:`~allocation.errors.TableError` naming it, and the
snapshot given is never changed. As the service's store does, a firm or forbid replaces
one of the same order, kind, source kind and origin: a firm names its line's units anew.

Examples
--------
>>> from allocation import Engine, firm, forbid, load_snapshot
>>> snap = forbid(load_snapshot("scenarios/example"), "O-1001", "stock", "D-US")
>>> snap = firm(snap, "O-1002", "stock", "D-US", 1)
>>> len(snap.overrides), bool(Engine(snap).plan().lines["firm"].any())
(2, True)
"""

from __future__ import annotations

import pandas as pd

from allocation.adapters.overrides_file import read_overrides
from allocation.domain.snapshot import Snapshot

__all__ = ["clear_overrides", "firm", "forbid"]


def firm(snapshot: Snapshot, order_id: str, source: str, origin: str, quantity: int) -> Snapshot:
    """The snapshot with ``quantity`` units of ``order_id`` from ``source`` (kind) at
    ``origin`` firmed: released for delivery, never moved by a plan. A plan that cannot
    hold the firm raises :class:`~allocation.engine.model.FirmError` when it is made."""
    return _with_row(snapshot, "firm", order_id, source, origin, quantity)


def forbid(snapshot: Snapshot, order_id: str, source: str, origin: str | None = None) -> Snapshot:
    """The snapshot with ``source`` (kind) forbidden to ``order_id``, from ``origin`` or,
    without one, from anywhere."""
    return _with_row(snapshot, "forbid", order_id, source, origin, None)


def clear_overrides(snapshot: Snapshot, order_id: str, kind: str | None = None) -> Snapshot:
    """The snapshot without the overrides of ``order_id`` (only those of ``kind``, ``firm``
    or ``forbid``, when given)."""
    table = snapshot.overrides
    drop = table["order_id"].astype(str) == order_id
    if kind is not None:
        drop &= table["kind"].astype(str) == kind
    return snapshot.with_overrides(table[~drop].reset_index(drop=True))


def _with_row(
    snapshot: Snapshot,
    kind: str,
    order_id: str,
    source: str,
    origin: str | None,
    quantity: int | None,
) -> Snapshot:
    table = snapshot.overrides
    same = (
        (table["kind"].astype(str) == kind)
        & (table["order_id"].astype(str) == order_id)
        & (table["source_kind"].astype(str) == source)
    )
    if origin is None:
        same &= table["origin"].isna()
    else:
        same &= table["origin"].astype(str) == origin
    row = {
        "kind": kind,
        "order_id": order_id,
        "source_kind": source,
        "origin": origin,
        "quantity": quantity,
    }
    rows = pd.concat(
        [table[~same].astype(object), pd.DataFrame([row], dtype=object)], ignore_index=True
    )
    return read_overrides(rows, snapshot, label="overrides")
