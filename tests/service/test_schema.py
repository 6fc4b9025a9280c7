"""Schemathesis against the service's OpenAPI schema, on SQLite and PostgreSQL.

For generated requests, valid and malformed: no 5xx; malformed input gets a 4xx; every
answer conforms to the schema (status, media type, body); and a route that needs the token
refuses a request without it.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from schemathesis.specs.openapi import checks as openapi_checks
from sqlalchemy import Engine

from allocation.service.app import create_app
from allocation.service.settings import ServiceSettings
from tests.service.conftest import AUTH, TOKEN

CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.negative_data_rejection,
    openapi_checks.ignored_auth,
]


def _operations(engine: Engine) -> list[Any]:
    app = create_app(ServiceSettings(tokens=(TOKEN,)), engine)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def _negated(case: schemathesis.Case) -> set[str]:
    """The parameters a malformed case got wrong on purpose.

    A case that drops or garbles the ``Authorization`` header is sent as generated (it must
    get a 401): sending the test's valid token instead would turn it into a valid request
    that the negative-data check then wrongly expects to be refused.
    """
    data = case.meta.phase.data if case.meta is not None else None
    names = {m.parameter for m in getattr(data, "mutations", ()) if m.parameter}
    if getattr(data, "parameter", None):
        names.add(data.parameter)
    return names


def _fuzz(operation: Any, mode: GenerationMode, examples: int) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,  # the same cases on every run: a failure in CI reproduces locally
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        if "Authorization" not in _negated(case):
            headers.update(AUTH)
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        # Only an operation with nothing to get wrong (``GET /health``) has no malformed input.
        assert mode is GenerationMode.NEGATIVE, operation.label
        assert not operation.path_parameters, operation.label
        assert not operation.body, operation.label


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_conforms_to_its_schema_and_never_fails_on_input(
    engine: Engine, mode: GenerationMode
) -> None:
    for operation in _operations(engine):
        _fuzz(operation, mode, 15)


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_conforms_to_its_schema_and_never_fails_on_much_more_input(
    engine: Engine, mode: GenerationMode
) -> None:
    for operation in _operations(engine):
        _fuzz(operation, mode, 200)
