"""The moving state of a simulated world: orders, shelves, pipelines and supply options.

All of it lives in one object handed to the processes (nothing global), so replications in
one process never share anything. Stock is a ``[part, depot]`` integer grid; a unit leaves
a shelf only through :meth:`WorldState.take`, which refuses to go below zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from simulation.errors import ConservationError

__all__ = ["OptionBook", "OrderBook", "Receipt", "WorldState"]


@dataclass
class Receipt:
    """Units on their way to a depot's shelf (a scheduled receipt or a factory reorder)."""

    part: int
    depot: int
    quantity: int
    planned_hours: float
    kind: str


@dataclass
class OrderBook:
    """Every order of a replication (the backlog first, then arrivals), by row.

    ``table`` is the engine's orders table for all of them; the arrays are its columns the
    event path reads. ``need`` is what is not yet committed; ``waiting`` keeps, per part
    group, the rows that still need units, in arrival order.
    """

    table: pd.DataFrame
    order_id: list[str]
    part: npt.NDArray[np.int64]
    group: npt.NDArray[np.int64]
    klass: npt.NDArray[np.int64]
    country_col: npt.NDArray[np.int64]
    home: npt.NDArray[np.int64]
    quantity: npt.NDArray[np.int64]
    created: npt.NDArray[np.float64]
    need: list[int] = field(default_factory=list)
    delivered: list[int] = field(default_factory=list)
    waiting: dict[int, dict[int, None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.need = self.quantity.tolist()
        self.delivered = [0] * len(self.quantity)

    def wait(self, row: int) -> None:
        """The order needs units: it joins its group's queue."""
        self.waiting.setdefault(int(self.group[row]), {})[row] = None

    def settle(self, row: int) -> None:
        """The order needs nothing more: it leaves its group's queue."""
        queue = self.waiting.get(int(self.group[row]))
        if queue is not None:
            queue.pop(row, None)
            if not queue:
                del self.waiting[int(self.group[row])]


@dataclass
class OptionBook:
    """Expedite and broker options: capacity per period, used units per period."""

    table: pd.DataFrame
    part: npt.NDArray[np.int64]
    is_broker: npt.NDArray[np.bool_]
    supplier: list[str]
    capacity: npt.NDArray[np.float64]
    lead_hours: npt.NDArray[np.float64]
    price: npt.NDArray[np.float64]
    success: npt.NDArray[np.float64]
    used: npt.NDArray[np.int64]
    period: int = 0
    by_key: dict[tuple[int, str, str], int] = field(default_factory=dict)
    by_part: dict[int, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, (p, broker, supplier) in enumerate(
            zip(self.part.tolist(), self.is_broker.tolist(), self.supplier, strict=True)
        ):
            self.by_key[(p, "broker" if broker else "expedite", supplier)] = i
            self.by_part.setdefault(p, []).append(i)


class WorldState:
    """Shelves, pipelines and the inventory position that drives base-stock reorders.

    Inventory position of a depot and part = on hand + on order − the unmet need of orders
    whose home it is. One-for-one base stock keeps it at the base-stock level.
    """

    def __init__(self, initial: npt.NDArray[np.int64], base_stock: npt.NDArray[np.int64]) -> None:
        self.on_hand = initial.astype(np.int64).copy()
        self.on_order = np.zeros_like(self.on_hand)
        self.backorder = np.zeros_like(self.on_hand)
        self.base_stock = base_stock
        self.online = np.ones(initial.shape[1], dtype=bool)
        self.pipeline: dict[int, dict[int, Receipt]] = {}
        self._next_receipt = 0
        self.landed = int(initial.sum())
        self.shipped = 0

    def take(self, part: int, depot: int, quantity: int) -> None:
        """Units leave a shelf; never below zero."""
        have = int(self.on_hand[part, depot])
        if quantity > have or not self.online[depot]:
            raise ConservationError(
                f"taking {quantity} of part {part} from depot {depot} with {have} on hand "
                f"({'online' if self.online[depot] else 'offline'})"
            )
        self.on_hand[part, depot] = have - quantity
        self.shipped += quantity

    def expect(self, receipt: Receipt) -> int:
        """A receipt enters the pipeline; returns its key."""
        key = self._next_receipt
        self._next_receipt += 1
        self.pipeline.setdefault(receipt.part, {})[key] = receipt
        self.on_order[receipt.part, receipt.depot] += receipt.quantity
        return key

    def land(self, key: int, part: int) -> Receipt:
        """A receipt reaches its shelf."""
        receipt = self.pipeline[part].pop(key)
        if not self.pipeline[part]:
            del self.pipeline[part]
        self.on_order[part, receipt.depot] -= receipt.quantity
        self.on_hand[part, receipt.depot] += receipt.quantity
        self.landed += receipt.quantity
        return receipt

    def shortfall(self, part: int, depot: int) -> int:
        """Units to reorder to bring the inventory position back to base stock."""
        position = (
            self.on_hand[part, depot] + self.on_order[part, depot] - self.backorder[part, depot]
        )
        return max(0, int(self.base_stock[part, depot] - position))
