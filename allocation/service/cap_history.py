"""What parties took earlier in each fair-share cap's period: the service's shipments.

A cap (:mod:`allocation.domain.fair_share`) limits what a customer, country or region takes
of a part in a day, week or month. A snapshot file has no past, so there only the plan's own
units count; the service has one: the units its orders shipped since the period began
(``consume`` entries of the ledger, by the order's part and party, at the order's
``closed_at``). They count against the party's cap, and as part of the period's supply
for a cap set as a share (:class:`~allocation.domain.fair_share.TakenEarlier`), in every
plan the service makes: the writer's planner when it builds or rebuilds a part group
(:mod:`allocation.service.plans`) and the reads that re-plan a group from its rows.

A part group is read again when one of its caps' periods has turned since it was read
(:func:`period_turned`): a new week starts from nothing taken.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema
from allocation.domain.fair_share import Cap, TakenEarlier, party_of, period_start
from allocation.domain.policy import AllocationPolicy

__all__ = ["period_turned", "taken_earlier"]

_FILTER_AT_MOST = 500
"""Parts named in the query itself; more (a whole load) are read whole and sorted here."""


def taken_earlier(
    connection: Connection, policy: AllocationPolicy, parts: Sequence[str], now: datetime
) -> TakenEarlier:
    """Units shipped to each party of each capped part among ``parts`` since its cap's
    period began (none when the policy caps nothing)."""
    rules = policy.fair_share
    if not rules.caps:
        return TakenEarlier()
    cap_of: dict[str, Cap] = {}
    since: dict[str, datetime] = {}
    for part in parts:
        cap = rules.cap_of(part)
        if cap is not None:
            cap_of[part] = cap
            since[part] = period_start(cap.period, now)
    if not cap_of:
        return TakenEarlier()
    o, entry = schema.orders, schema.ledger
    query = (
        select(
            o.c.part_number,
            entry.c.part_number,
            o.c.customer_id,
            o.c.country,
            o.c.closed_at,
            func.sum(entry.c.quantity),
        )
        .join(o, o.c.order_id == entry.c.order_id)
        .where(
            entry.c.event == "consume",
            o.c.status == "shipped",
            o.c.closed_at >= min(since.values()),
        )
        .group_by(o.c.part_number, entry.c.part_number, o.c.customer_id, o.c.country, o.c.closed_at)
    )
    if len(cap_of) <= _FILTER_AT_MOST:
        query = query.where(o.c.part_number.in_(sorted(cap_of)))
    by_party: dict[tuple[str, str], int] = defaultdict(int)
    by_part: dict[str, int] = defaultdict(int)
    for asked, shipped, customer, country, closed, units in connection.execute(query):
        asked, shipped, country = str(asked), str(shipped), str(country)
        cap = cap_of.get(asked)
        if cap is not None and closed >= since[asked]:
            by_party[(asked, party_of(cap.by, str(customer), country))] += int(units)
        if shipped in cap_of and closed >= since[shipped]:
            by_part[shipped] += int(units)
    return TakenEarlier(by_party=dict(by_party), by_part=dict(by_part), since=since)


def period_turned(
    taken: TakenEarlier, policy: AllocationPolicy, parts: Collection[str], now: datetime
) -> bool:
    """Whether a cap period of one of ``parts`` has turned since ``taken`` was read."""
    if not policy.fair_share.caps:
        return False
    for part in parts:
        cap = policy.fair_share.cap_of(part)
        if cap is not None and taken.since.get(part) != period_start(cap.period, now):
            return True
    return False
