"""Statements built in pairs: for a list of values, and for one value.

An expanding ``IN`` is compiled anew for every execution; most writes name one order, one
part or one group, and a plain comparison is served from SQLAlchemy's statement cache.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import bindparam
from sqlalchemy.sql.elements import ColumnElement

__all__ = ["among", "pair", "pick"]

S = TypeVar("S")


def among(column: ColumnElement[Any], name: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """``column IN (:name...)`` and ``column = :name``: the conditions of a pair."""
    return column.in_(bindparam(name, expanding=True)), column == bindparam(name)


def pair(
    build: Callable[[ColumnElement[bool]], S], column: ColumnElement[Any], name: str
) -> tuple[S, S]:
    """A statement for a list of values of ``column`` and one for a single value."""
    many, one = among(column, name)
    return build(many), build(one)


def pick(pair: tuple[S, S], name: str, values: Sequence[Any]) -> tuple[S, dict[str, Any]]:
    """The statement of a pair for these values, and its parameters."""
    if len(values) == 1:
        return pair[1], {name: values[0]}
    return pair[0], {name: list(values)}
