"""Flat event records: the only thing the simulated world tells the outside.

Every metric is computed afterwards from these rows by pure functions
(:mod:`simulation.metrics`), the way Ciw's data records work: the world never keeps running
totals of what a planner might want to know.

One row per event, with these columns (empty where they do not apply):

=================  ==========================================================================
column             meaning
=================  ==========================================================================
replication        replication number (0-based)
time               hours since the scenario's start (negative for a backlog order's creation)
event              one of :data:`EVENTS`
order_id           the repair order
part_number        the part (for ``allocated``, ``reserved``, ``delivered``: the part sent,
                   a substitute when it differs from the order's)
depot_id           ``order_created``: the order's home depot; ``receipt``, ``replenishment_
                   ordered``, ``depot_offline``, ``depot_online``, ``backup_held``,
                   ``backup_released``: that depot
source_kind        ``allocated``, ``delivered``, ``purchase_failed``, ``reserved``,
                   ``released``, ``backup_held``, ``backup_released``: stock, transfer,
                   inbound, expedite or broker (the engine's source kinds, from the
                   order's point of view), or emergency (the scenario's emergency
                   channel); ``receipt``: initial, scheduled or replenishment
origin             where the units come from: a depot or a supplier id
quantity           units
money              ``allocated`` and ``purchase_failed``: what the units cost in total
                   (source price + lane)
customer_id        ``order_created`` only
country            ``order_created`` only: the order's site country (ISO alpha-2)
priority_class     ``order_created`` only: parts_priority or standard
tier               ``order_created`` only: the tier that applies (standard, PA, PA+, PM)
detail             free text: the disruption's name, why a promise was withdrawn, a failure;
                   ``order_created``: why the order lost parts priority, as a root-cause
                   code (``excluded_country``, ``not_entitled:<rule>``; empty when it kept
                   it or its customer had none to lose)
need_by            only in worlds with response-time targets (a policy's ``response_hours``
                   or orders with their own ``need_by``), after every other column:
                   ``order_created``: when the order's parts are due, in hours since the
                   start (NaN: the order has no target, or the row is another event)
=================  ==========================================================================

Events, and what holds between them:

- ``order_created``: a repair order arrives (``quantity`` units wanted); its downtime starts.
- ``reserved``: units of receipts on their way to a depot are promised to the order. Nothing
  moves yet: the order still waits (it is a backorder) until they land.
- ``released``: a promise is withdrawn (``detail``: pre-empted by a higher class, or the
  depot went offline); its units are the order's need again.
- ``allocated``: units are committed to the order and leave at ``time`` — from a depot's
  shelf (``stock``, ``transfer``; ``inbound`` or ``transfer`` when promised units land) or
  bought from a supplier (``expedite``, ``broker``). Every unit an ``allocated`` row takes
  from a depot (``origin``) entered that depot's shelf in an earlier ``receipt`` row.
- ``delivered``: units of an order arrive at the customer.
- ``purchase_failed``: a broker buy never arrives; it takes back its ``allocated`` row (units
  and money) and the order needs the units again.
- ``lost``: the order could not be served within its class's allowance and the scenario
  counts it lost (lost sales): it is never served, and has no ``restored`` row.
- ``backup_held``: with the policy's ``broker_backup``, a parts-priority order whose broker
  buy was just made holds free shelf units at ``depot_id`` (``source_kind`` stock or
  transfer) as its backup: they stay on the shelf, but no other order may take them.
- ``backup_released``: held units are free again (``detail``: the broker delivered, or the
  depot went offline). When the buy fails instead, the held units ship at once: an
  ``allocated`` row whose ``detail`` names the backup.
- ``restored``: the order's last unit arrived and the repair (``repair_hours``) is done:
  downtime ends. Orders still waiting at ``end`` have no ``restored`` row.
- ``receipt``: units land on a depot's shelf (``initial`` is the stock at time zero).
- ``replenishment_ordered``: a depot reorders units from the factory (base stock).
- ``disruption_started`` / ``disruption_ended``: a disruption window opens or closes.
- ``depot_offline`` / ``depot_online``: a depot's stock becomes unreachable or comes back.
- ``end``: the run stops (``time`` is the end of the simulated period, horizon plus drain).

Within one ``time``, rows are in the order things happened.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["COLUMNS", "EVENTS", "TARGET_COLUMN", "Recorder"]

EVENTS = (
    "order_created",
    "reserved",
    "released",
    "allocated",
    "delivered",
    "purchase_failed",
    "backup_held",
    "backup_released",
    "lost",
    "restored",
    "receipt",
    "replenishment_ordered",
    "disruption_started",
    "disruption_ended",
    "depot_offline",
    "depot_online",
    "end",
)

COLUMNS = (
    "replication",
    "time",
    "event",
    "order_id",
    "part_number",
    "depot_id",
    "source_kind",
    "origin",
    "quantity",
    "money",
    "customer_id",
    "country",
    "priority_class",
    "tier",
    "detail",
)
_TEXT = (
    "event",
    "order_id",
    "part_number",
    "depot_id",
    "source_kind",
    "origin",
    "customer_id",
    "country",
    "priority_class",
    "tier",
    "detail",
)

TARGET_COLUMN = "need_by"
"""The column records of a world with response-time targets have after :data:`COLUMNS`."""

# Where each column sits in a row (a row holds every column but the replication).
_POSITION = {name: i for i, name in enumerate(COLUMNS[1:])}


class Recorder:
    """Collects event rows (one tuple each: cheap to append) and turns them into a frame.

    Examples
    --------
    >>> rec = Recorder(replication=3)
    >>> rec.emit(1.5, "order_created", order_id="O1", part_number="P1", quantity=2)
    >>> rec.emit(2.0, "end")
    >>> frame = rec.to_frame()
    >>> frame[["replication", "time", "event", "order_id", "quantity"]].to_dict("records")[0]
    {'replication': 3, 'time': 1.5, 'event': 'order_created', 'order_id': 'O1', 'quantity': 2}
    """

    def __init__(self, replication: int = 0) -> None:
        self.replication = replication
        self._rows: list[tuple[Any, ...]] = []
        # Row number -> need_by (hours) of the orders with a target; None: the records have
        # no need_by column (a world without targets), and no row carries one.
        self._due: dict[int, float] | None = None

    def carry_targets(self) -> None:
        """Give the records a ``need_by`` column: the world has response-time targets.

        A separate column, kept off the rows themselves, so that a world without targets
        records exactly what it did before targets existed, at the same cost.
        """
        if self._due is None:
            self._due = {}

    def due(self, need_by: float) -> None:
        """The order of the row just emitted (its ``order_created``) is due at ``need_by``
        hours since the start."""
        if self._due is None:
            raise ValueError("need_by recorded without carry_targets()")
        self._due[len(self._rows) - 1] = need_by

    def __len__(self) -> int:
        return len(self._rows)

    def emit(
        self,
        time: float,
        event: str,
        *,
        order_id: str | None = None,
        part_number: str | None = None,
        depot_id: str | None = None,
        source_kind: str | None = None,
        origin: str | None = None,
        quantity: int = 0,
        money: float = 0.0,
        customer_id: str | None = None,
        country: str | None = None,
        priority_class: str | None = None,
        tier: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Append one event row."""
        self._rows.append(
            (
                time,
                event,
                order_id,
                part_number,
                depot_id,
                source_kind,
                origin,
                quantity,
                money,
                customer_id,
                country,
                priority_class,
                tier,
                detail,
            )
        )

    def order_created(
        self,
        time: float,
        order_id: str,
        part_number: str,
        depot_id: str | None,
        quantity: int,
        info: tuple[str, str, str, str, str | None],
    ) -> None:
        """Append an ``order_created`` row: :meth:`emit` with the order's fields, ``info``
        being (customer, country, class, tier, detail); positional, as one arrives on
        every order."""
        self._rows.append(
            (
                time,
                "order_created",
                order_id,
                part_number,
                depot_id,
                None,
                None,
                quantity,
                0.0,
                *info,
            )
        )

    def to_frame(self) -> pd.DataFrame:
        """The rows so far, with :data:`COLUMNS`, text columns as categories.

        Each column is read out of the rows on its own, straight into an array: cheaper,
        for a year's rows, than transposing them all first.
        """
        rows, count = self._rows, len(self._rows)

        def column(name: str, dtype: type) -> npt.NDArray[Any]:
            values = map(itemgetter(_POSITION[name]), rows)
            return np.fromiter(values, dtype=dtype, count=count)

        data: dict[str, Any] = {
            "replication": np.full(count, self.replication, dtype=np.int64),
            "time": column("time", np.float64),
            "quantity": column("quantity", np.int64),
            "money": column("money", np.float64),
        }
        for name in _TEXT:
            data[name] = _categorical(column(name, object))
        if self._due is None:
            return pd.DataFrame(data, columns=list(COLUMNS))
        due = np.full(count, np.nan)
        if self._due:
            due[np.fromiter(self._due, np.int64, len(self._due))] = list(self._due.values())
        data[TARGET_COLUMN] = due
        return pd.DataFrame(data, columns=[*COLUMNS, TARGET_COLUMN])


def _categorical(values: npt.NDArray[np.object_]) -> pd.Categorical:
    """``pd.Categorical(values)`` for a column of text or None, the same to the last bit:
    its distinct values are found once (a hash pass), and only they are typed and sorted
    into categories, where pandas would type and sort the whole column (most of building
    a year's frame)."""
    codes, distinct = pd.factorize(values)
    if not len(distinct):
        # A column with no text at all is given as a list, whose categories pandas types
        # as it always has (an array of None would give them another dtype).
        return pd.Categorical(values.tolist())
    ranked = pd.Categorical(distinct)
    return pd.Categorical.from_codes(
        np.where(codes >= 0, ranked.codes[codes], -1), dtype=ranked.dtype
    )
