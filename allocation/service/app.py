"""The FastAPI application factory (nothing is built at import time).

``create_app(settings)`` wires the routes, the middleware (outermost first: the access log
and metrics, the token gate, the body limit), the problem+json error handlers, one database
engine and the writer (a thread of this process, or a child process that the app's shutdown
stops); ``app_from_env()`` is what ``uvicorn`` workers call.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc

from allocation.adapters.store.database import StoreBusyError, is_sqlite, make_engine
from allocation.service.auth import AuthGate
from allocation.service.backup_routes import backup_router
from allocation.service.claims import Claims
from allocation.service.forwarding import Forwarder, PartitionedWriter
from allocation.service.idempotency import InFlight, LocalWriter, Writer
from allocation.service.limits import BodyLimit
from allocation.service.logs import escaped
from allocation.service.master_routes import master_router
from allocation.service.metrics import exposition, mark_stopped, process_metrics
from allocation.service.move_routes import move_router
from allocation.service.observe import Observe
from allocation.service.override_routes import override_router
from allocation.service.problems import (
    FieldError,
    ServiceError,
    UnavailableError,
    UnprocessableError,
    install_handlers,
    problem_response,
)
from allocation.service.routes import Runtime, router
from allocation.service.settings import ServiceSettings
from allocation.service.supplier_routes import supplier_router
from allocation.service.world import WorldCache
from allocation.service.writer_process import ProcessWriter
from allocation.service.writes import WriteQueue

__all__ = ["app_from_env", "create_app"]

_log = logging.getLogger("parts_priority.service")

DESCRIPTION = """\
Order systems post repair orders and stock movements and read back allocations with ETAs
and reasons. Priority Management customers are served first, except where their contract
excludes parts priority.

Every route but `/health` needs `Authorization: Bearer <token>` (these documents too, unless
the server was started with `--open-docs`). Every write needs an
`Idempotency-Key` header: the same key and body replay the first answer, the same key with
another body is a 422, a retry while the first runs is a 409. Errors are
`application/problem+json` and name the field at fault in `errors[].field`.
"""


class ProblemField(BaseModel):
    """One field at fault."""

    field: str
    message: str


class Problem(BaseModel):
    """An error answer (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemField] = Field(default_factory=list)


def create_app(
    settings: ServiceSettings, engine: Engine | None = None, server: bool = False
) -> FastAPI:
    """A service instance over a migrated and loaded database.

    ``server``: this process is a server (its planner's objects are frozen for the garbage
    collector; see :class:`allocation.service.plans.PlanCache`).
    """
    engine = engine or make_engine(settings.database_url)
    worlds = WorldCache(freeze=server)
    claims = Claims(engine)
    metrics = process_metrics()
    writer = _writer(settings, engine, worlds, claims, server)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        writer.start()
        yield
        writer.close()
        mark_stopped()

    app = FastAPI(
        title="Parts Priority",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.runtime = Runtime(
        engine=engine,
        worlds=worlds,
        inflight=InFlight(),
        claims=claims,
        writer=writer,
        metrics=metrics,
    )
    install_handlers(app)
    app.add_exception_handler(StoreBusyError, _busy)
    app.add_exception_handler(sa_exc.OperationalError, _busy)
    app.add_exception_handler(sa_exc.InterfaceError, _busy)
    app.add_exception_handler(sa_exc.DataError, _refused_by_store)
    app.add_exception_handler(Exception, _unexpected)
    app.include_router(router)
    app.include_router(master_router)
    app.include_router(override_router)
    app.include_router(move_router)
    app.include_router(backup_router)
    app.include_router(supplier_router)
    app.add_api_route("/metrics", _metrics, methods=["GET"], include_in_schema=False)
    # Added innermost first: the last one added sees a request first.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(AuthGate, settings=settings, public=_public_paths(app, settings))
    app.add_middleware(Observe, metrics=metrics)
    _document_problems(app)
    return app


def _public_paths(app: FastAPI, settings: ServiceSettings) -> set[str]:
    """The paths that need no token: ``/health``, and what the settings open."""
    public = {"/health"}
    if settings.open_docs:
        docs = (app.openapi_url, app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url)
        public.update(path for path in docs if path)
    if settings.open_metrics:
        public.add("/metrics")
    return public


def _metrics() -> Response:
    """Prometheus's text format (see :mod:`allocation.service.metrics`)."""
    body, media_type = exposition()
    return Response(body, media_type=media_type)


def _writer(
    settings: ServiceSettings, engine: Engine, worlds: WorldCache, claims: Claims, server: bool
) -> Writer:
    """The writer process the settings ask for, where the database is a file or a server
    another process can open; else this process's writer thread."""
    url = engine.url.render_as_string(hide_password=False)
    partitioned = settings.partitioned and not is_sqlite(engine)
    if settings.writer == "process" and os.name == "posix" and not _in_memory(engine):
        if partitioned:
            forwarder = Forwarder(engine)
            return ProcessWriter(url, claims.owner, server, forwarder, settings.writer_host)
        return ProcessWriter(url, claims.owner, freeze=server)
    local = LocalWriter(engine, worlds, WriteQueue(engine, claims=claims))
    if partitioned:
        return PartitionedWriter(local, url, claims.owner.token, settings.writer_host)
    return local


def _in_memory(engine: Engine) -> bool:
    return is_sqlite(engine) and engine.url.database in (None, "", ":memory:")


def app_from_env() -> FastAPI:
    """The app of a server process, configured from ``PARTS_PRIORITY_*`` variables."""
    # Requests allocate many short-lived objects; collecting the youngest generation every
    # 700 allocations (the default) costs more than it frees here.
    gc.set_threshold(50_000, 20, 100)
    return create_app(ServiceSettings.from_env(), server=True)


def _busy(request: Request, error: Exception) -> JSONResponse:
    problem = UnavailableError(
        "the database is busy or unreachable; retry",
        [FieldError("database", type(error).__name__)],
        headers={"Retry-After": "1"},
    )
    return problem_response(problem, request.url.path)


def _refused_by_store(request: Request, error: Exception) -> JSONResponse:
    # The fields are checked before they reach the database (NUL bytes, ranges); a value
    # the database still refuses is the request's, not a failure of the service.
    cause = type(getattr(error, "orig", error)).__name__
    path = escaped(request.scope.get("raw_path") or b"")
    _log.warning("the database refused a value (%s) on %s %s", cause, request.method, path)
    problem = UnprocessableError(
        "the database cannot store a value of this request",
        [FieldError("body" if request.method in ("POST", "PUT") else "path", cause)],
    )
    return problem_response(problem, request.url.path)


def _unexpected(request: Request, error: Exception) -> JSONResponse:
    _log.exception("unexpected error on %s %s", request.method, request.url.path)
    problem = ServiceError(f"unexpected {type(error).__name__}")
    problem.status, problem.title, problem.slug = 500, "Internal error", "internal"
    return problem_response(problem, request.url.path)


def _document_problems(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        defs = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        nested = defs.pop("$defs", {})
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(nested)
        components["Problem"] = defs
        # FastAPI documents its own 422 as application/json; ours is problem+json.
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                responses = operation.get("responses", {})
                if "422" in responses:
                    responses["422"] = {
                        "description": "a field is wrong (named in errors[].field)",
                        "content": {
                            "application/problem+json": {
                                "schema": {"$ref": "#/components/schemas/Problem"}
                            }
                        },
                    }
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
