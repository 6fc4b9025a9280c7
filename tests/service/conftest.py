"""Fixtures of the service tests: a store per kind, an app over it, a client with a token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from allocation.adapters.store import make_engine, migrate
from allocation.service.app import create_app
from allocation.service.loading import load_into_store
from allocation.service.settings import ServiceSettings
from tests.service import worlds
from tests.service.stores import store_url

TOKEN = "test-token-0123456789"
OTHER_TOKEN = "other-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

STORES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    """Each test that uses a store runs on SQLite and on PostgreSQL."""
    return str(request.param)


@pytest.fixture
def db_url(store_kind: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database."""
    with store_url(store_kind, tmp_path) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database holding the tiny world (P-A: 2 units, P-B: 1 unit)."""
    engine = make_engine(db_url)
    migrate(engine)
    load_into_store(engine, worlds.snapshot({"P-A": 2, "P-B": 1}))
    yield engine
    engine.dispose()


def make_client(engine: Engine, **settings: object) -> TestClient:
    """A test client of a new app over the engine (a new app is a restarted server)."""
    options: dict[str, object] = {"tokens": (TOKEN, OTHER_TOKEN), **settings}
    app = create_app(ServiceSettings(**options), engine)  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def client(engine: Engine) -> TestClient:
    """A client of the service over the tiny world."""
    return make_client(engine)
