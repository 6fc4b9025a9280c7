"""Commands of the HTTP service: ``load`` a snapshot into its store, and ``serve`` it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from allocation.entrypoints._app import app
from allocation.entrypoints._arguments import SnapshotDir

_err = Console(stderr=True)

# The engine, pandas and the views are imported inside the commands that use them, so that
# ``--help``, ``--version`` and a command's own usage errors answer at once.
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="database URL (default: $PARTS_PRIORITY_DB, else sqlite:///parts-priority.db)",
    ),
]


@app.command()
def load(
    snapshot: SnapshotDir,
    db: DbOption = None,
    replace: Annotated[
        bool, typer.Option(help="replace a database that already holds a load")
    ] = False,
    policy: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="policy YAML (the file 'allocate --policy' reads): plan the load with it and "
            "store it, so every server on the database plans with it; without it, the "
            "database's stored policy (or the defaults) plans the load and stays",
        ),
    ] = None,
) -> None:
    """Load master data, supply and open orders into the service's database, with a plan.

    A database that holds a load is replaced only with --replace, a new policy included:
    a policy changes every part group's plan and the response-time targets fixed at
    intake, so it changes with a whole load, in one transaction, never under running
    writes.
    """
    from allocation.service.server import load_database

    summary, stored = load_database(snapshot, db, replace, policy)
    Console().print(
        f"loaded {summary.parts:,} parts ({summary.part_groups:,} groups), "
        f"{summary.depots:,} depots, {summary.customers:,} customers, {summary.orders:,} "
        f"open orders: {summary.units_allocated:,} units allocated, "
        f"{summary.units_backordered:,} backordered; policy: {stored.describe()}"
    )


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(metavar="ADDRESS", help="address to listen on")] = (
        "127.0.0.1"
    ),
    port: Annotated[
        int, typer.Option(min=1, max=65535, metavar="PORT", help="port to listen on")
    ] = 8000,
    workers: Annotated[int, typer.Option(min=1, metavar="N", help="server processes")] = 1,
    token_file: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="file with the accepted bearer tokens, one per line"),
    ] = None,
    no_auth: Annotated[
        bool, typer.Option(help="accept requests without a token (local use only)")
    ] = False,
    max_body: Annotated[
        int, typer.Option(min=1024, metavar="BYTES", help="largest request body, bytes")
    ] = 1_048_576,
    max_lines: Annotated[
        int, typer.Option(min=1, metavar="N", help="most lines in one batch")
    ] = 1_000,
    writer: Annotated[
        str | None,
        typer.Option(
            metavar="process|thread",
            help="where writes run: 'process' (a child process per server process, the "
            "default) or 'thread' (a thread of the server process)",
        ),
    ] = None,
    open_docs: Annotated[
        bool, typer.Option(help="serve /docs, /redoc and /openapi.json without a token")
    ] = False,
    open_metrics: Annotated[
        bool, typer.Option(help="serve /metrics without a token (a scraper on a trusted network)")
    ] = False,
    max_header: Annotated[
        int,
        typer.Option(
            min=1024, metavar="BYTES", help="largest request line and headers, bytes (else 431)"
        ),
    ] = 16_384,
    read_timeout: Annotated[
        float,
        typer.Option(
            min=0.1,
            max=3600,
            metavar="SECONDS",
            help="seconds to receive a whole request (else 408)",
        ),
    ] = 20.0,
    keep_alive: Annotated[
        int,
        typer.Option(
            min=1, metavar="SECONDS", help="seconds an idle keep-alive connection stays open"
        ),
    ] = 5,
    worker_healthcheck: Annotated[
        int,
        typer.Option(
            min=1,
            metavar="SECONDS",
            help="seconds a worker may take to answer uvicorn's health check",
        ),
    ] = 60,
    log_level: Annotated[
        str, typer.Option(metavar="LEVEL", help="critical, error, warning, info or debug")
    ] = "info",
    log_format: Annotated[
        str, typer.Option(metavar="text|json", help="text, or json (one object a line)")
    ] = "text",
    access_log: Annotated[
        bool, typer.Option(help="log each request: method, path, status, ms, client")
    ] = True,
) -> None:
    """Run the HTTP service (OpenAPI docs at /docs); the token comes from
    $PARTS_PRIORITY_TOKEN or --token-file."""
    from allocation.service.logs import LEVELS, LOG_FORMATS
    from allocation.service.server import ServeOptions, serve_forever, settings_for_serve
    from allocation.service.settings import ConnectionLimits

    if log_level not in LEVELS:
        raise typer.BadParameter(
            f"--log-level must be one of {', '.join(LEVELS)}, got {log_level!r}"
        )
    if log_format not in LOG_FORMATS:
        raise typer.BadParameter(
            f"--log-format must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}"
        )
    settings, env = settings_for_serve(
        db,
        token_file,
        no_auth,
        max_body,
        max_lines,
        writer,
        open_docs=open_docs,
        open_metrics=open_metrics,
        limits=ConnectionLimits(max_header, read_timeout),
    )
    if settings.no_auth:
        _err.print("warning: --no-auth: any local process can change allocations")
    options = ServeOptions(
        host, port, workers, log_level, log_format, access_log, keep_alive, worker_healthcheck
    )
    serve_forever(settings, env, options)
