"""A second server process for tests: it posts one keyed write and holds it in flight.

Run with a ``spawn`` multiprocessing context: :func:`hold_order` builds its own app over the
SQLite file, posts the order, and stops inside the order's write transaction (after its key
is claimed, with the write lock held) until ``release`` is set or the process is killed.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

import allocation.service.jobs as jobs
from allocation.adapters.store import make_engine
from allocation.service.app import create_app
from allocation.service.settings import ServiceSettings
from tests.service.conftest import AUTH, TOKEN


def hold_order(
    url: str, body: dict[str, Any], key: str, started: Any, release: Any, out: Any
) -> None:
    """Post ``body`` under ``key``; wait for ``release`` inside its transaction; put the answer."""
    create_orders = jobs.create_orders

    def held(*args: Any, **kwargs: Any) -> Any:
        started.set()
        release.wait(timeout=120)
        return create_orders(*args, **kwargs)

    jobs.create_orders = held  # type: ignore[assignment]
    engine = make_engine(url)
    client = TestClient(create_app(ServiceSettings(tokens=(TOKEN,)), engine))
    answer = client.post("/orders", json=body, headers={**AUTH, "Idempotency-Key": key})
    out.put((answer.status_code, answer.json()))
    engine.dispose()
