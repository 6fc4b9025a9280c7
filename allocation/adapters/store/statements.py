"""Statements built in pairs (for a list of values, and for one value), and statements
written for the driver itself.

An expanding ``IN`` is compiled anew for every execution; most writes name one order, one
part or one group, and a plain comparison is served from SQLAlchemy's statement cache.

The few statements every post runs are written for the driver (:class:`Raw`): SQLAlchemy
spends 20 to 50 µs of CPU turning a cached statement and its parameters into a call of the
driver, which itself needs 1 (SQLite) to 17 (psycopg) µs, and a post runs several. They run
on the driver connection under SQLAlchemy's transaction, so they commit and roll back (and
honour savepoints) with everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

__all__ = [
    "Raw",
    "among",
    "driver_moment",
    "pair",
    "pick",
    "placeholders",
    "read_moment",
    "run_raw",
    "run_raw_many",
]

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


@dataclass(frozen=True)
class Raw:
    """A statement for the driver: SQL with ``?`` placeholders for SQLite and, by default,
    the same with ``%s`` for psycopg (a different text may be given for PostgreSQL)."""

    sqlite: str
    postgres: str

    @classmethod
    def of(cls, sql: str, postgres: str | None = None) -> Raw:
        """The statement; ``postgres`` when PostgreSQL needs other SQL (``%s`` placeholders)."""
        if postgres is None:
            postgres = sql.replace("%", "%%").replace("?", "%s")
        return cls(sql, postgres)

    def text(self, connection: Connection) -> str:
        """The SQL for the connection's database."""
        return self.sqlite if connection.dialect.name == "sqlite" else self.postgres


def _driver(connection: Connection) -> Any:
    driver = connection.connection.driver_connection
    assert driver is not None
    return driver


def driver_moment(connection: Connection, moment: datetime | None) -> Any:
    """A moment as the database stores it: text in SQLAlchemy's format on SQLite (so that
    rows written here and through SQLAlchemy compare equal), the datetime on PostgreSQL."""
    if moment is None or connection.dialect.name != "sqlite":
        return moment
    if type(moment) is datetime and moment.tzinfo is None and moment.year >= 1000:
        # The same text, at a third of strftime's cost (a post writes several moments).
        return moment.isoformat(" ", "microseconds")
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def read_moment(value: Any) -> datetime | None:
    """A moment as a driver reads it back: SQLite's text parsed as SQLAlchemy parses it
    (:meth:`datetime.fromisoformat`), PostgreSQL's datetime as it is."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def placeholders(count: int) -> str:
    """``?, ?, ?``: the placeholders of an ``IN`` list of ``count`` values (:class:`Raw`)."""
    if count < 1:
        raise ValueError(f"an IN list needs at least one value, got {count}")
    return ", ".join("?" * count)


def run_raw(connection: Connection, statement: Raw, params: Sequence[Any] = ()) -> Any:
    """Execute on the driver connection; the driver's cursor (``fetchall``, ``fetchone``,
    ``rowcount``)."""
    return _driver(connection).execute(statement.text(connection), tuple(params))


def run_raw_many(connection: Connection, statement: Raw, rows: Iterable[Sequence[Any]]) -> int:
    """Execute once per row of parameters (psycopg sends them all before reading a result);
    the rows changed in all.

    Most writes give one row: psycopg runs a lone row as a plain statement, without the
    pipeline that ``executemany`` enters and leaves (about 40 µs of CPU each time).
    """
    rows = [tuple(r) for r in rows]
    if not rows:
        return 0
    driver = _driver(connection)
    if connection.dialect.name == "sqlite":
        return int(driver.executemany(statement.sqlite, rows).rowcount)
    with driver.cursor() as cursor:
        if len(rows) == 1:
            cursor.execute(statement.postgres, rows[0])
        else:
            cursor.executemany(statement.postgres, rows)
        return int(cursor.rowcount)
