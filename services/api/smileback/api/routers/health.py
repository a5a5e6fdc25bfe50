"""Liveness and readiness: the process answers and the database does too."""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Request
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from smileback.api.errors import ApiError
from smileback.api.schemas import ErrorBody, Health

__all__ = ["router"]

log = structlog.get_logger(__name__)

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": ErrorBody, "description": "The database does not answer."}},
)
def healthz(request: Request) -> Health:
    """200 when the database answers `select 1`, else 503."""
    engine: Engine = request.app.state.engine
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except SQLAlchemyError as exc:
        log.warning("health check failed", error_type=type(exc).__name__)
        raise ApiError(status=503, code="unavailable", message="database unavailable") from exc
    return Health(status="ok", database="ok")
