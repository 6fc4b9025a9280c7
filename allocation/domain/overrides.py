"""Planner overrides: decisions a planner takes by hand, which every later plan honours.

- **Firm** an allocation line: ``quantity`` units of an order from one source (its kind
  and origin) are released for delivery. They leave the supply and the order's need before
  any plan is made — like units already shipped, never pre-empted — and stay in the plan's
  lines as they are, flagged ``firm``.
- **Forbid** a source for an order: no plan gives the order units of that kind from that
  origin (blank origin: from any origin of that kind).

A **previous plan** (:class:`Previous`) is what a new plan is measured against for churn
(:mod:`allocation.engine._churn`), and what the policy's ``churn_penalty`` prices.

Overrides are data: the optional ``overrides`` table of a snapshot
(:data:`allocation.domain.tables.OVERRIDES`), kept by order id, so they survive every
re-plan, incremental or full.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from allocation.domain.model import SourceKind
from allocation.domain.tables import OVERRIDES
from allocation.errors import InputError

__all__ = ["Firm", "Forbid", "MoveError", "Overrides", "Previous", "empty_overrides"]


class MoveError(InputError):
    """A move of units between two orders that cannot be made: the message names both."""


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

    def row(self) -> dict[str, object]:
        """The firm as a row of the ``overrides`` table."""
        return {
            "kind": "firm",
            "order_id": self.order_id,
            "source_kind": self.kind.value,
            "origin": self.origin,
            "quantity": self.quantity,
        }

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


@dataclass(frozen=True)
class Previous:
    """A previous plan's units per (order id, source kind, origin): what churn is counted
    against, and what the policy's ``churn_penalty`` asks a new plan to keep.

    Examples
    --------
    >>> lines = pd.DataFrame({"order_id": ["A", "A"], "source": ["stock", "stock"],
    ...                       "origin": ["D1", "D1"], "quantity": [1, 2]})
    >>> Previous.of(lines).units
    {('A', 'stock', 'D1'): 3}
    """

    units: dict[tuple[str, str, str], int]

    def __bool__(self) -> bool:
        return bool(self.units)

    @classmethod
    def of(cls, lines: pd.DataFrame) -> Previous:
        """A plan's lines (``order_id``, ``source``, ``origin``, ``quantity``) summed per
        (order, source kind, origin); lines with no units are dropped."""
        keys = ["order_id", "source", "origin"]
        if lines.empty:
            return cls({})
        missing = [c for c in [*keys, "quantity"] if c not in lines]
        if missing:
            raise ValueError(f"previous plan: no column {missing[0]!r}")
        sums = lines.groupby(keys, sort=True)["quantity"].sum()
        index = sums.index
        units = {
            (str(o), str(k), str(g)): int(q)
            for o, k, g, q in zip(
                index.get_level_values(0),
                index.get_level_values(1),
                index.get_level_values(2),
                sums.tolist(),
                strict=True,
            )
            if int(q) > 0
        }
        return cls(units)

    def for_orders(self, order_ids: frozenset[str]) -> dict[tuple[str, str, str], int]:
        """The entries of these orders."""
        return {k: q for k, q in self.units.items() if k[0] in order_ids}
