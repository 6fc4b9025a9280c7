"""Master-data rows as the routes answer them: a change's answer, and a row read back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import and_, select
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema
from allocation.domain.snapshot import split_substitutes
from allocation.service.master import Changed
from allocation.service.master_models import (
    ContractAnswer,
    ContractRecord,
    CustomerAnswer,
    CustomerRecord,
    DepotAnswer,
    DepotRecord,
    LaneAnswer,
    LaneRecord,
    PartAnswer,
    PartRecord,
)

__all__ = ["Kind", "change_answer", "read_record"]

Kind = Literal["customer", "contract", "part", "depot", "lane"]
"""The kinds of master-data row the routes create, change and read."""

_TABLES = {
    "customer": schema.customers,
    "contract": schema.contracts,
    "part": schema.parts,
    "depot": schema.depots,
    "lane": schema.lanes,
}


def _record(kind: Kind, row: Mapping[str, Any]) -> BaseModel:
    if kind == "customer":
        return CustomerRecord.model_validate(dict(row))
    if kind == "contract":
        return ContractRecord.model_validate(dict(row))
    if kind == "part":
        return PartRecord(
            part_number=row["part_number"],
            description=row["description"],
            unit_cost=row["unit_cost"],
            substitutes=split_substitutes(row["substitutes"]),
            part_group=row["group_key"],
        )
    if kind == "depot":
        return DepotRecord.model_validate(dict(row))
    return LaneRecord.model_validate(dict(row))


def change_answer(kind: Kind, changed: Changed) -> BaseModel:
    """The answer of a change: the row as stored and the orders it re-decided or re-planned."""
    record = _record(kind, changed.row)
    orders = changed.replanned
    if isinstance(record, CustomerRecord):
        return CustomerAnswer(created=changed.created, customer=record, replanned_orders=orders)
    if isinstance(record, ContractRecord):
        return ContractAnswer(created=changed.created, contract=record, replanned_orders=orders)
    if isinstance(record, PartRecord):
        return PartAnswer(created=changed.created, part=record, replanned_orders=orders)
    if isinstance(record, DepotRecord):
        return DepotAnswer(created=changed.created, depot=record, replanned_orders=orders)
    assert isinstance(record, LaneRecord)
    return LaneAnswer(created=changed.created, lane=record, replanned_orders=orders)


def read_record(connection: Connection, kind: Kind, key: tuple[str, ...]) -> BaseModel | None:
    """The row of ``kind`` with primary key ``key`` as the store holds it; None if none."""
    table = _TABLES[kind]
    columns = list(table.primary_key.columns)
    where = and_(*(c == v for c, v in zip(columns, key, strict=True)))
    row = connection.execute(select(table).where(where)).mappings().first()
    return None if row is None else _record(kind, dict(row))
