"""What a performance report is computed from: the facts of served orders, wherever they come
from.

The service's database (what actually happened) and a simulation run (what would happen in a
flood) describe the same things in different stores. Each is read into these tables, and one
pure function (:func:`allocation.reports.customer_report`) turns them into a report, so a
figure means the same whichever source it came from.

``orders`` — one row per repair order line (and replication):

==================  ===========================================================================
column              meaning
==================  ===========================================================================
replication         0 for the database; a run's replication number
order_id            the order line
customer_id         who placed it
created_at          when the unit went down (naive UTC): its downtime starts
part_number         the part it needs
depot_id            its home depot (blank when no depot reaches it)
country             the site's country (ISO alpha-2)
quantity            units wanted
priority_class      ``parts_priority`` or ``standard``
tier                the tier that applied to it (``standard`` when it was not entitled)
lost_code           why it lost parts priority (``excluded_country``, ``not_entitled:<rule>``),
                    blank when it kept it or its customer holds no Priority Management contract
status              ``restored`` (its last unit arrived), ``open`` or ``cancelled``
restored_at         when its downtime ended (blank unless restored)
backordered         whether it was ever short of units
code                the root cause of its wait when it was short or late (blank otherwise)
==================  ===========================================================================

``sources`` — units and money that served the orders: ``replication``, ``order_id``,
``source_kind`` (stock, transfer, inbound, expedite, broker), ``quantity``, ``money``.

``customers`` — ``customer_id``, ``name`` and ``tier`` (its best Priority Services tier).

The facts end at ``as_of``: an order still open then has waited at least until ``as_of``, a
lower bound of its downtime. ``replications`` says how many equally likely histories the
tables hold (1 for the database); counts in a report are means over them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from allocation.domain.model import SourceKind
from allocation.domain.root_causes import is_code
from allocation.errors import InputError

__all__ = [
    "CUSTOMER_COLUMNS",
    "ORDER_COLUMNS",
    "SOURCE_COLUMNS",
    "STATUSES",
    "ReportFacts",
]

ORDER_COLUMNS: tuple[str, ...] = (
    "replication",
    "order_id",
    "customer_id",
    "created_at",
    "part_number",
    "depot_id",
    "country",
    "quantity",
    "priority_class",
    "tier",
    "lost_code",
    "status",
    "restored_at",
    "backordered",
    "code",
)
SOURCE_COLUMNS: tuple[str, ...] = ("replication", "order_id", "source_kind", "quantity", "money")
CUSTOMER_COLUMNS: tuple[str, ...] = ("customer_id", "name", "tier")
STATUSES: tuple[str, ...] = ("restored", "open", "cancelled")


@dataclass(frozen=True)
class ReportFacts:
    """Served orders, what served them and who the customers are, up to ``as_of``.

    ``origin`` names the source in the report ("database", "simulation run: Thailand
    floods"); ``target_hours`` is the downtime promised, which ``within_target_share``
    measures.
    """

    orders: pd.DataFrame
    sources: pd.DataFrame
    customers: pd.DataFrame
    as_of: datetime
    target_hours: float
    origin: str
    replications: int = 1

    def __post_init__(self) -> None:
        for name, frame, columns in (
            ("orders", self.orders, ORDER_COLUMNS),
            ("sources", self.sources, SOURCE_COLUMNS),
            ("customers", self.customers, CUSTOMER_COLUMNS),
        ):
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                raise InputError(f"report facts: the {name} table lacks {', '.join(missing)}")
        if self.replications < 1:
            raise InputError("report facts: replications must be at least 1")
        if not np.isfinite(self.target_hours) or self.target_hours <= 0:
            raise InputError(
                f"report facts: the downtime target must be a positive number of hours, "
                f"not {self.target_hours!r}"
            )
        statuses = set(pd.unique(self.orders["status"]).tolist()) - set(STATUSES)
        if statuses:
            raise InputError(
                f"report facts: unknown order status {sorted(map(str, statuses))}; "
                f"expected one of {', '.join(STATUSES)}"
            )
        kinds = set(pd.unique(self.sources["source_kind"]).tolist()) - {k.value for k in SourceKind}
        if kinds:
            raise InputError(f"report facts: unknown source kind {sorted(map(str, kinds))}")
        codes = {
            str(c)
            for column in ("code", "lost_code")
            for c in pd.unique(self.orders[column].dropna()).tolist()
        }
        unknown = sorted(c for c in codes if not is_code(c))
        if unknown:
            raise InputError(f"report facts: unknown root-cause code(s) {unknown}")

    def customer_ids(self, tiers: tuple[str, ...] | None = None) -> list[str]:
        """The customers (of ``tiers`` when given), sorted."""
        frame = self.customers
        if tiers is not None:
            frame = frame[frame["tier"].isin(tiers)]
        return sorted(frame["customer_id"].astype(str).tolist())


def empty_orders() -> pd.DataFrame:
    """An ``orders`` table without rows, with the column types a source gives."""
    return pd.DataFrame(
        {
            "replication": pd.Series(dtype=np.int64),
            "order_id": pd.Series(dtype=object),
            "customer_id": pd.Series(dtype=object),
            "created_at": pd.Series(dtype="datetime64[ns]"),
            "part_number": pd.Series(dtype=object),
            "depot_id": pd.Series(dtype=object),
            "country": pd.Series(dtype=object),
            "quantity": pd.Series(dtype=np.int64),
            "priority_class": pd.Series(dtype=object),
            "tier": pd.Series(dtype=object),
            "lost_code": pd.Series(dtype=object),
            "status": pd.Series(dtype=object),
            "restored_at": pd.Series(dtype="datetime64[ns]"),
            "backordered": pd.Series(dtype=bool),
            "code": pd.Series(dtype=object),
        }
    )


def empty_sources() -> pd.DataFrame:
    """A ``sources`` table without rows."""
    return pd.DataFrame(
        {
            "replication": pd.Series(dtype=np.int64),
            "order_id": pd.Series(dtype=object),
            "source_kind": pd.Series(dtype=object),
            "quantity": pd.Series(dtype=np.int64),
            "money": pd.Series(dtype=np.float64),
        }
    )
