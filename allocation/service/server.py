"""Starting the service and loading its database: what ``serve`` and ``load`` run.

``serve`` migrates the database once, then starts uvicorn; with ``--workers N`` each worker
process builds its own app from the ``PARTS_PRIORITY_*`` environment this sets, and all of
them share the database, which keeps them from promising a unit twice.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import func, select

from allocation.adapters.snapshot import load_snapshot
from allocation.adapters.store import schema
from allocation.adapters.store.database import make_engine, resolve_url, run_read
from allocation.adapters.store.master import master_version
from allocation.adapters.store.migrate import migrate
from allocation.errors import InputError
from allocation.service.loading import LoadSummary, load_into_store
from allocation.service.settings import ServiceSettings, read_token_file

__all__ = ["load_database", "serve_forever", "settings_for_serve"]


def load_database(snapshot_dir: Path, url: str | None, replace: bool) -> LoadSummary:
    """Migrate the database and load a snapshot into it.

    Raises
    ------
    InputError
        The snapshot is invalid, or the database already holds a load and ``replace`` is
        false (a load replaces orders, the ledger and idempotency keys).
    """
    snapshot = load_snapshot(snapshot_dir)
    engine = make_engine(url)
    try:
        migrate(engine)

        def loaded(connection: object) -> tuple[str | None, int]:
            from sqlalchemy.engine import Connection

            assert isinstance(connection, Connection)
            count = connection.execute(select(func.count()).select_from(schema.orders)).scalar_one()
            return master_version(connection), int(count)

        version, orders = run_read(engine, loaded)
        if version is not None and not replace:
            raise InputError(
                f"{resolve_url(url)} already holds a load ({orders:,} orders); pass --replace "
                "to replace everything in it (orders, allocations and idempotency keys)"
            )
        return load_into_store(engine, snapshot)
    finally:
        engine.dispose()


def settings_for_serve(
    url: str | None,
    token_file: Path | None,
    no_auth: bool,
    max_body: int,
    max_lines: int,
    writer: str | None = None,
) -> tuple[ServiceSettings, dict[str, str]]:
    """Settings of the server and the environment that gives them to worker processes.

    ``writer``: ``process`` or ``thread`` (None: ``$PARTS_PRIORITY_WRITER``, else process).
    """
    env: dict[str, str] = {
        "PARTS_PRIORITY_DB": resolve_url(url),
        "PARTS_PRIORITY_MAX_BODY": str(max_body),
        "PARTS_PRIORITY_MAX_LINES": str(max_lines),
        "PARTS_PRIORITY_NO_AUTH": "1" if no_auth else "0",
        "PARTS_PRIORITY_WRITER": writer or os.environ.get("PARTS_PRIORITY_WRITER") or "process",
    }
    if os.environ.get("PARTS_PRIORITY_TOKEN"):
        env["PARTS_PRIORITY_TOKEN"] = os.environ["PARTS_PRIORITY_TOKEN"]
    if token_file is not None:
        read_token_file(token_file)  # fail now, with the file's name, not in a worker
        env["PARTS_PRIORITY_TOKEN_FILE"] = str(token_file.resolve())
    elif not no_auth:
        env.pop("PARTS_PRIORITY_TOKEN_FILE", None)
    settings = ServiceSettings.from_env({**os.environ, **env})
    return settings, env


def serve_forever(
    settings: ServiceSettings, env: dict[str, str], host: str, port: int, workers: int
) -> None:
    """Migrate, then run uvicorn until it is stopped."""
    import uvicorn

    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    os.environ.update(env)
    uvicorn.run(
        "allocation.service.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=10,
    )
