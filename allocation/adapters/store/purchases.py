"""The purchases the service knows the outcome of, for the supplier scorecard: broker and
expedite lines shipped (they arrived) and those the order system reported failed."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, literal, select, union_all
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema
from allocation.domain.model import SourceKind
from allocation.reports import BUY_COLUMNS

__all__ = ["purchase_outcomes"]

PURCHASES = tuple(kind.value for kind in SourceKind if kind.is_purchase)


def purchase_outcomes(connection: Connection) -> pd.DataFrame:
    """One row per purchase line with an outcome (the columns of
    :data:`allocation.reports.BUY_COLUMNS`): each shipment of a bought line arrived, each
    reported failure failed; the success probability its supply option declares beside it
    (1 where the option leaves it blank, NaN where the option is gone). Lines still on
    their way have no outcome yet and are not counted."""
    ledger, failures, options = schema.ledger, schema.purchase_failures, schema.supply_options
    shipped = select(
        ledger.c.origin.label("supplier_id"),
        ledger.c.source.label("source"),
        ledger.c.part_number.label("part_number"),
        literal(False).label("failed"),
    ).where(ledger.c.event == "consume", ledger.c.source.in_(PURCHASES))
    failed = select(
        failures.c.supplier_id,
        failures.c.source,
        failures.c.part_number,
        literal(True).label("failed"),
    )
    outcomes = union_all(shipped, failed).subquery()
    query = (
        select(
            outcomes.c.supplier_id,
            outcomes.c.source,
            outcomes.c.failed,
            options.c.success_probability,
            options.c.part_number.label("option_part"),
        )
        .select_from(
            outcomes.outerjoin(
                options,
                and_(
                    options.c.part_number == outcomes.c.part_number,
                    options.c.source == outcomes.c.source,
                    options.c.supplier_id == outcomes.c.supplier_id,
                ),
            )
        )
        .order_by(outcomes.c.supplier_id, outcomes.c.source)
    )
    rows = connection.execute(query).all()
    frame = pd.DataFrame(
        rows, columns=["supplier_id", "source", "failed", "declared", "option_part"]
    )
    known = frame["option_part"].notna()
    declared = pd.to_numeric(frame["declared"], errors="coerce").astype("float64")
    frame["declared_success"] = declared.where(~known | declared.notna(), 1.0)
    frame["failed"] = frame["failed"].astype(bool)
    return frame[list(BUY_COLUMNS)]
