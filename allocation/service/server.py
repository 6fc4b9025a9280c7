"""Starting the service and loading its database: what ``serve`` and ``load`` run.

``serve`` migrates the database once, logs a startup line, then starts uvicorn; with
``--workers N`` each worker process builds its own app from the ``PARTS_PRIORITY_*``
environment this sets, and all of them share the database, which keeps them from promising a
unit twice. Every worker speaks HTTP through :mod:`allocation.service.protocol` (limits on a
request's head and on the time to read it) and logs as :mod:`allocation.service.logs` says.
"""

from __future__ import annotations

import logging
import logging.config
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import URL, Connection, make_url

from allocation.adapters.snapshot import load_snapshot
from allocation.adapters.store import schema
from allocation.adapters.store.database import make_engine, resolve_url, run_read
from allocation.adapters.store.master import master_version
from allocation.adapters.store.migrate import migrate
from allocation.errors import InputError
from allocation.service.clock import utc_now
from allocation.service.loading import LoadSummary, load_into_store
from allocation.service.logs import SERVICE_LOGGER, log_config
from allocation.service.policy import (
    DEFAULT_NAME,
    ServicePolicy,
    check_servable,
    policy_from_file,
    service_policy,
)
from allocation.service.settings import ConnectionLimits, ServiceSettings, read_token_file

__all__ = [
    "ServeOptions",
    "load_database",
    "public_url",
    "serve_forever",
    "settings_for_serve",
    "startup_line",
]

_log = logging.getLogger(SERVICE_LOGGER)


def load_database(
    snapshot_dir: Path, url: str | None, replace: bool, policy_file: Path | None = None
) -> tuple[LoadSummary, ServicePolicy]:
    """Migrate the database and load a snapshot into it, planned with a policy; returns
    what was loaded and the policy the servers will plan with.

    ``policy_file`` replaces the stored policy; without it the stored one (or the defaults)
    plans the load and stays stored. The file is read and checked before the database is
    touched, and the policy is stored in the load's transaction: a refused file or load
    stores nothing.

    Raises
    ------
    InputError
        The snapshot or the policy file is invalid (:class:`PolicyError`), the policy has an
        option the service cannot honour, or the database already holds a load and
        ``replace`` is false (a load replaces orders, the ledger and idempotency keys).
    """
    new_policy = policy_from_file(policy_file) if policy_file is not None else None
    snapshot = load_snapshot(snapshot_dir)
    engine = make_engine(url)
    try:
        migrate(engine)

        def loaded(connection: Connection) -> tuple[str | None, int, ServicePolicy]:
            count = connection.execute(select(func.count()).select_from(schema.orders)).scalar_one()
            return master_version(connection), int(count), service_policy(connection)

        version, orders, stored = run_read(engine, loaded)
        if version is not None and not replace:
            raise InputError(
                f"{resolve_url(url)} already holds a load ({orders:,} orders); pass --replace "
                "to replace everything in it (orders, allocations and idempotency keys)"
            )
        policy = new_policy or stored
        check_servable(policy, snapshot)
        now = utc_now()
        summary = load_into_store(
            engine,
            snapshot,
            now,
            policy.allocation,
            policy.entitlement,
            policy.stored(now) if new_policy is not None else None,
        )
        return summary, policy
    finally:
        engine.dispose()


def settings_for_serve(
    url: str | None,
    token_file: Path | None,
    no_auth: bool,
    max_body: int,
    max_lines: int,
    writer: str | None = None,
    *,
    open_docs: bool = False,
    open_metrics: bool = False,
    limits: ConnectionLimits | None = None,
) -> tuple[ServiceSettings, dict[str, str]]:
    """Settings of the server and the environment that gives them to worker processes.

    ``writer``: ``process`` or ``thread`` (None: ``$PARTS_PRIORITY_WRITER``, else process).
    ``open_docs`` / ``open_metrics``: serve the OpenAPI documents / ``/metrics`` without a
    token (also when ``$PARTS_PRIORITY_OPEN_DOCS`` / ``$PARTS_PRIORITY_OPEN_METRICS`` is 1).
    """
    limits = limits or ConnectionLimits()
    env: dict[str, str] = {
        "PARTS_PRIORITY_DB": resolve_url(url),
        "PARTS_PRIORITY_MAX_BODY": str(max_body),
        "PARTS_PRIORITY_MAX_LINES": str(max_lines),
        "PARTS_PRIORITY_NO_AUTH": "1" if no_auth else "0",
        "PARTS_PRIORITY_WRITER": writer or os.environ.get("PARTS_PRIORITY_WRITER") or "process",
        "PARTS_PRIORITY_MAX_HEADER": str(limits.max_header_bytes),
        "PARTS_PRIORITY_READ_TIMEOUT": repr(limits.read_timeout_s),
    }
    for name, given in (
        ("PARTS_PRIORITY_OPEN_DOCS", open_docs),
        ("PARTS_PRIORITY_OPEN_METRICS", open_metrics),
    ):
        env[name] = "1" if given or os.environ.get(name, "") in ("1", "true", "yes") else "0"
    if os.environ.get("PARTS_PRIORITY_TOKEN"):
        env["PARTS_PRIORITY_TOKEN"] = os.environ["PARTS_PRIORITY_TOKEN"]
    if token_file is not None:
        read_token_file(token_file)  # fail now, with the file's name, not in a worker
        env["PARTS_PRIORITY_TOKEN_FILE"] = str(token_file.resolve())
    elif not no_auth:
        env.pop("PARTS_PRIORITY_TOKEN_FILE", None)
    settings = ServiceSettings.from_env({**os.environ, **env})
    return settings, env


@dataclass(frozen=True)
class ServeOptions:
    """How ``serve`` runs uvicorn: where it listens, its processes, its log and timeouts.

    Attributes
    ----------
    host, port : str, int
        Where to listen.
    workers : int
        Server processes (each with its writer).
    log_level : str
        ``critical``, ``error``, ``warning``, ``info`` (default) or ``debug``.
    log_format : str
        ``text`` or ``json`` (one object a line).
    access_log : bool
        A line per request (method, path, status, ms, client), at ``info``.
    keep_alive_s : int
        An idle keep-alive connection is closed after this many seconds (uvicorn's default, 5).
    worker_healthcheck_s : int
        With several workers, how long uvicorn waits for a worker to answer its health check,
        starting up included, before it kills and replaces it. 60 s: a worker imports the app
        in 2 s on an idle machine of 2 cores but took 13 s on a loaded one, where uvicorn's
        5 s default killed workers that were only starting. A live worker answers from a
        thread of its own, so a longer wait delays only the replacement of a hung one.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_level: str = "info"
    log_format: str = "text"
    access_log: bool = True
    keep_alive_s: int = 5
    worker_healthcheck_s: int = 60


def public_url(url: str) -> str:
    """A database URL fit for a log: no password, in the user part or the query."""
    parsed = make_url(url)
    query = {k: v for k, v in parsed.query.items() if k.lower() != "password"}
    bare = URL.create(
        parsed.drivername, parsed.username, None, parsed.host, parsed.port, parsed.database, query
    )
    return bare.render_as_string(hide_password=False)


def startup_line(
    settings: ServiceSettings, options: ServeOptions, policy: str = DEFAULT_NAME
) -> str:
    """What ``serve`` says before it starts: where it listens, the store, the policy it plans
    with (:meth:`ServicePolicy.describe`), the writers, the docs."""
    host = f"[{options.host}]" if ":" in options.host else options.host
    base = f"http://{host}:{options.port}"
    processes = (
        "1 server process" if options.workers == 1 else f"{options.workers} server processes"
    )
    writer = "a writer process" if settings.writer == "process" else "a writer thread"
    docs = "open" if settings.open_docs else "need the token"
    metrics = "open" if settings.open_metrics else "need the token"
    auth = "no token needed (--no-auth)" if settings.no_auth else f"{len(settings.tokens)} token(s)"
    return (
        f"serving {base} | store {public_url(resolve_url(settings.database_url))} | "
        f"policy: {policy} | "
        f"writers: {processes}, each with {writer} | docs {base}/docs ({docs}) | "
        f"metrics {base}/metrics ({metrics}) | {auth}"
    )


@contextmanager
def _metrics_folder(workers: int) -> Iterator[None]:
    """Several workers share their metrics through a folder (prometheus-client's
    multiprocess mode), made for this run unless one is configured, and removed after."""
    from allocation.service.metrics import MULTIPROCESS_ENV

    if workers == 1 or os.environ.get(MULTIPROCESS_ENV):
        yield
        return
    folder = tempfile.mkdtemp(prefix="parts-priority-metrics-")
    os.environ[MULTIPROCESS_ENV] = folder
    try:
        yield
    finally:
        os.environ.pop(MULTIPROCESS_ENV, None)
        shutil.rmtree(folder, ignore_errors=True)


def serve_forever(settings: ServiceSettings, env: dict[str, str], options: ServeOptions) -> None:
    """Migrate, log the startup line, then run uvicorn until it is stopped."""
    import uvicorn

    config = log_config(options.log_level, options.log_format, options.access_log)
    logging.config.dictConfig(config)
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        policy = run_read(engine, service_policy)
    finally:
        engine.dispose()
    os.environ.update(env)
    _log.info("%s", startup_line(settings, options, policy.describe()))
    with _metrics_folder(options.workers):
        uvicorn.run(
            "allocation.service.app:app_from_env",
            factory=True,
            host=options.host,
            port=options.port,
            workers=options.workers,
            http="allocation.service.protocol:GuardedHttpToolsProtocol",
            log_config=config,
            log_level=options.log_level,
            access_log=False,  # the app's own access log has the time taken
            timeout_keep_alive=options.keep_alive_s,
            timeout_worker_healthcheck=options.worker_healthcheck_s,
            timeout_graceful_shutdown=10,
        )
