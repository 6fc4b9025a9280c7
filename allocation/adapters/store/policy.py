"""The service's allocation policy as the store keeps it: one row, or none for the defaults.

The row holds the document (a policy file's sections as JSON), not the engine's objects, so
that every process reads it with the same parser the command line uses
(:mod:`allocation.adapters.policy_file`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema

__all__ = ["StoredPolicy", "read_policy", "write_policy"]


@dataclass(frozen=True)
class StoredPolicy:
    """A policy document, the name of the file it came from and its SHA-256 (hex)."""

    name: str
    sha256: str
    document: str
    loaded_at: datetime


_P = schema.service_policy


def read_policy(connection: Connection) -> StoredPolicy | None:
    """The stored policy (None: none was loaded, the defaults apply)."""
    row = connection.execute(
        select(_P.c.name, _P.c.sha256, _P.c.document, _P.c.loaded_at).where(_P.c.id == 1)
    ).first()
    if row is None:
        return None
    return StoredPolicy(str(row[0]), str(row[1]), str(row[2]), row[3])


def write_policy(connection: Connection, policy: StoredPolicy) -> None:
    """Replace the stored policy (in the caller's transaction)."""
    connection.execute(delete(_P))
    connection.execute(
        insert(_P).values(
            id=1,
            name=policy.name,
            sha256=policy.sha256,
            document=policy.document,
            loaded_at=policy.loaded_at,
        )
    )
