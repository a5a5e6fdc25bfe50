"""Dependencies shared by the routers: the database session and the bearer token check."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from smileback.api.errors import ApiError

__all__ = ["BEARER", "SessionDep", "get_session", "require_token"]

# auto_error=False: a missing header gets our 401 shape, not FastAPI's default 403.
BEARER = HTTPBearer(
    auto_error=False, scheme_name="bearerAuth", description="The API token (SMILEBACK_API_TOKEN)."
)


def get_session(request: Request) -> Iterator[Session]:
    """A read session for one request."""
    factory: sessionmaker[Session] = request.app.state.sessions
    with factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> None:
    """Accept only `Authorization: Bearer <the API token>`."""
    expected: bytes = request.app.state.api_token
    given = credentials.credentials.encode("utf-8") if credentials is not None else b""
    # compare_digest: the time taken does not tell how much of a guess was right.
    if credentials is None or not secrets.compare_digest(given, expected):
        raise ApiError(
            status=401,
            code="unauthorized",
            message="a valid bearer token is required"
            if credentials is not None
            else "missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
