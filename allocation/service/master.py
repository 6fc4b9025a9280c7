"""Use cases that create or change master data: customers, contracts, parts, depots, lanes.

Each change runs like every write, through the writer and its ``Idempotency-Key``, in steps:

1. lock every part group (:func:`~allocation.adapters.store.database.lock_all_groups`):
   master data is what every other write plans with, so none runs beside a change of it;
2. check the row with the snapshot loader's rules (:mod:`~allocation.service.master_rows`)
   against the master tables as they are now, and store it;
3. give the master data a new version and build the world of it for the rest of the
   transaction (:func:`~allocation.service.world.changed_world`); every process's planner
   is built again from it at its next write;
4. decide again the entitlement of the open orders of the customers it concerns (a customer
   or a contract) with the same domain rules as the load and the intake
   (:mod:`~allocation.service.entitled`), and re-plan the part groups the change touches
   (:func:`~allocation.service.planning.replan_groups`): the groups of those orders; a part's
   group; for a depot or a lane, the groups with open orders in the countries whose routes
   or home depot it changed. The feed gets the events of every allocation that changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Date, Table, select
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema
from allocation.adapters.store.database import lock_all_groups
from allocation.adapters.store.ledger import Stamp
from allocation.adapters.store.master import add_part_group, new_master_version, put_row
from allocation.domain.snapshot import Snapshot
from allocation.engine import Context, Engine
from allocation.service.answers import order_answers
from allocation.service.entitled import redecide_orders
from allocation.service.master_models import (
    ContractIn,
    CustomerIn,
    DepotIn,
    LaneIn,
    PartIn,
)
from allocation.service.master_rows import Fields, MasterTables, lane_endpoint, master_tables
from allocation.service.models import OrderAnswer
from allocation.service.planning import replan_groups
from allocation.service.problems import ConflictError, FieldError
from allocation.service.world import World, changed_world

__all__ = [
    "Changed",
    "moved_countries",
    "put_contract",
    "put_customer",
    "put_depot",
    "put_lane",
    "put_part",
]


@dataclass(frozen=True)
class Changed:
    """What a change did: whether it created the row, the row as stored (the loader's
    normalised values), and the open orders it re-decided or re-planned, by id."""

    created: bool
    row: dict[str, Any]
    replanned: list[OrderAnswer]


@dataclass(frozen=True)
class _Checked:
    """Every part group locked, and the row as the loader read it among the master tables."""

    stamps: dict[str, Stamp]
    tables: MasterTables
    snapshot: Snapshot
    row: pd.Series

    def stored(self, table: Table) -> dict[str, Any]:
        """The row's values as the loader read them, in the store's terms, for ``table``'s
        columns (dates as days, blanks as None, NumPy scalars as Python's)."""
        values: dict[str, Any] = {}
        for column in table.columns:
            if column.name not in self.row.index:
                continue
            value = self.row[column.name]
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                values[column.name] = None
            elif isinstance(column.type, Date):
                values[column.name] = pd.Timestamp(value).date()
            else:
                values[column.name] = value.item() if isinstance(value, np.generic) else value
        return values


Touched = Callable[[Connection, World], tuple[set[str], set[str]]]
"""Given the world after a change: the part groups to re-plan, and the orders re-decided."""


def _checked(
    connection: Connection,
    now: datetime,
    table: str,
    key: tuple[str, ...],
    row: dict[str, Any],
    fields: Fields,
) -> _Checked:
    """Steps 1 and 2 of the module (a 422 naming the field of each problem the loader finds)."""
    stamps = lock_all_groups(connection, now)
    tables = master_tables(connection).put(table, key, row)
    snapshot = tables.validated(fields)
    frame = snapshot.tables()[table]
    match = np.ones(len(frame), dtype=bool)
    for k in key:
        match &= (frame[k] == row[k]).to_numpy()
    return _Checked(stamps, tables, snapshot, frame[match].iloc[0])


def _change(
    connection: Connection,
    world: World,
    checked: _Checked,
    table: Table,
    row: dict[str, Any],
    touched: Touched,
) -> Changed:
    """Steps 3 and 4 of the module: store the checked row, re-plan, answer."""
    created = put_row(connection, table, row)
    new_master_version(connection)
    with changed_world(connection, world) as new:
        groups, decided = touched(connection, new)
        stamps = {g: checked.stamps[g] for g in sorted(groups) if g in checked.stamps}
        moved = replan_groups(connection, new, stamps, reload=True)
        ids = sorted(decided | moved)
        answers = order_answers(connection, ids)
    return Changed(created, row, [answers[i] for i in ids])


def _redecided(customer_ids: set[str]) -> Touched:
    """The open orders of some customers decided again, and their part groups."""

    def touched(connection: Connection, new: World) -> tuple[set[str], set[str]]:
        decided = redecide_orders(connection, new, customer_ids)
        return set(decided.values()), set(decided)

    return touched


def put_customer(
    connection: Connection, world: World, now: datetime, customer_id: str, body: CustomerIn
) -> Changed:
    """Create or change a customer; its open orders are decided again and re-planned."""
    row = {"customer_id": customer_id, **body.model_dump()}
    fields = {("customers", c): f"body.{c}" for c in row} | {
        ("customers", "customer_id"): "path.customer_id"
    }
    checked = _checked(connection, now, "customers", ("customer_id",), row, fields)
    stored = {**row, "country": str(checked.row["country"]), "name": str(checked.row["name"])}
    return _change(connection, world, checked, schema.customers, stored, _redecided({customer_id}))


def put_contract(
    connection: Connection, world: World, now: datetime, contract_id: str, body: ContractIn
) -> Changed:
    """Create or change a contract; the open orders of its customer (and of the customer
    that held it before, if another) are decided again and re-planned."""
    row = {"contract_id": contract_id, **body.model_dump()}
    fields = {("contracts", c): f"body.{c}" for c in row} | {
        ("contracts", "contract_id"): "path.contract_id"
    }
    checked = _checked(connection, now, "contracts", ("contract_id",), row, fields)
    k = schema.contracts
    before = connection.execute(
        select(k.c.customer_id).where(k.c.contract_id == contract_id)
    ).scalar()
    stored = checked.stored(schema.contracts)
    customers = {stored["customer_id"]} | ({str(before)} if before is not None else set())
    return _change(connection, world, checked, schema.contracts, stored, _redecided(customers))


def put_part(
    connection: Connection, world: World, now: datetime, part_number: str, body: PartIn
) -> Changed:
    """Create or change a part; its part group is re-planned.

    A part's substitutes decide its part group. A change may put a new part into a group,
    or give a part of a group other substitutes of the same group; one that would merge
    or split groups (which every order, promise and journal entry of them is filed under)
    is a 409: load a snapshot for that.
    """
    substitutes = ";".join(body.substitutes) if body.substitutes else None
    row = {
        "part_number": part_number,
        "description": body.description,
        "unit_cost": body.unit_cost,
        "substitutes": substitutes,
    }
    fields = {("parts", c): f"body.{c}" for c in row} | {
        ("parts", "part_number"): "path.part_number"
    }
    checked = _checked(connection, now, "parts", ("part_number",), row, fields)
    context = Engine(checked.snapshot, world.engine.policy, world.entitlement_policy).context
    group_of = {
        part: context.part_numbers[int(context.part_group[code])]
        for part, code in context.part_code.items()
    }
    regrouped = sorted(p for p, g in checked.tables.master.group_of.items() if group_of.get(p) != g)
    if regrouped:
        raise ConflictError(
            f"these substitutes would move {', '.join(regrouped[:5])} to another part group; "
            "parts change groups only with a load ('parts-priority load --replace')",
            [FieldError("body.substitutes", "would merge or split part groups")],
        )
    group = group_of[part_number]
    add_part_group(connection, group)

    def touched(_connection: Connection, _new: World) -> tuple[set[str], set[str]]:
        return {group}, set()

    stored = {**checked.stored(schema.parts), "group_key": group}
    return _change(connection, world, checked, schema.parts, stored, touched)


def put_depot(
    connection: Connection, world: World, now: datetime, depot_id: str, body: DepotIn
) -> Changed:
    """Create or move a depot; the part groups with open orders in the countries whose
    routes or home depot it changed are re-planned."""
    row = {"depot_id": depot_id, "country": body.country}
    fields = {
        ("depots", "depot_id"): "path.depot_id",
        ("depots", "country"): "body.country",
        ("supply_options", "supplier_id"): "path.depot_id",
    }
    checked = _checked(connection, now, "depots", ("depot_id",), row, fields)
    stored = checked.stored(schema.depots)
    return _change(connection, world, checked, schema.depots, stored, _rerouted(world))


def put_lane(
    connection: Connection,
    world: World,
    now: datetime,
    origin: str,
    destination: str,
    body: LaneIn,
) -> Changed:
    """Create or change a lane; the part groups with open orders in the countries whose
    routes or home depot it changed are re-planned.

    Endpoints are depot or supplier ids, or countries (stored as ISO alpha-2 codes).
    """
    origin, destination = lane_endpoint(connection, origin), lane_endpoint(connection, destination)
    row = {"origin": origin, "destination": destination, **body.model_dump()}
    fields = {
        ("lanes", "origin"): "path.origin",
        ("lanes", "destination"): "path.destination",
        ("lanes", "transit_hours"): "body.transit_hours",
        ("lanes", "cost_per_unit"): "body.cost_per_unit",
    }
    checked = _checked(connection, now, "lanes", ("origin", "destination"), row, fields)
    stored = checked.stored(schema.lanes)
    return _change(connection, world, checked, schema.lanes, stored, _rerouted(world))


def _rerouted(before: World) -> Touched:
    """The part groups with open orders in the countries whose routes changed."""

    def touched(connection: Connection, new: World) -> tuple[set[str], set[str]]:
        countries = sorted(moved_countries(before.context, new.context))
        if not countries:
            return set(), set()
        o = schema.orders
        groups = connection.execute(
            select(o.c.group_key).where(o.c.status == "open", o.c.country.in_(countries)).distinct()
        )
        return {str(g) for (g,) in groups}, set()

    return touched


def moved_countries(before: Context, after: Context) -> set[str]:
    """Countries to which some origin's fastest route (hours or money), or the home depot,
    differs between two contexts; an origin or country only one knows counts as changed
    where the other has no route."""
    origins = sorted(set(before.routes.origins) | set(after.routes.origins))
    countries = sorted(set(before.routes.countries) | set(after.routes.countries))
    moved: set[str] = set()
    for values in ("hours", "cost"):
        old = _table(before, values, origins, countries)
        new = _table(after, values, origins, countries)
        differs = ~((old == new) | (np.isnan(old) & np.isnan(new)))
        moved.update(np.asarray(countries, dtype=object)[differs.any(axis=0)].tolist())
    moved.update(c for c in countries if before.homes.get(c) != after.homes.get(c))
    return moved


def _table(
    context: Context, values: str, origins: list[str], countries: list[str]
) -> np.ndarray[Any, np.dtype[np.float64]]:
    routes = context.routes
    frame = pd.DataFrame(getattr(routes, values), index=routes.origins, columns=routes.countries)
    return frame.reindex(index=origins, columns=countries, fill_value=np.inf).to_numpy(float)
