"""Report facts from the service's database: what actually happened to the orders it served.

The store's tables become :class:`~allocation.reports.ReportFacts` (every column is documented
there) with one replication, so a report from the database and one from a simulation run
mean the same:

==================  ===========================================================================
facts column        from the store
==================  ===========================================================================
status              ``restored`` for a shipped order, ``cancelled`` for a cancelled one,
                    ``open`` otherwise (and for an order closed after ``as_of``)
restored_at         ``orders.closed_at`` of a shipped order: the store knows when the units
                    left, not when they were fitted, so its downtime ends when it ships
depot_id            the home depot of the order's country, as the engine finds it from the
                    store's lanes (blank when no depot reaches it)
lost_code           ``orders.lost_code``, written at intake
backordered         ``orders.backordered``: set with an order's first backorder, never cleared
code                the root cause of its last backorder (``orders.backorder_code``); an order
                    that lost parts priority and was short because of its class (held by a
                    higher class, held back by protection, a source its class may not use)
                    gets its lost-priority code instead: the entitlement is what kept it
                    waiting (:mod:`allocation.domain.root_causes`). An order never short
                    but late (down longer than the target, or open past it at ``as_of``) gets
                    ``waiting_for_receipt`` when a receipt served it, else ``slow_source``,
                    as a simulation run decides them
==================  ===========================================================================

``sources``: per order and source kind, the units and money the ledger allocated net of
releases (what the order holds or shipped), from entries recorded by ``as_of``.
``customers``: a customer's ``tier`` is the best Priority Services tier among its contracts
(``standard`` when it has none the rulebook knows).

Orders created after ``as_of`` are left out. What the store keeps only as it stands now
(whether an order was ever short, and why) is read as it stands.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, case, func, select
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema
from allocation.adapters.store.database import run_read
from allocation.adapters.store.master import read_master
from allocation.domain.model import SourceKind
from allocation.domain.root_causes import (
    HELD_BACK_BY_PROTECTION,
    HELD_BY_HIGHER_CLASS,
    SLOW_SOURCE,
    SOURCE_NOT_ALLOWED_FOR_CLASS,
    WAITING_FOR_RECEIPT,
)
from allocation.domain.rulebook import Rulebook, default_rulebook
from allocation.engine.model import build_network, routes
from allocation.reports import ReportFacts, empty_orders, empty_sources

__all__ = ["DEFAULT_TARGET_HOURS", "ORIGIN", "facts_from_store"]

DEFAULT_TARGET_HOURS = 24.0
"""The downtime target reports measure against unless told otherwise: next business day."""
ORIGIN = "database"
"""How reports name facts read from the store."""

CLASS_CAUSES = frozenset(
    {HELD_BY_HIGHER_CLASS, HELD_BACK_BY_PROTECTION, SOURCE_NOT_ALLOWED_FOR_CLASS}
)
"""Allocation codes that rank classes: an order that lost parts priority and is short for
one of these waits because of its entitlement."""

_STATUS = {"shipped": "restored", "cancelled": "cancelled", "open": "open"}


def facts_from_store(
    store: Connection | Engine,
    *,
    as_of: datetime | None = None,
    target_hours: float = DEFAULT_TARGET_HOURS,
    customers: Collection[str] | None = None,
    rulebook: Rulebook | None = None,
) -> ReportFacts:
    """The report facts of the service's database.

    Parameters
    ----------
    store : Connection or Engine
        A migrated database; an engine is read in one consistent transaction.
    as_of : datetime, optional
        Where the facts end (naive UTC); now by default.
    target_hours : float
        The downtime target (:data:`DEFAULT_TARGET_HOURS` by default).
    customers : collection of str, optional
        Only these customers' orders, sources and rows (every customer by default): a
        report of one customer reads one customer's history.
    rulebook : Rulebook, optional
        Which SKU is which tier (the data sheet's by default).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from allocation.adapters.store import make_engine, migrate
    >>> engine = make_engine(f"sqlite:///{Path(tempfile.mkdtemp()) / 'store.db'}")
    >>> _ = migrate(engine)
    >>> facts = facts_from_store(engine, as_of=datetime(2026, 10, 1))
    >>> len(facts.orders), facts.origin, facts.target_hours
    (0, 'database', 24.0)
    >>> engine.dispose()
    """
    moment = as_of if as_of is not None else datetime.now(UTC).replace(tzinfo=None)
    chosen = None if customers is None else sorted(set(customers))

    def read(connection: Connection) -> ReportFacts:
        sources = _sources(connection, moment, chosen)
        orders = _orders(connection, moment, chosen)
        return ReportFacts(
            orders=_late_codes(orders, sources, moment, target_hours),
            sources=sources,
            customers=_customers(connection, chosen, rulebook or default_rulebook()),
            as_of=moment,
            target_hours=target_hours,
            origin=ORIGIN,
        )

    if isinstance(store, Engine):
        return run_read(store, read)
    return read(store)


def _orders(connection: Connection, as_of: datetime, chosen: list[str] | None) -> pd.DataFrame:
    o = schema.orders
    query = select(
        o.c.order_id,
        o.c.customer_id,
        o.c.created_at,
        o.c.part_number,
        o.c.country,
        o.c.quantity,
        o.c.priority_class,
        o.c.tier,
        o.c.lost_code,
        o.c.status,
        o.c.closed_at,
        o.c.backordered,
        o.c.backorder_code,
    ).where(o.c.created_at <= as_of)
    if chosen is not None:
        query = query.where(o.c.customer_id.in_(chosen))
    rows = connection.execute(query.order_by(o.c.order_id)).all()
    if not rows:
        return empty_orders()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(rows[0]._fields))
    closed = pd.to_datetime(frame["closed_at"])
    after = closed.notna() & (closed > pd.Timestamp(as_of))
    status = frame["status"].map(_STATUS).fillna("open").where(~after, "open")
    restored = closed.where(status == "restored")
    lost = _blank(frame["lost_code"])
    code = _blank(frame["backorder_code"])
    backordered = frame["backordered"].astype(bool).to_numpy()
    by_class = lost.notna() & code.isin(CLASS_CAUSES)
    code = code.where(~by_class, lost).where(backordered, None)
    homes = _homes(connection, sorted(set(frame["country"].astype(str))))
    orders = pd.DataFrame(
        {
            "replication": np.zeros(len(frame), dtype=np.int64),
            "order_id": frame["order_id"].astype(object),
            "customer_id": frame["customer_id"].astype(object),
            "created_at": pd.to_datetime(frame["created_at"]).astype("datetime64[ns]"),
            "part_number": frame["part_number"].astype(object),
            "depot_id": frame["country"].map(lambda c: homes.get(str(c)) or "").astype(object),
            "country": frame["country"].astype(object),
            "quantity": frame["quantity"].astype(np.int64),
            "priority_class": frame["priority_class"].astype(object),
            "tier": frame["tier"].astype(object),
            "lost_code": lost.astype(object),
            "status": status.astype(object),
            "restored_at": restored.astype("datetime64[ns]"),
            "backordered": backordered,
            "code": code.astype(object),
        }
    )
    return orders[list(empty_orders().columns)]


def _late_codes(
    orders: pd.DataFrame, sources: pd.DataFrame, as_of: datetime, target_hours: float
) -> pd.DataFrame:
    """The code of orders never short but late: ``waiting_for_receipt`` when a receipt
    served them, else ``slow_source`` (their units were found at once; the time to bring
    them was longer than the target)."""
    end = orders["restored_at"].where(orders["status"] == "restored", pd.Timestamp(as_of))
    hours = (end - orders["created_at"]).dt.total_seconds() / 3600.0
    late = (
        (orders["status"] != "cancelled")
        & ~orders["backordered"].astype(bool)
        & orders["code"].isna()
        & (hours > target_hours)
    )
    if not late.any():
        return orders
    inbound = set(sources.loc[sources["source_kind"] == SourceKind.INBOUND.value, "order_id"])
    waited = orders["order_id"].isin(inbound)
    code = np.where(waited, WAITING_FOR_RECEIPT, SLOW_SOURCE)
    return orders.assign(code=orders["code"].where(~late, pd.Series(code, index=orders.index)))


def _blank(values: pd.Series) -> pd.Series:
    """Text with blanks as None."""
    return values.astype(object).where(values.notna() & (values.astype(str) != ""), None)


def _homes(connection: Connection, countries: list[str]) -> dict[str, str | None]:
    """Each country's home depot, found by the engine's own routes over the store's lanes."""
    master = read_master(connection)
    if master is None or not countries:
        return {}
    depots = sorted(master.depots["depot_id"].astype(str))
    kinds = dict.fromkeys(depots, "depot")
    kinds.update(dict.fromkeys(master.suppliers, "supplier"))
    graph = build_network(master.lanes, master.depots, master.suppliers)
    table = routes(graph, sorted(set(depots) | set(master.suppliers)), countries, kinds)
    return table.home_depots(depots)


def _sources(connection: Connection, as_of: datetime, chosen: list[str] | None) -> pd.DataFrame:
    entries, o = schema.ledger, schema.orders
    sign = case((entries.c.event == "allocate", 1), (entries.c.event == "release", -1), else_=0)
    query = (
        select(
            entries.c.order_id,
            entries.c.source,
            func.sum(sign * entries.c.quantity),
            func.sum(sign * entries.c.cost),
        )
        .where(entries.c.recorded_at <= as_of)
        .group_by(entries.c.order_id, entries.c.source)
        .order_by(entries.c.order_id, entries.c.source)
    )
    if chosen is not None:
        mine = select(o.c.order_id).where(o.c.customer_id.in_(chosen))
        query = query.where(entries.c.order_id.in_(mine))
    rows = [r for r in connection.execute(query).all() if int(r[2] or 0) > 0]
    if not rows:
        return empty_sources()
    return pd.DataFrame(
        {
            "replication": np.zeros(len(rows), dtype=np.int64),
            "order_id": pd.Series([str(r[0]) for r in rows], dtype=object),
            "source_kind": pd.Series([str(r[1]) for r in rows], dtype=object),
            "quantity": np.array([int(r[2]) for r in rows], dtype=np.int64),
            "money": np.round(np.array([float(r[3] or 0.0) for r in rows]), 6),
        }
    )


def _customers(connection: Connection, chosen: list[str] | None, book: Rulebook) -> pd.DataFrame:
    c, k = schema.customers, schema.contracts
    people = select(c.c.customer_id, c.c.name).order_by(c.c.customer_id)
    bought = select(k.c.customer_id, k.c.sku)
    if chosen is not None:
        people = people.where(c.c.customer_id.in_(chosen))
        bought = bought.where(k.c.customer_id.in_(chosen))
    contracts = list(connection.execute(bought).all())
    rows: list[Any] = list(connection.execute(people).all())
    tiers = book.best_tiers(
        [r[0] for r in rows], [c[0] for c in contracts], [c[1] for c in contracts]
    )
    return pd.DataFrame(
        {
            "customer_id": pd.Series([str(r[0]) for r in rows], dtype=object),
            "name": pd.Series([str(r[1]) for r in rows], dtype=object),
            "tier": pd.Series([t.value for t in tiers], dtype=object),
        }
    )
