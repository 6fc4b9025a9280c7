"""The planner's overrides as the store keeps them: one row per firmed line or forbidden
source of an open order (:mod:`allocation.domain.overrides`).

The planner reads them as a snapshot's ``overrides`` table (:func:`overrides_table`), so a
part group rebuilt from its rows is planned exactly as :func:`allocation.allocate` plans a
snapshot with that table. Rows of an order go with it when it closes (:func:`drop`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema
from allocation.domain.tables import OVERRIDES

__all__ = ["StoredOverride", "add", "drop", "of_order", "overrides_table"]


@dataclass(frozen=True)
class StoredOverride:
    """One override row: ``kind`` is ``firm`` or ``forbid``; ``origin`` None forbids every
    origin of the kind; ``quantity`` only for ``firm``."""

    override_id: int
    order_id: str
    kind: str
    source_kind: str
    origin: str | None
    quantity: int | None
    created_at: datetime


_O = schema.overrides
_COLUMNS = (
    _O.c.override_id,
    _O.c.order_id,
    _O.c.kind,
    _O.c.source_kind,
    _O.c.origin,
    _O.c.quantity,
    _O.c.created_at,
)


def _stored(row: tuple[object, ...]) -> StoredOverride:
    override_id, order_id, kind, source_kind, origin, quantity, created_at = row
    assert isinstance(created_at, datetime)
    return StoredOverride(
        int(str(override_id)),
        str(order_id),
        str(kind),
        str(source_kind),
        None if origin is None else str(origin),
        None if quantity is None else int(str(quantity)),
        created_at,
    )


def of_order(connection: Connection, order_id: str) -> list[StoredOverride]:
    """An order's overrides, oldest first."""
    rows = connection.execute(
        select(*_COLUMNS).where(_O.c.order_id == order_id).order_by(_O.c.override_id)
    )
    return [_stored(tuple(r)) for r in rows]


def add(
    connection: Connection,
    order_id: str,
    kind: str,
    source_kind: str,
    origin: str | None,
    quantity: int | None,
    client: str | None,
    now: datetime,
) -> None:
    """Store an override, in place of any of the same kind, source kind and origin (a firm
    names its line's units anew; a forbid twice is one forbid)."""
    same = (_O.c.order_id == order_id) & (_O.c.kind == kind) & (_O.c.source_kind == source_kind)
    same &= _O.c.origin.is_(None) if origin is None else _O.c.origin == origin
    connection.execute(delete(_O).where(same))
    connection.execute(
        insert(_O).values(
            order_id=order_id,
            kind=kind,
            source_kind=source_kind,
            origin=origin,
            quantity=quantity,
            client_id=client,
            created_at=now,
        )
    )


def drop(
    connection: Connection,
    order_id: str,
    kind: str | None = None,
    source_kind: str | None = None,
    origin: str | None = None,
) -> int:
    """Delete an order's overrides (only those of ``kind``, ``source_kind`` and ``origin``
    when given); how many went."""
    match = _O.c.order_id == order_id
    if kind is not None:
        match &= _O.c.kind == kind
    if source_kind is not None:
        match &= _O.c.source_kind == source_kind
    if origin is not None:
        match &= _O.c.origin == origin
    return int(connection.execute(delete(_O).where(match)).rowcount or 0)


def overrides_table(connection: Connection, group_key: str | None) -> pd.DataFrame:
    """The overrides of the open orders of a part group (None: of every group), as a
    snapshot's ``overrides`` table, oldest first."""
    o = schema.orders
    query = (
        select(_O.c.kind, _O.c.order_id, _O.c.source_kind, _O.c.origin, _O.c.quantity)
        .join(o, o.c.order_id == _O.c.order_id)
        .where(o.c.status == "open")
        .order_by(_O.c.override_id)
    )
    if group_key is not None:
        query = query.where(o.c.group_key == group_key)
    return _table(tuple(r) for r in connection.execute(query))


def _table(rows: Iterable[tuple[object, ...]]) -> pd.DataFrame:
    listed = list(rows)
    names = [c.name for c in OVERRIDES.columns]
    return pd.DataFrame(
        {name: pd.Series([r[i] for r in listed], dtype=object) for i, name in enumerate(names)}
    )
