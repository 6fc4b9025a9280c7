"""Planner overrides: decisions a planner takes by hand, which every later plan honours.

- **Firm** an allocation line: ``quantity`` units of an order from one source (its kind
  and origin) are released for delivery. They leave the supply and the order's need before
  any plan is made — like units already shipped, never pre-empted — and stay in the plan's
  lines as they are, flagged ``firm``.
- **Forbid** a source for an order: no plan gives the order units of that kind from that
  origin (blank origin: from any origin of that kind).

Overrides are data: the optional ``overrides`` table of a snapshot
(:data:`allocation.domain.tables.OVERRIDES`), kept by order id, so they survive every
re-plan, incremental or full.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from allocation.domain.model import SourceKind
from allocation.domain.tables import OVERRIDES

__all__ = ["Firm", "Forbid", "Overrides", "empty_overrides"]


@dataclass(frozen=True, slots=True)
class Forbid:
    """Order ``order_id`` may not take units of ``kind`` from ``origin`` (None: anywhere)."""

    order_id: str
    kind: SourceKind
    origin: str | None

    def describe(self) -> str:
        """The override in words, for messages."""
        where = f" from {self.origin}" if self.origin else ""
        return f"forbid {self.kind.value}{where} for {self.order_id}"


@dataclass(frozen=True, slots=True)
class Firm:
    """``quantity`` units of ``kind`` from ``origin`` are released to order ``order_id``."""

    order_id: str
    kind: SourceKind
    origin: str
    quantity: int

    def describe(self) -> str:
        """The override in words, for messages."""
        return (
            f"firm {self.quantity} unit(s) of {self.order_id} from "
            f"{self.kind.value} at {self.origin}"
        )


@dataclass(frozen=True)
class Overrides:
    """A snapshot's overrides, in the table's row order.

    Examples
    --------
    >>> table = pd.DataFrame({"kind": ["forbid"], "order_id": ["O-1"],
    ...                       "source_kind": ["broker"], "origin": [None], "quantity": [None]})
    >>> Overrides.of(table).forbid[0].describe()
    'forbid broker for O-1'
    """

    forbid: tuple[Forbid, ...] = ()
    firm: tuple[Firm, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.forbid or self.firm)

    def order_ids(self) -> frozenset[str]:
        """Every order an override names."""
        return frozenset(f.order_id for f in self.forbid) | {f.order_id for f in self.firm}

    def forbidding(self) -> frozenset[str]:
        """The orders with a forbidden source."""
        return frozenset(f.order_id for f in self.forbid)

    def firming(self) -> frozenset[str]:
        """The orders with firmed units."""
        return frozenset(f.order_id for f in self.firm)

    @classmethod
    def of(cls, table: pd.DataFrame) -> Overrides:
        """The overrides of a validated ``overrides`` table (see
        :func:`allocation.load_snapshot`, which checks the rows)."""
        forbid: list[Forbid] = []
        firm: list[Firm] = []
        columns = [table[c.name].tolist() for c in OVERRIDES.columns]
        for kind, order_id, source_kind, origin, quantity in zip(*columns, strict=True):
            where = None if origin is None or pd.isna(origin) or origin == "" else str(origin)
            if kind == "forbid":
                forbid.append(Forbid(str(order_id), SourceKind(source_kind), where))
            else:
                firm.append(Firm(str(order_id), SourceKind(source_kind), str(where), int(quantity)))
        return cls(tuple(forbid), tuple(firm))


def empty_overrides() -> pd.DataFrame:
    """An ``overrides`` table with no rows (a snapshot without overrides)."""
    return pd.DataFrame({c.name: pd.Series(dtype=object) for c in OVERRIDES.columns})
