"""The write use cases as values: what a write route asks the writer to do.

A job is a small frozen dataclass of validated input, called with the write's connection,
the load's world and the moment. Being plain data (no closure), a job can be handed to the
writer in another process (:mod:`allocation.service.writer_process`) as well as to the
writer thread of this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.engine import Connection

from allocation.service import changes, master, moving, overriding
from allocation.service.intake import create_orders
from allocation.service.master_models import ContractIn, CustomerIn, DepotIn, LaneIn, PartIn
from allocation.service.master_reads import Kind, change_answer
from allocation.service.models import (
    AdjustmentLine,
    ClearIn,
    FirmIn,
    ForbidIn,
    InboundLine,
    OrderBatchAnswer,
    OrderIn,
    PurchaseFailure,
    ReceiptLine,
    SupplyOptionIn,
)
from allocation.service.move_models import MoveIn
from allocation.service.world import World

__all__ = [
    "AdjustStock",
    "ChangeOverrides",
    "CloseOrder",
    "FailPurchase",
    "MoveUnits",
    "PostOrders",
    "PutMaster",
    "ReceiveStock",
    "ScheduleInbound",
    "SetSupplyOptions",
    "WriteJob",
]

Answer = tuple[int, dict[str, Any]]


@dataclass(frozen=True)
class PostOrders:
    """``POST /orders``: one line (``batch`` false) or a batch, accepted whole or refused."""

    orders: tuple[OrderIn, ...]
    client: str
    batch: bool

    def __call__(self, connection: Connection, world: World, now: datetime) -> Answer:
        answers = create_orders(
            connection, world, now, list(self.orders), self.client, batch=self.batch
        )
        if self.batch:
            return 201, OrderBatchAnswer(orders=answers).model_dump(mode="json")
        return 201, answers[0].model_dump(mode="json")


@dataclass(frozen=True)
class CloseOrder:
    """``POST /orders/{id}/cancel`` or ``/ship``."""

    order_id: str
    how: Literal["cancel", "ship"]

    def __call__(self, connection: Connection, world: World, now: datetime) -> Answer:
        use = changes.cancel_order if self.how == "cancel" else changes.ship_order
        return 200, use(connection, world, now, self.order_id).model_dump(mode="json")


@dataclass(frozen=True)
class FailPurchase:
    """``POST /orders/{id}/purchase-failed``."""

    order_id: str
    failure: PurchaseFailure
    client: str

    def __call__(self, connection: Connection, world: World, now: datetime) -> Answer:
        answer = changes.purchase_failed(
            connection, world, now, self.order_id, self.failure, self.client
        )
        return 200, answer.model_dump(mode="json")


@dataclass(frozen=True)
class ChangeOverrides:
    """``POST /orders/{id}/firm``, ``/forbid`` or ``/overrides/clear``."""

    order_id: str
    body: FirmIn | ForbidIn | ClearIn
    client: str

    def __call__(self, connection: Connection, world: World, now: datetime) -> Answer:
        body, order_id = self.body, self.order_id
        if isinstance(body, FirmIn):
            answer = overriding.firm_units(connection, world, now, order_id, body, self.client)
        elif isinstance(body, ForbidIn):
            answer = overriding.forbid_source(connection, world, now, order_id, body, self.client)
        else:
            answer = overriding.clear_overrides(connection, world, now, order_id, body)
        return 200, answer.model_dump(mode="json")


@dataclass(frozen=True)
class MoveUnits:
    """``POST /orders/{id}/move``."""

    order_id: str
    body: MoveIn
    client: str

    def __call__(self, connection: Connection, world: World, now: datetime) -> Answer:
        answer = moving.move_units(connection, world, now, self.order_id, self.body, self.client)
        return 200, answer.model_dump(mode="json")


@dataclass(frozen=True)
class ReceiveStock:
    """``POST /stock/receipts``."""

    lines: tuple[ReceiptLine, ...]

    def __call__(self, connection: Connection, world: World, now: datetime) -> Answer:
        answer = changes.add_receipts(connection, world, now, list(self.lines))
        return 200, answer.model_dump(mode="json")


@dataclass(frozen=True)
class AdjustStock:
    """``POST /stock/adjustments``."""

    lines: tuple[AdjustmentLine, ...]

    def __call__(self, connection: Connection, world: World, now: datetime) -> Answer:
        answer = changes.adjust_stock(connection, world, now, list(self.lines))
        return 200, answer.model_dump(mode="json")


@dataclass(frozen=True)
class ScheduleInbound:
    """``POST /inbound``."""

    lines: tuple[InboundLine, ...]

    def __call__(self, connection: Connection, world: World, now: datetime) -> Answer:
        answer = changes.schedule_inbound(connection, world, now, list(self.lines))
        return 201, answer.model_dump(mode="json")


@dataclass(frozen=True)
class SetSupplyOptions:
    """``PUT /supply-options``."""

    options: tuple[SupplyOptionIn, ...]

    def __call__(self, connection: Connection, world: World, now: datetime) -> Answer:
        answer = changes.set_supply_options(connection, world, now, list(self.options))
        return 200, answer.model_dump(mode="json")


@dataclass(frozen=True)
class PutMaster:
    """``PUT /customers/{id}``, ``/contracts/{id}``, ``/parts/{part}``, ``/depots/{id}`` or
    ``/lanes/{origin}/{destination}``: 201 when it created the row, 200 when it changed it."""

    kind: Kind
    key: tuple[str, ...]
    body: CustomerIn | ContractIn | PartIn | DepotIn | LaneIn

    def __call__(self, connection: Connection, world: World, now: datetime) -> Answer:
        body, key = self.body, self.key
        if isinstance(body, CustomerIn):
            changed = master.put_customer(connection, world, now, key[0], body)
        elif isinstance(body, ContractIn):
            changed = master.put_contract(connection, world, now, key[0], body)
        elif isinstance(body, PartIn):
            changed = master.put_part(connection, world, now, key[0], body)
        elif isinstance(body, DepotIn):
            changed = master.put_depot(connection, world, now, key[0], body)
        else:
            changed = master.put_lane(connection, world, now, key[0], key[1], body)
        status = 201 if changed.created else 200
        return status, change_answer(self.kind, changed).model_dump(mode="json")


WriteJob = (
    PostOrders
    | CloseOrder
    | FailPurchase
    | ChangeOverrides
    | MoveUnits
    | ReceiveStock
    | AdjustStock
    | ScheduleInbound
    | SetSupplyOptions
    | PutMaster
)
