"""Bearer tokens: every route but ``/health`` needs one; compared in constant time.

The token is checked first, before anything reads the body, the query or the path
(:class:`AuthGate`): a request without a valid token gets a 401 whatever else is wrong with
it, so a client without a token learns nothing about what the service would accept. The
OpenAPI documents and ``/metrics`` need the token too unless the settings open them.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from allocation.service.problems import FieldError, UnauthorizedError, problem_response
from allocation.service.settings import ServiceSettings, client_id_of

__all__ = ["CLIENT_STATE", "LOCAL_CLIENT", "AuthGate", "bearer", "client_of", "client_of_header"]

LOCAL_CLIENT = "local"
CLIENT_STATE = "parts_priority_client"
"""Key of the request's client id in the ASGI scope's ``state`` (set by :class:`AuthGate`)."""
bearer = HTTPBearer(auto_error=False, description="the token configured on the server")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="parts-priority"'}


def client_of(settings: ServiceSettings, credentials: HTTPAuthorizationCredentials | None) -> str:
    """The client id of a request's token, or :class:`UnauthorizedError`.

    Every configured token is compared (with :func:`hmac.compare_digest`), so the time taken
    does not tell which one was close.
    """
    if settings.no_auth:
        return LOCAL_CLIENT
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UnauthorizedError(
            "a bearer token is required",
            [FieldError("header.Authorization", "missing or not 'Bearer <token>'")],
            headers=_CHALLENGE,
        )
    given = credentials.credentials.encode()
    match = None
    for token in settings.tokens:
        if hmac.compare_digest(given, token.encode()) and match is None:
            match = token
    if match is None:
        raise UnauthorizedError(
            "the bearer token is not valid",
            [FieldError("header.Authorization", "unknown token")],
            headers=_CHALLENGE,
        )
    return client_id_of(match)


def client_of_header(settings: ServiceSettings, header: str | None) -> str:
    """:func:`client_of` for the raw ``Authorization`` header (``Bearer <token>``)."""
    scheme, _, token = (header or "").strip().partition(" ")
    token = token.strip()
    credentials = (
        HTTPAuthorizationCredentials(scheme=scheme, credentials=token) if scheme and token else None
    )
    return client_of(settings, credentials)


def settings_of(request: Request) -> ServiceSettings:
    """The settings of the app serving a request."""
    settings = request.app.state.settings
    assert isinstance(settings, ServiceSettings)
    return settings


class AuthGate:
    """ASGI middleware: 401 ``problem+json`` for a request without a valid token, before the
    body is read or a route looks at the request; ``public`` paths pass without one.

    The client id of the token is left in the scope's ``state`` under :data:`CLIENT_STATE`,
    so the routes do not compare the token a second time.
    """

    def __init__(self, app: ASGIApp, settings: ServiceSettings, public: Iterable[str]) -> None:
        self.app = app
        self.settings = settings
        self.public = frozenset(public)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.public:
            await self.app(scope, receive, send)
            return
        header = None
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                header = value.decode("latin-1")
                break
        try:
            client = client_of_header(self.settings, header)
        except UnauthorizedError as refused:
            await problem_response(refused, scope["path"])(scope, receive, send)
            return
        scope.setdefault("state", {})[CLIENT_STATE] = client
        await self.app(scope, receive, send)
