"""The HTTP routes: parse, call a use case, answer. Nothing here decides an allocation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request, Security
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import AfterValidator, Discriminator, Tag
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool

from allocation.adapters.store import schema
from allocation.adapters.store.database import run_read
from allocation.adapters.store.master import master_version
from allocation.adapters.store.migrate import current_revision
from allocation.adapters.store.report_facts import facts_from_store
from allocation.adapters.tables import MAX_QUANTITY
from allocation.errors import InputError
from allocation.reports import PerformanceReport, ReportFacts, customer_report, parse_period
from allocation.service.answers import order_answers, plan_page, supply_states
from allocation.service.auth import CLIENT_STATE, bearer, client_of, settings_of
from allocation.service.claims import Claims
from allocation.service.clock import utc_now
from allocation.service.feed import MAX_WAIT_S, Wakeup, event_page, long_poll
from allocation.service.group_rows import order_place
from allocation.service.idempotency import InFlight, Work, Writer, keyed_write
from allocation.service.jobs import (
    AdjustStock,
    CloseOrder,
    FailPurchase,
    PostOrders,
    ReceiveStock,
    ScheduleInbound,
    SetSupplyOptions,
)
from allocation.service.metrics import Metrics, process_metrics
from allocation.service.models import (
    CONTROL_PATTERN,
    AdjustmentBatch,
    AdjustmentLine,
    EventPage,
    Explanation,
    Health,
    InboundBatch,
    OrderAnswer,
    OrderBatch,
    OrderBatchAnswer,
    OrderIn,
    PartAllocations,
    PlanPage,
    PurchaseFailure,
    ReceiptBatch,
    ReceiptLine,
    StockAnswer,
    SupplyOptions,
    no_control_characters,
)
from allocation.service.order_route import OrderRoute
from allocation.service.planning import plan_group
from allocation.service.problems import (
    PROBLEM_JSON,
    ConflictError,
    FieldError,
    NotFoundError,
    PayloadTooLargeError,
    UnavailableError,
    UnprocessableError,
)
from allocation.service.world import NotLoadedError, World, WorldCache

__all__ = ["Runtime", "router"]


@dataclass(frozen=True)
class Runtime:
    """What the routes share: the database engine, the load's world (for reads, and for
    writes when they run on this process's thread), running keys, the writer, the metrics
    that time each write with it, and the long polls' wake-up."""

    engine: Engine
    worlds: WorldCache
    inflight: InFlight
    claims: Claims
    writer: Writer
    metrics: Metrics = field(default_factory=process_metrics)
    wakeup: Wakeup = field(default_factory=Wakeup)


def _runtime(request: Request) -> Runtime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime


# Dependencies that only look at the request are coroutines: FastAPI runs a plain function
# dependency on a worker thread, a hop (and a wake-up) per request for microseconds of work.
async def _client(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> str:
    # The app's gate has checked the token before the request got here; it is compared
    # again only for an app without the gate.
    client = request.scope.get("state", {}).get(CLIENT_STATE)
    return client if isinstance(client, str) else client_of(settings_of(request), credentials)


_PROBLEM = {"content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"description": text_, **_PROBLEM}
    for status, text_ in (
        (400, "malformed JSON or a missing Idempotency-Key"),
        (401, "no or a wrong bearer token"),
        (404, "no such order or part"),
        (
            409,
            "the order exists or is closed, the key is in flight, stock would leave range, "
            "or the order holds no such purchase",
        ),
        (413, "body or batch too large"),
        (422, "a field is wrong (named in errors[].field)"),
        (503, "database busy or not loaded; retry"),
    )
}


async def _known_query(request: Request) -> None:
    """A query parameter the route does not take is an error (422), not silently ignored."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    known = {p.alias for p in getattr(dependant, "query_params", [])}
    for name in request.query_params:
        if name not in known:
            raise UnprocessableError(
                f"unknown query parameter {name!r}", [FieldError(f"query.{name}", "unknown")]
            )


router = APIRouter(responses=_ERRORS, dependencies=[Depends(_known_query)])
Client = Annotated[str, Security(_client)]
Key = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="required on every write: the same key replays the first answer",
    ),
]
# An id in the path holds no control character: PostgreSQL cannot compare text with a NUL in
# it, and the answer would otherwise depend on the store.
_PATH_ID = {"pattern": CONTROL_PATTERN.replace("*$", "+$")}
OrderPath = Annotated[
    str,
    Path(max_length=64, description="an order id", json_schema_extra=_PATH_ID),
    AfterValidator(no_control_characters),
]
PartPath = Annotated[
    str,
    Path(max_length=64, description="a part number", json_schema_extra=_PATH_ID),
    AfterValidator(no_control_characters),
]
OrderBody = Annotated[
    Annotated[OrderIn, Tag("OrderIn")] | Annotated[OrderBatch, Tag("OrderBatch")],
    Discriminator(
        lambda v: "OrderBatch" if isinstance(v, dict | OrderBatch) and _has_orders(v) else "OrderIn"
    ),
    Body(),
]


def _has_orders(value: object) -> bool:
    return isinstance(value, OrderBatch) or (isinstance(value, dict) and "orders" in value)


async def _write(
    request: Request, client: str, key: str | None, payload: Any, work: Work
) -> Response:
    runtime = _runtime(request)
    try:
        with runtime.metrics.writing(type(work).__name__):
            return await keyed_write(
                runtime.claims,
                runtime.inflight,
                runtime.writer,
                client,
                key,
                (request.method, request.url.path, payload),
                work,
            )
    finally:
        runtime.wakeup.notify()  # its events, if any, are committed: long polls read them


def _lines_limit(request: Request, count: int, what: str) -> None:
    limit = settings_of(request).max_batch_lines
    if count > limit:
        raise PayloadTooLargeError(
            f"{count:,} {what}; at most {limit:,} per request",
            [FieldError(f"body.{what}", f"more than {limit} lines")],
        )


async def _stock_in_range(
    request: Request,
    client: str,
    key: str | None,
    lines: Sequence[ReceiptLine] | Sequence[AdjustmentLine],
) -> None:
    """409 if the lines would take a supply's units on hand past :data:`MAX_QUANTITY`, the
    most the input tables accept, so that both stores hold the same stock (a 32-bit column
    used to overflow on PostgreSQL while SQLite took 3e9 units).

    Looked at before the write queues: a request whose key already has an answer is left to
    replay it. Writes racing on one supply may pass together; the 64-bit columns hold what
    they add, and the next write past the limit is refused.
    """
    deltas = [(x.part_number, x.depot_id, _delta(x)) for x in lines]
    if key is None or all(delta <= 0 for _, _, delta in deltas):
        return
    parts = sorted({part for part, _, _ in deltas})

    def look(connection: Connection) -> tuple[bool, dict[tuple[str, str], int]]:
        i, s = schema.idempotency, schema.stock
        stored = connection.execute(
            select(i.c.key).where(i.c.client_id == client, i.c.key == key)
        ).first()
        rows = connection.execute(
            select(s.c.part_number, s.c.depot_id, s.c.on_hand).where(s.c.part_number.in_(parts))
        )
        return stored is not None, {(r.part_number, r.depot_id): int(r.on_hand) for r in rows}

    replay, on_hand = await run_in_threadpool(_read, request, look)
    if replay:
        return
    field = "quantity" if isinstance(lines[0], ReceiptLine) else "delta"
    for i, (part, depot, delta) in enumerate(deltas):
        units = on_hand.get((part, depot), 0) + delta
        on_hand[(part, depot)] = units
        if units > MAX_QUANTITY:
            raise ConflictError(
                f"{part} at {depot} would hold {units:,} units on hand; a supply holds at "
                f"most {MAX_QUANTITY:,}",
                [FieldError(f"body.lines[{i}].{field}", f"over {MAX_QUANTITY} units on hand")],
            )


def _delta(line: ReceiptLine | AdjustmentLine) -> int:
    return line.quantity if isinstance(line, ReceiptLine) else line.delta


async def post_orders(
    request: Request, body: OrderBody, client: Client, key: Key = None
) -> Response:
    """Each line gets its priority class and either units (source, origin, ETA) or a
    backorder with the reason. A batch is accepted or refused whole."""
    batch = isinstance(body, OrderBatch)
    orders = body.orders if isinstance(body, OrderBatch) else [body]
    _lines_limit(request, len(orders), "orders")

    work = PostOrders(tuple(orders), client, batch)
    return await _write(request, client, key, body.model_dump(mode="json"), work)


# A plain post skips FastAPI's dependency solving (:class:`OrderRoute`); any other request
# is parsed and answered by FastAPI as every route's is.
router.add_api_route(
    "/orders",
    post_orders,
    methods=["POST"],
    status_code=201,
    response_model=OrderAnswer | OrderBatchAnswer,
    summary="Post one order line, or a batch under 'orders'",
    route_class_override=OrderRoute,
)


async def _order_write(
    request: Request, client: str, key: str | None, order_id: str, what: Literal["cancel", "ship"]
) -> Response:
    return await _write(request, client, key, None, CloseOrder(order_id, what))


@router.post("/orders/{order_id}/cancel", response_model=OrderAnswer)
async def cancel(
    request: Request, order_id: OrderPath, client: Client, key: Key = None
) -> Response:
    """Cancel an open order; its units are re-planned to the orders that rank first."""
    return await _order_write(request, client, key, order_id, "cancel")


@router.post("/orders/{order_id}/ship", response_model=OrderAnswer)
async def ship(request: Request, order_id: OrderPath, client: Client, key: Key = None) -> Response:
    """Ship what the order holds: its allocation is consumed and the units leave supply."""
    return await _order_write(request, client, key, order_id, "ship")


@router.post("/orders/{order_id}/purchase-failed", response_model=OrderAnswer)
async def purchase_failed(
    request: Request, order_id: OrderPath, body: PurchaseFailure, client: Client, key: Key = None
) -> Response:
    """An expedite or broker purchase for the order failed: its units leave the order and
    the supply option, the failure is recorded, and the order is re-planned at once."""
    work = FailPurchase(order_id, body, client)
    return await _write(request, client, key, body.model_dump(mode="json"), work)


@router.post("/stock/receipts", response_model=StockAnswer)
async def receipts(
    request: Request, body: ReceiptBatch, client: Client, key: Key = None
) -> Response:
    """Units arrived on hand; waiting orders are re-planned, parts priority first."""
    _lines_limit(request, len(body.lines), "lines")
    await _stock_in_range(request, client, key, body.lines)
    work = ReceiveStock(tuple(body.lines))
    return await _write(request, client, key, body.model_dump(mode="json"), work)


@router.post("/stock/adjustments", response_model=StockAnswer)
async def adjustments(
    request: Request, body: AdjustmentBatch, client: Client, key: Key = None
) -> Response:
    """Corrections of units on hand; promises beyond what is left are released."""
    _lines_limit(request, len(body.lines), "lines")
    await _stock_in_range(request, client, key, body.lines)
    work = AdjustStock(tuple(body.lines))
    return await _write(request, client, key, body.model_dump(mode="json"), work)


@router.post("/inbound", status_code=201, response_model=StockAnswer)
async def inbound(
    request: Request, body: InboundBatch, client: Client, key: Key = None
) -> Response:
    """Scheduled receipts; orders that can wait for them are re-planned."""
    _lines_limit(request, len(body.lines), "lines")

    work = ScheduleInbound(tuple(body.lines))
    return await _write(request, client, key, body.model_dump(mode="json"), work)


@router.put("/supply-options", response_model=StockAnswer)
async def supply_options(
    request: Request, body: SupplyOptions, client: Client, key: Key = None
) -> Response:
    """Replace the expedite and broker options of every part named in the body."""
    _lines_limit(request, len(body.options), "options")

    work = SetSupplyOptions(tuple(body.options))
    return await _write(request, client, key, body.model_dump(mode="json"), work)


def _read(request: Request, work: Any) -> Any:
    return run_read(_runtime(request).engine, work)


def _world(request: Request, connection: Connection) -> World:
    try:
        return _runtime(request).worlds.get(connection)
    except NotLoadedError as error:
        raise UnavailableError(str(error)) from None


@router.get("/orders/{order_id}", response_model=OrderAnswer)
def get_order(request: Request, order_id: OrderPath, client: Client) -> OrderAnswer:
    """The order, its priority class, and what it holds or waits for."""
    answer = _read(request, lambda c: order_answers(c, [order_id])).get(order_id)
    if answer is None:
        raise NotFoundError(
            f"no order {order_id!r}", [FieldError("path.order_id", "unknown order")]
        )
    assert isinstance(answer, OrderAnswer)
    return answer


@router.get("/orders/{order_id}/explanation", response_model=Explanation)
def explain(request: Request, order_id: OrderPath, client: Client) -> Explanation:
    """Why this order got this source, or why it got nothing (who holds the units)."""

    def work(connection: Connection) -> Explanation:
        place = order_place(connection, order_id)
        if place.status != "open":
            return Explanation(order_id=order_id, explanation=f"{order_id} is {place.status}.")
        from allocation.service.clock import utc_now

        plan = plan_group(connection, _world(request, connection), place.group_key, utc_now())
        return Explanation(order_id=order_id, explanation=plan.explain(order_id))

    result = _read(request, work)
    assert isinstance(result, Explanation)
    return result


@router.get("/parts/{part_number}/allocations", response_model=PartAllocations)
def part_allocations(
    request: Request,
    part_number: PartPath,
    client: Client,
) -> PartAllocations:
    """Every supply of the part's group, what each has and has promised, and its orders."""

    def work(connection: Connection) -> PartAllocations:
        world = _world(request, connection)
        group = world.group_of.get(part_number)
        if group is None:
            raise NotFoundError(
                f"no part {part_number!r}", [FieldError("path.part_number", "unknown part")]
            )
        o = schema.orders
        ids = [
            str(i)
            for (i,) in connection.execute(
                select(o.c.order_id)
                .where(o.c.group_key == group, o.c.status == "open")
                .order_by(o.c.order_id)
            )
        ]
        answers = order_answers(connection, ids)
        return PartAllocations(
            part_number=part_number,
            part_group=group,
            supply=supply_states(connection, world.parts_of.get(group, [])),
            orders=[answers[i] for i in ids],
        )

    result = _read(request, work)
    assert isinstance(result, PartAllocations)
    return result


@router.get("/plan", response_model=PlanPage)
def plan(
    request: Request,
    client: Client,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> PlanPage:
    """Open orders by id, a page at a time, with what each holds or waits for."""
    result = _read(request, lambda c: plan_page(c, offset, limit))
    assert isinstance(result, PlanPage)
    return result


@router.get("/events", response_model=EventPage)
async def feed(
    request: Request,
    client: Client,
    after: Annotated[
        int, Query(ge=0, le=2**63 - 1, description="a cursor from this feed; 0: the start")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=MAX_WAIT_S,
            allow_inf_nan=False,
            description="seconds to wait for an event when there is none yet (long poll)",
        ),
    ] = 0.0,
) -> EventPage:
    """Changes to what orders hold or wait for, in commit order, after a cursor."""

    async def read() -> EventPage:
        page = await run_in_threadpool(_read, request, lambda c: event_page(c, after, limit))
        assert isinstance(page, EventPage)
        return page

    return await long_poll(read, _runtime(request).wakeup, wait)


CustomerPath = Annotated[
    str,
    Path(max_length=64, description="a customer id", json_schema_extra=_PATH_ID),
    AfterValidator(no_control_characters),
]
PERIOD_PATTERN = r"^\d{4}-?[Qq][1-4]$|^\d{4}-\d{2}$"
"""A report period: a quarter (``2026-Q3``) or a month (``2026-07``)."""
_REPORT_CONTENT = {
    "application/json": {
        "schema": {
            "type": "object",
            "description": "the report's document (keys: allocation.reports.REPORT_KEYS)",
        }
    },
    "text/html": {"schema": {"type": "string", "description": "a printable page"}},
}


@router.get(
    "/reports/customers/{customer_id}",
    response_model=None,
    summary="A customer's performance report for a period, as JSON or a printable page",
    responses={
        200: {"description": "the report", "content": _REPORT_CONTENT},
        404: {"description": "no such customer", **_PROBLEM},
    },
)
def customer_performance(
    request: Request,
    customer_id: CustomerPath,
    client: Client,
    period: Annotated[
        str | None,
        Query(
            max_length=16,
            pattern=PERIOD_PATTERN,
            description="a quarter (2026-Q3) or a month (2026-07); everything when omitted",
        ),
    ] = None,
    format: Annotated[
        Literal["json", "html"] | None,
        Query(description="json or html; without it, the Accept header chooses (json first)"),
    ] = None,
) -> Response:
    """Orders, downtime against the target, sources and spend, orders that lost parts
    priority, backorders and their root causes, from what the database holds now."""
    try:
        chosen = parse_period(period) if period is not None else None
    except InputError as error:
        raise UnprocessableError(str(error), [FieldError("query.period", str(error))]) from None

    def work(connection: Connection) -> ReportFacts:
        facts = facts_from_store(connection, as_of=utc_now(), customers=[customer_id])
        if facts.customers.empty:
            raise NotFoundError(
                f"no customer {customer_id!r}",
                [FieldError("path.customer_id", "unknown customer")],
            )
        return facts

    facts = _read(request, work)
    assert isinstance(facts, ReportFacts)
    report: PerformanceReport = customer_report(facts, customer_id, chosen)
    if format == "html" or (format is None and _wants_html(request.headers.get("accept", ""))):
        return HTMLResponse(report.to_html())
    return JSONResponse(report.document())


def _wants_html(accept: str) -> bool:
    """Whether an Accept header prefers ``text/html`` to JSON (ties go to JSON)."""
    weights: dict[str, float] = {}
    for item in accept.split(","):
        kind, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[kind.lower()] = max(q, weights.get(kind.lower(), 0.0))
    html = weights.get("text/html", 0.0)
    json_ = max(weights.get("application/json", 0.0), weights.get("application/*", 0.0))
    return html > 0 and html > json_


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
def health(request: Request) -> JSONResponse:
    """Liveness and database reachability; needs no token."""
    engine = _runtime(request).engine
    try:

        def probe(connection: Connection) -> bool:
            connection.execute(text("SELECT 1"))
            try:
                return master_version(connection) is not None
            except Exception:  # an unmigrated database has no tables yet
                return False

        loaded = run_read(engine, probe)
        revision = current_revision(engine)
        answer = Health(status="ok", database="ok", schema_revision=revision, loaded=loaded)
        return JSONResponse(answer.model_dump(mode="json"))
    except Exception as error:  # any database failure is "unavailable"
        answer = Health(
            status="unavailable",
            database=type(error).__name__,
            schema_revision=None,
            loaded=False,
        )
        return JSONResponse(answer.model_dump(mode="json"), status_code=503)
