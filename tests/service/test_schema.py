"""Schemathesis against the service's OpenAPI schema, on SQLite and PostgreSQL.

For generated requests, valid and malformed: no 5xx; malformed input gets a 4xx; every
answer conforms to the schema (status, media type, body); and a route that needs the token
refuses a request without it. Then hostile values on top of valid requests: NUL and other
control characters spliced into every kind of string (ids in the path, body fields), and
integers past every width a store might have (2^31, 2^63, 10^30) in every integer field and
query parameter: always a 4xx problem+json, never a 5xx, on both stores.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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


HOSTILE_CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]
NUL_TEXT = st.sampled_from(["\x00", "a\x00b", "note\u0000book", "\x00" * 3, "\x1b[2J", "\x7f"])
"""Text no field accepts: NUL, and control characters that are not line breaks or tabs."""
HUGE_INT = st.sampled_from(
    [2**31, -(2**31) - 1, 2**32 + 1, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30]
)
"""Integers past 32 and 64 bits, and past every limit of the API (a billion at most)."""


def _operations(engine: Engine) -> list[Any]:
    app = create_app(ServiceSettings(tokens=(TOKEN,)), engine)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers=AUTH)
    return [result.ok() for result in schema.get_all_operations()]


def _spoil(value: Any, data: st.DataObject, spoiled: list[str]) -> Any:
    """``value`` with some of its strings given a control character and some of its
    integers made huge; what was changed is appended to ``spoiled``."""
    if isinstance(value, dict):
        return {name: _spoil(item, data, spoiled) for name, item in value.items()}
    if isinstance(value, list):
        return [_spoil(item, data, spoiled) for item in value]
    if isinstance(value, str) and data.draw(st.booleans()):
        cut = data.draw(st.integers(0, len(value)))
        bad = data.draw(NUL_TEXT)
        spoiled.append(repr(bad))
        return value[:cut] + bad + value[cut:]
    if isinstance(value, int) and not isinstance(value, bool) and data.draw(st.booleans()):
        huge = data.draw(HUGE_INT)
        spoiled.append(str(huge))
        return huge
    return value


def _fuzz_hostile(operation: Any, examples: int) -> None:
    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE), data=st.data())
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case, data: st.DataObject) -> None:
        spoiled: list[str] = []
        if case.path_parameters:
            case.path_parameters = _spoil(case.path_parameters, data, spoiled)
        if case.query:
            case.query = _spoil(case.query, data, spoiled)
        if isinstance(case.body, dict | list):
            case.body = _spoil(case.body, data, spoiled)
        _no_long_poll(case)
        headers = {**AUTH, "Idempotency-Key": uuid.uuid4().hex}
        response = case.call_and_validate(headers=headers, checks=HOSTILE_CHECKS)
        if spoiled:
            assert 400 <= response.status_code < 500, (spoiled, response.text)
            assert response.headers["content-type"] == ["application/problem+json"]

    run()


def _no_long_poll(case: schemathesis.Case) -> None:
    """A valid ``wait`` of ``GET /events`` becomes 0: a generated long poll would hold every
    example for up to 30 s (``tests/service/test_events.py`` proves the waiting)."""
    if case.path == "/events" and isinstance(case.query, dict):
        wait = case.query.get("wait")
        if isinstance(wait, int | float) and not isinstance(wait, bool) and 0 < wait <= 30:
            case.query["wait"] = 0


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
        _no_long_poll(case)
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
        _fuzz(operation, mode, 5)


def test_nul_bytes_and_huge_integers_anywhere_get_a_4xx_problem_never_a_500(
    engine: Engine,
) -> None:
    for operation in _operations(engine):
        _fuzz_hostile(operation, 4)


@pytest.mark.slow
def test_nul_bytes_and_huge_integers_anywhere_get_a_4xx_problem_in_many_more_requests(
    engine: Engine,
) -> None:
    for operation in _operations(engine):
        _fuzz_hostile(operation, 150)


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_conforms_to_its_schema_and_never_fails_on_much_more_input(
    engine: Engine, mode: GenerationMode
) -> None:
    for operation in _operations(engine):
        _fuzz(operation, mode, 200)
