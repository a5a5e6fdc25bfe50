"""Dependencies shared by the routers: the context, a session, and who is asking (with scope).

Every /v1 route depends on exactly one of READ, RESPOND or ADMIN: the bearer token was
checked by the AuthGate before the body was read (401), then here its scope (403), then its
key's rate limit (429).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from smileback.api.auth import Principal, Scope
from smileback.api.context import ApiContext
from smileback.api.errors import ApiError
from smileback.api.gate import PRINCIPAL
from smileback.api.metrics import RATE_LIMITED

__all__ = [
    "ADMIN",
    "BEARER",
    "READ",
    "RESPOND",
    "ContextDep",
    "ResponderDep",
    "SessionDep",
    "authenticate",
    "get_context",
    "get_session",
    "require",
]

# auto_error=False: a missing header gets our 401 shape, not FastAPI's default 403.
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    description="An API key from `smileback keys create`, or SMILEBACK_API_TOKEN (admin).",
)


def get_context(request: Request) -> ApiContext:
    """The app's context."""
    context: ApiContext = request.app.state.context
    return context


ContextDep = Annotated[ApiContext, Depends(get_context)]


def get_session(context: ContextDep) -> Iterator[Session]:
    """A session for one request."""
    with context.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def authenticate(
    request: Request,
    # Declares the scheme in the OpenAPI spec; the gate has already checked the header.
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Principal:
    """Who the AuthGate admitted (it checks the token before the body is read)."""
    principal = request.scope.get("state", {}).get(PRINCIPAL)
    if not isinstance(principal, Principal):
        raise _unauthorized("a valid bearer token is required")
    return principal


def require(scope: Scope) -> Callable[..., Principal]:
    """A dependency admitting keys with at least `scope`, within their rate limit."""

    def dependency(
        context: ContextDep, principal: Annotated[Principal, Depends(authenticate)]
    ) -> Principal:
        if not principal.scope.allows(scope):
            raise ApiError(
                status=403,
                code="forbidden",
                message=f"this needs the {scope} scope; the key has {principal.scope}",
            )
        wait_s = context.limiter.take(principal.key_id)
        if wait_s > 0:
            RATE_LIMITED.labels(key_id=principal.key_id).inc()
            raise ApiError(
                status=429,
                code="rate_limited",
                message="too many requests for this API key; slow down",
                headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
            )
        return principal

    dependency.__name__ = f"require_{scope}"
    return dependency


READ = require(Scope.READ)
RESPOND = require(Scope.RESPOND)
ADMIN = require(Scope.ADMIN)
# The caller of an action: a key that may respond (who acts is derived from it: acting.py).
ResponderDep = Annotated[Principal, Depends(RESPOND)]


def _unauthorized(message: str) -> ApiError:
    return ApiError(
        status=401, code="unauthorized", message=message, headers={"WWW-Authenticate": "Bearer"}
    )
