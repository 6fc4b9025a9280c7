"""Fixtures of the service tests: a store per kind, an app over it, a client with a token."""

from __future__ import annotations

import shutil
import uuid
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
from tests.service.stores import postgres_copy, postgres_template, store_url

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


TINY_STOCK = {"P-A": 2, "P-B": 1}


def _fill(url: str) -> None:
    """Migrate the database at ``url`` and load the tiny world into it."""
    engine = make_engine(url)
    migrate(engine)
    load_into_store(engine, worlds.snapshot(TINY_STOCK))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated and loaded with the tiny world once per run: every SQLite test
    store starts as a copy of it (a copy is a thousandth of the migrations and the load)."""
    path = tmp_path_factory.mktemp("template") / "tiny.db"
    _fill(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_tiny_template() -> Iterator[str]:
    """A PostgreSQL database migrated and loaded with the tiny world once per test process:
    every PostgreSQL test store starts as a copy of it."""
    with postgres_template(_fill) as name:
        yield name


@pytest.fixture
def engine(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated database holding the tiny world (P-A: 2 units, P-B: 1 unit)."""
    if store_kind == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / f"store-{uuid.uuid4().hex[:6]}.db"
        shutil.copyfile(template, path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
        return
    with postgres_copy(request.getfixturevalue("postgres_tiny_template")) as url:
        engine = make_engine(url)
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
