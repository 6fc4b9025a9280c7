"""The load use case: a snapshot folder into the database, with its first plan in the ledger.

Everything is replaced in one transaction: master data, supply, the snapshot's open orders
(each with its entitlement decision and reasons), and the ledger, which starts with the
allocations of one full optimal plan (:func:`allocation.allocate`) seen from ``now``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Engine, insert
from sqlalchemy.engine import Connection

from allocation.adapters.store import ledger, schema
from allocation.adapters.store.database import run_write
from allocation.adapters.store.master import write_master
from allocation.adapters.store.policy import StoredPolicy, write_policy
from allocation.domain.entitlement import (
    EntitlementPolicy,
    decide_entitlement,
    lost_priority_code,
)
from allocation.domain.model import Contract
from allocation.domain.policy import AllocationPolicy
from allocation.domain.snapshot import Snapshot
from allocation.engine import Engine as Planning
from allocation.service.clock import utc_now
from allocation.service.planning import Short, holdings_of

__all__ = ["LoadSummary", "load_into_store"]


@dataclass(frozen=True)
class LoadSummary:
    """What a load wrote."""

    parts: int
    part_groups: int
    depots: int
    customers: int
    orders: int
    units_allocated: int
    units_backordered: int


def load_into_store(
    engine: Engine,
    snapshot: Snapshot,
    now: datetime | None = None,
    policy: AllocationPolicy | None = None,
    entitlement_policy: EntitlementPolicy | None = None,
    stored_policy: StoredPolicy | None = None,
) -> LoadSummary:
    """Replace the database's content with a snapshot and its optimal plan.

    Parameters
    ----------
    engine : Engine
        A migrated database.
    snapshot : Snapshot
        Validated tables (see :func:`allocation.load_snapshot`).
    now : datetime, optional
        The moment ETAs count from; the current UTC time by default.
    policy, entitlement_policy : optional
        What the plan is made with (the data sheet's defaults when omitted).
    stored_policy : StoredPolicy, optional
        The policy document to store for the servers, in the same transaction (they plan
        with ``policy`` only if it is stored: see :mod:`allocation.service.policy`); None
        leaves the stored one as it is.
    """
    moment = now or utc_now()
    # Supply keys name a receipt by its landing time to the second; so does the store.
    inbound = snapshot.inbound.assign(eta=pd.to_datetime(snapshot.inbound["eta"]).dt.floor("s"))
    seen_now = replace(snapshot.at(moment), inbound=inbound)
    policy = policy or AllocationPolicy()
    planning = Planning(seen_now, policy, entitlement_policy)
    context = planning.context
    group_of = {
        part: context.part_numbers[int(context.part_group[code])]
        for part, code in context.part_code.items()
    }
    plan = planning.plan()
    holdings = holdings_of(plan, moment)
    unfilled = {
        str(o): Short(int(q), str(r), str(c))
        for o, q, r, c in zip(
            plan.unfilled["order_id"],
            plan.unfilled["quantity"],
            plan.unfilled["reason"],
            plan.unfilled["code"],
            strict=True,
        )
    }
    rows = _order_rows(snapshot, group_of, unfilled, entitlement_policy, policy)
    overrides = overrides_table_rows(snapshot.overrides, moment)

    def work(connection: Connection) -> None:
        write_master(connection, seen_now, group_of)
        if stored_policy is not None:
            write_policy(connection, stored_policy)
        for start in range(0, len(rows), 5000):
            connection.execute(insert(schema.orders), rows[start : start + 5000])
        if overrides:
            connection.execute(insert(schema.overrides), overrides)
        by_group: dict[str, list[tuple[str, ledger.Holding]]] = defaultdict(list)
        for h in holdings.values():
            by_group[group_of[h.part_number]].append(("allocate", h))
        for group_key, entries in sorted(by_group.items()):
            stamp = ledger.Stamp(group_key, 0, moment)
            # The load is where the feed starts, not a change it reports (read /plan).
            ledger.record(connection, stamp, entries, current={}, feed=False)

    run_write(engine, work, attempts=1, budget_s=3600)
    allocated = sum(h.quantity for h in holdings.values())
    return LoadSummary(
        parts=len(snapshot.parts),
        part_groups=len(set(group_of.values())),
        depots=len(snapshot.depots),
        customers=len(snapshot.customers),
        orders=len(rows),
        units_allocated=allocated,
        units_backordered=sum(s.quantity for s in unfilled.values()),
    )


def overrides_table_rows(table: pd.DataFrame, now: datetime) -> list[dict[str, Any]]:
    """A snapshot's ``overrides`` table as rows of the store's (kept by the load, so that
    every later re-plan honours them as the load's plan did)."""
    rows = []
    for kind, order_id, source_kind, origin, quantity in zip(
        *(table[c].tolist() for c in ("kind", "order_id", "source_kind", "origin", "quantity")),
        strict=True,
    ):
        blank = origin is None or pd.isna(origin) or origin == ""
        rows.append(
            {
                "order_id": str(order_id),
                "kind": str(kind),
                "source_kind": str(source_kind),
                "origin": None if blank else str(origin),
                "quantity": None if kind == "forbid" else int(quantity),
                "client_id": None,
                "created_at": now,
            }
        )
    return rows


def _order_rows(
    snapshot: Snapshot,
    group_of: dict[str, str],
    unfilled: dict[str, Short],
    policy: EntitlementPolicy | None,
    allocation_policy: AllocationPolicy,
) -> list[dict[str, Any]]:
    customers = snapshot.entitlement.customer_objects()
    contracts: dict[str, list[Contract]] = defaultdict(list)
    for contract in snapshot.entitlement.contract_objects():
        contracts[contract.customer_id].append(contract)
    rows = []
    for line in snapshot.entitlement.order_objects():
        decision = decide_entitlement(
            line, customers[line.customer_id], contracts[line.customer_id], policy=policy
        )
        short = unfilled.get(line.order_id)
        ship_to = line.ship_to_country
        created = pd.Timestamp(line.created_at).to_pydatetime()
        own = line.need_by
        need_by = None if own is None or pd.isna(own) else pd.Timestamp(own).to_pydatetime()
        if need_by is None:
            hours = allocation_policy.response_hours.hours(
                decision.tier, line.product_type, decision.country
            )
            need_by = None if hours is None else created + timedelta(hours=hours)
        rows.append(
            {
                "order_id": line.order_id,
                "customer_id": line.customer_id,
                "part_number": line.part_number,
                "group_key": group_of[line.part_number],
                "quantity": line.quantity,
                "created_at": created,
                "need_by": need_by,
                "product_type": line.product_type,
                "warranty_valid": bool(line.warranty_valid),
                "ship_to_country": None if ship_to is None or pd.isna(ship_to) else ship_to,
                "country": decision.country,
                "priority_class": decision.priority_class.value,
                "tier": decision.tier.value,
                "reasons": json.dumps(decision.reasons),
                "status": "open",
                "backorder_quantity": short.quantity if short else 0,
                "backorder_reason": short.reason if short else None,
                "backorder_code": short.code if short else None,
                "backordered": short is not None,
                "lost_code": lost_priority_code(decision),
                "client_id": None,
            }
        )
    return rows
