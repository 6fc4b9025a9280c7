"""Small helpers for talking to the service in tests."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Engine

from allocation.adapters.store.database import run_read
from allocation.adapters.store.reconcile import check_store
from tests.service.conftest import AUTH


def key() -> str:
    """A fresh idempotency key."""
    return uuid.uuid4().hex


def write(
    client: Any,
    method: str,
    path: str,
    body: Any = None,
    idempotency_key: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """A keyed write with the test token (a fresh key unless one is given)."""
    sent = {**AUTH, "Idempotency-Key": idempotency_key or key(), **(headers or {})}
    return client.request(method, path, json=body, headers=sent)


def ledger_problems(engine: Engine) -> list[str]:
    """What :func:`check_store` finds wrong: every committed state of every part group in
    which a supply was promised beyond its units, and every disagreement between the
    ledger, the journal and the current tables."""
    return run_read(engine, check_store)
