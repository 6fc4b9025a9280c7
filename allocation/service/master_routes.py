"""The master-data routes: create or change a customer, contract, part, depot or lane
(``PUT``, keyed like every write), and read one back (``GET``). They only translate: the
use cases are :mod:`allocation.service.master`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from pydantic import AfterValidator, BaseModel
from pydantic_core import PydanticCustomError
from sqlalchemy.engine import Connection

from allocation.service.jobs import PutMaster
from allocation.service.master_models import (
    ContractAnswer,
    ContractIn,
    ContractRecord,
    CustomerAnswer,
    CustomerIn,
    CustomerRecord,
    DepotAnswer,
    DepotIn,
    DepotRecord,
    LaneAnswer,
    LaneIn,
    LaneRecord,
    PartAnswer,
    PartIn,
    PartRecord,
)
from allocation.service.master_reads import Kind, read_record
from allocation.service.master_rows import lane_endpoint
from allocation.service.models import no_control_characters
from allocation.service.problems import FieldError, NotFoundError
from allocation.service.routes import _ERRORS, _PATH_ID, Client, Key, _known_query, _read, _write

__all__ = ["master_router"]

master_router = APIRouter(responses=_ERRORS, dependencies=[Depends(_known_query)])


def _path(what: str) -> Any:
    return Path(max_length=64, description=what, json_schema_extra=_PATH_ID)


def _trimmed(value: str) -> str:
    """A key with no control character and no white space around it (the snapshot loader
    trims cells, and a key must be stored as the path names it)."""
    value = no_control_characters(value)
    if value != value.strip():
        raise PydanticCustomError("white_space", "must not begin or end with white space")
    return value


_PLAIN = AfterValidator(_trimmed)
CustomerId = Annotated[str, _path("a customer id"), _PLAIN]
ContractId = Annotated[str, _path("a contract id"), _PLAIN]
PartNumber = Annotated[str, _path("a part number"), _PLAIN]
DepotId = Annotated[str, _path("a depot id"), _PLAIN]
Endpoint = Annotated[str, _path("a depot id, a supplier id or a country (code or name)"), _PLAIN]


def _created(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    return {201: {"description": "created", "model": model}}


async def _put(
    request: Request, client: str, key: str | None, job: PutMaster, body: BaseModel
) -> Response:
    return await _write(request, client, key, body.model_dump(mode="json"), job)


def _get(request: Request, kind: Kind, key: tuple[str, ...], fields: tuple[str, ...]) -> Any:
    def work(connection: Connection) -> BaseModel | None:
        if kind == "lane":
            return read_record(connection, kind, tuple(lane_endpoint(connection, k) for k in key))
        return read_record(connection, kind, key)

    found = _read(request, work)
    if found is None:
        shown = "/".join(key)
        raise NotFoundError(
            f"no {kind} {shown!r}", [FieldError(f"path.{f}", f"unknown {kind}") for f in fields]
        )
    return found


@master_router.put(
    "/customers/{customer_id}", response_model=CustomerAnswer, responses=_created(CustomerAnswer)
)
async def put_customer(
    request: Request, customer_id: CustomerId, body: CustomerIn, client: Client, key: Key = None
) -> Response:
    """Create (201) or change (200) a customer; its open orders' entitlement is decided
    again, and the part groups of those whose class changed are re-planned."""
    job = PutMaster("customer", (customer_id,), body)
    return await _put(request, client, key, job, body)


@master_router.get("/customers/{customer_id}", response_model=CustomerRecord)
def get_customer(request: Request, customer_id: CustomerId, client: Client) -> Any:
    """The customer as stored."""
    return _get(request, "customer", (customer_id,), ("customer_id",))


@master_router.put(
    "/contracts/{contract_id}", response_model=ContractAnswer, responses=_created(ContractAnswer)
)
async def put_contract(
    request: Request, contract_id: ContractId, body: ContractIn, client: Client, key: Key = None
) -> Response:
    """Create (201) or change (200) a contract; its customer's open orders (and the former
    holder's, if it moved) are decided again and re-planned."""
    job = PutMaster("contract", (contract_id,), body)
    return await _put(request, client, key, job, body)


@master_router.get("/contracts/{contract_id}", response_model=ContractRecord)
def get_contract(request: Request, contract_id: ContractId, client: Client) -> Any:
    """The contract as stored."""
    return _get(request, "contract", (contract_id,), ("contract_id",))


@master_router.put(
    "/parts/{part_number}", response_model=PartAnswer, responses=_created(PartAnswer)
)
async def put_part(
    request: Request, part_number: PartNumber, body: PartIn, client: Client, key: Key = None
) -> Response:
    """Create (201) or change (200) a part; its part group is re-planned. Substitutes that
    would merge or split part groups are a 409 (a load regroups parts)."""
    job = PutMaster("part", (part_number,), body)
    return await _put(request, client, key, job, body)


@master_router.get("/parts/{part_number}", response_model=PartRecord)
def get_part(request: Request, part_number: PartNumber, client: Client) -> Any:
    """The part as stored, with its part group."""
    return _get(request, "part", (part_number,), ("part_number",))


@master_router.put(
    "/depots/{depot_id}", response_model=DepotAnswer, responses=_created(DepotAnswer)
)
async def put_depot(
    request: Request, depot_id: DepotId, body: DepotIn, client: Client, key: Key = None
) -> Response:
    """Create (201) or move (200) a depot; the part groups with open orders in the
    countries whose routes or home depot changed are re-planned."""
    job = PutMaster("depot", (depot_id,), body)
    return await _put(request, client, key, job, body)


@master_router.get("/depots/{depot_id}", response_model=DepotRecord)
def get_depot(request: Request, depot_id: DepotId, client: Client) -> Any:
    """The depot as stored."""
    return _get(request, "depot", (depot_id,), ("depot_id",))


@master_router.put(
    "/lanes/{origin}/{destination}", response_model=LaneAnswer, responses=_created(LaneAnswer)
)
async def put_lane(
    request: Request,
    origin: Endpoint,
    destination: Endpoint,
    body: LaneIn,
    client: Client,
    key: Key = None,
) -> Response:
    """Create (201) or change (200) a lane; the part groups with open orders in the
    countries whose routes or home depot changed are re-planned."""
    job = PutMaster("lane", (origin, destination), body)
    return await _put(request, client, key, job, body)


@master_router.get("/lanes/{origin}/{destination}", response_model=LaneRecord)
def get_lane(request: Request, origin: Endpoint, destination: Endpoint, client: Client) -> Any:
    """The lane as stored (endpoints as ids or ISO alpha-2 codes)."""
    return _get(request, "lane", (origin, destination), ("origin", "destination"))
