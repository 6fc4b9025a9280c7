"""Errors as ``application/problem+json`` (RFC 9457): every 4xx names the field at fault.

::

    ServiceError              an answer other than success, with its status
    ├── BadRequestError              400: a header is missing or malformed
    ├── UnauthorizedError            401: no or a wrong bearer token
    ├── NotFoundError                404: the order or part in the path does not exist
    ├── RequestTimeoutError          408: the request was not received in time (slow client)
    ├── ConflictError                409: the state forbids it (order exists, key in flight, ...)
    ├── PayloadTooLargeError         413: body or batch over the configured limit
    ├── UnprocessableError           422: the body is valid JSON but wrong (unknown id, ...)
    ├── HeadersTooLargeError         431: the request's head is over the configured limit
    └── UnavailableError             503: the database is busy or down; retry later
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = [
    "PROBLEM_JSON",
    "BadRequestError",
    "ConflictError",
    "FieldError",
    "HeadersTooLargeError",
    "NotFoundError",
    "PayloadTooLargeError",
    "RequestTimeoutError",
    "ServiceError",
    "UnauthorizedError",
    "UnavailableError",
    "UnprocessableError",
    "field_path",
    "install_handlers",
    "problem_response",
]

PROBLEM_JSON = "application/problem+json"
_UNION_TAGS = frozenset({"OrderIn", "OrderBatch"})


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with one field: ``body.orders[2].quantity``, ``header.Authorization``."""

    field: str
    message: str


class ServiceError(Exception):
    """An answer with a problem document instead of a result."""

    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(
        self,
        detail: str,
        errors: Sequence[FieldError] = (),
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.headers = headers or {}
        self.extra = extra

    def document(self, instance: str | None = None) -> dict[str, Any]:
        """The problem+json body."""
        body: dict[str, Any] = {
            "type": f"https://parts-priority.dev/problems/{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "errors": [{"field": e.field, "message": e.message} for e in self.errors],
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class BadRequestError(ServiceError):
    """400."""


class UnauthorizedError(ServiceError):
    """401: no or a wrong bearer token."""

    status, title, slug = 401, "Unauthorized", "unauthorized"


class NotFoundError(ServiceError):
    """404: what the path names does not exist."""

    status, title, slug = 404, "Not found", "not-found"


class RequestTimeoutError(ServiceError):
    """408: the client did not send its whole request within the read timeout."""

    status, title, slug = 408, "Request timeout", "request-timeout"


class ConflictError(ServiceError):
    """409: the current state forbids the request."""

    status, title, slug = 409, "Conflict", "conflict"


class PayloadTooLargeError(ServiceError):
    """413: the body or the batch is over the configured limit."""

    status, title, slug = 413, "Payload too large", "payload-too-large"


class UnprocessableError(ServiceError):
    """422: well-formed but wrong."""

    status, title, slug = 422, "Unprocessable content", "unprocessable"


class HeadersTooLargeError(ServiceError):
    """431: the request line and headers are over the configured limit."""

    status, title, slug = 431, "Request header fields too large", "headers-too-large"


class UnavailableError(ServiceError):
    """503: the database is busy or down."""

    status, title, slug = 503, "Service unavailable", "unavailable"


def problem_response(problem: ServiceError, instance: str | None = None) -> JSONResponse:
    """The problem as a response with its status, headers and media type."""
    return JSONResponse(
        problem.document(instance),
        status_code=problem.status,
        headers=problem.headers,
        media_type=PROBLEM_JSON,
    )


def field_path(location: Sequence[int | str]) -> str:
    """``("body", "orders", 2, "quantity")`` → ``body.orders[2].quantity``."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "body"


def _validation(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = []
    for item in error.errors():
        location = [p for p in item.get("loc", ()) if isinstance(p, int | str)]
        # The order body is a tagged union: its tag is not a field.
        location = [p for p in location if p not in _UNION_TAGS]
        message = str(item.get("msg", "invalid"))
        if item.get("type") == "json_invalid":
            message = f"malformed JSON: {item.get('ctx', {}).get('error', message)}"
            location = ["body"]
        errors.append(FieldError(field_path(location), message))
    first = errors[0] if errors else FieldError("body", "invalid")
    if any(e.message.startswith("malformed JSON") for e in errors):
        problem: ServiceError = BadRequestError(f"{first.field}: {first.message}", errors)
    else:
        problem = UnprocessableError(f"{first.field}: {first.message}", errors)
    return problem_response(problem, request.url.path)


def _http(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    status = error.status_code
    detail = str(error.detail)
    cls = {
        404: NotFoundError,
        401: UnauthorizedError,
        413: PayloadTooLargeError,
        409: ConflictError,
    }.get(status)
    # Only the framework raises these: no route for the path, or not for the method, or a
    # body it could not read (e.g. a number too long to convert).
    at_fault = {
        400: FieldError("body", detail),
        404: FieldError("path", "no such route"),
        405: FieldError("method", detail),
    }
    errors = [at_fault[status]] if status in at_fault else []
    if cls is None:
        problem = ServiceError(detail, errors)
        problem.status = status
        problem.title = detail
        problem.slug = f"http-{status}"
    else:
        problem = cls(detail, errors)
    return problem_response(problem, request.url.path)


def _service(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ServiceError)
    return problem_response(error, request.url.path)


def install_handlers(app: Any) -> None:
    """Route every error the framework or the service raises to a problem document."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ServiceError, _service)
