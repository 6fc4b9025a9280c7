"""Backup units in the service: the shelf units a parts-priority broker buy holds, and a
failed buy taking them.

With the stored policy's ``broker_backup`` (:mod:`allocation.engine._backups`), each
``parts_priority`` order that the plan buys from a broker holds as many free shelf units.
The service keeps no table of them: held units are the plan's own, a second solve over what
the plan leaves free, so they follow every re-plan as the plan does and can never disagree
with it. ``GET /orders/{id}/backups`` reads them from the group's plan as the explanation
route does (:func:`order_backups`).

When the order system reports a broker buy failed (:func:`allocation.service.changes.
purchase_failed`), the order takes what it held — up to the units that failed, the nearest
shelf first — as *firm* lines (:mod:`allocation.domain.overrides`): released for delivery at
once, as the simulator ships a held unit the moment a buy fails, and never moved by a later
plan, not even for an order that arrives older. The held units are read from the writer's
plan of the locked group once the group's ledger holds exactly that plan
(:func:`plan_in_step`), so the units taken are free in the ledger too, and the re-plan that
follows can always honour the firm.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy.engine import Connection

from allocation.adapters.store import events, overrides
from allocation.adapters.store.ledger import Stamp
from allocation.engine import Plan
from allocation.service.backup_models import BackupLine, OrderBackups
from allocation.service.group_rows import order_place
from allocation.service.planning import plan_group, replan_groups
from allocation.service.world import World

__all__ = ["backups_taken", "order_backups", "plan_in_step", "take_backups"]


def order_backups(
    connection: Connection, world: World, order_id: str, now: datetime
) -> OrderBackups:
    """What an open order holds for its broker units in the group's plan as the database
    holds it now (none for a closed order). 404 for an unknown order."""
    place = order_place(connection, order_id)
    on = world.engine.policy.broker_backup
    if not on or place.status != "open":
        return OrderBackups(order_id=order_id, broker_backup=on, broker_units=0, held=[])
    plan = plan_group(connection, world, place.group_key, now)
    return OrderBackups(
        order_id=order_id,
        broker_backup=True,
        broker_units=_broker_units(plan, order_id),
        held=_lines(_held(plan, order_id)),
    )


def plan_in_step(connection: Connection, world: World, stamp: Stamp) -> Plan:
    """The writer's plan of a locked part group, with the group's ledger brought to it first
    when another write (of another process, or a fresh rebuild) left them apart.

    Call right after locking the group, before changing any of its rows.
    """
    group = stamp.group_key
    world.plans.prepare(connection, world, {group: stamp}, stamp.at)
    if not world.plans.in_step(group):
        replan_groups(connection, world, {group: stamp}, reload=False)
    parts = world.parts_of.get(group, [group])
    return world.plans.planner().group_plan(parts[0])


def backups_taken(plan: Plan, order_id: str, units: int) -> pd.DataFrame:
    """The order's held units that ``units`` failed broker units take: nearest first, at
    most ``units`` in all (rows of :attr:`Plan.backups`, quantities cut to fit)."""
    held = _held(plan, order_id)
    left = units
    quantities = []
    for quantity in held["quantity"].tolist():
        take = min(int(quantity), left)
        quantities.append(take)
        left -= take
    held = held.assign(quantity=quantities)
    return held[held["quantity"] > 0].reset_index(drop=True)


def take_backups(
    connection: Connection,
    order_id: str,
    taken: pd.DataFrame,
    client: str | None,
    now: datetime,
) -> None:
    """Firm the held units ``taken`` (:func:`backups_taken`) for the order, on top of what it
    has firmed from the same source already, and put a ``backup_used`` event on the feed
    for each line. The caller re-plans the group."""
    firmed = {
        (o.source_kind, o.origin): o.quantity or 0
        for o in overrides.of_order(connection, order_id)
        if o.kind == "firm"
    }
    used = []
    for part, source, origin, quantity in taken[
        ["part_number", "source", "origin", "quantity"]
    ].itertuples(index=False):
        units = int(quantity) + firmed.get((str(source), str(origin)), 0)
        overrides.add(connection, order_id, "firm", str(source), str(origin), units, client, now)
        firmed[(str(source), str(origin))] = units
        used.append(
            events.Change(
                "backup_used", order_id, str(part), int(quantity), str(source), str(origin)
            )
        )
    events.append(connection, now, used)


def _held(plan: Plan, order_id: str) -> pd.DataFrame:
    backups = plan.backups
    mine = backups[backups["order_id"] == order_id]
    return mine.sort_values(["eta_hours", "origin"], kind="stable").reset_index(drop=True)


def _broker_units(plan: Plan, order_id: str) -> int:
    lines = plan.lines
    mine = lines[
        (lines["order_id"] == order_id)
        & (lines["source"] == "broker")
        & (lines["priority_class"] == "parts_priority")
    ]
    return int(mine["quantity"].sum())


def _lines(held: pd.DataFrame) -> list[BackupLine]:
    return [
        BackupLine(
            part_number=str(part),
            source=str(source),
            origin=str(origin),
            quantity=int(quantity),
            eta=pd.Timestamp(eta).to_pydatetime(),
            eta_hours=float(hours),
        )
        for part, source, origin, quantity, eta, hours in held[
            ["part_number", "source", "origin", "quantity", "eta", "eta_hours"]
        ].itertuples(index=False)
    ]
