"""Bearer tokens: every route but ``/health`` needs one; compared in constant time."""

from __future__ import annotations

import hmac

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from allocation.service.problems import FieldError, UnauthorizedError
from allocation.service.settings import ServiceSettings, client_id_of

__all__ = ["LOCAL_CLIENT", "bearer", "client_of"]

LOCAL_CLIENT = "local"
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


def settings_of(request: Request) -> ServiceSettings:
    """The settings of the app serving a request."""
    settings = request.app.state.settings
    assert isinstance(settings, ServiceSettings)
    return settings
