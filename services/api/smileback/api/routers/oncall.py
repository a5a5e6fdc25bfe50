"""Who is on call now (or at a given time), per schedule of the on-call file."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Query

from smileback.api.deps import READ, ContextDep
from smileback.api.errors import ApiError, documented
from smileback.api.params import UtcTime
from smileback.api.schemas import OnCallNow, OnCallOut, OnCallResponder
from smileback.common.errors import ConfigError
from smileback.common.oncall import Responder, who_is_on_call

__all__ = ["on_call", "router"]

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/v1", tags=["on-call"], dependencies=[Depends(READ)])


@router.get("/oncall", response_model=OnCallOut, responses=documented(503))
def on_call(
    context: ContextDep,
    at: Annotated[
        UtcTime | None,
        Query(description="The time to ask about (ISO 8601; naive = UTC; years 1970-2999)."),
    ] = None,
) -> OnCallOut:
    """Each schedule's responder at `at` (default: now) from SMILEBACK_ONCALL_FILE."""
    when = at or context.clock()
    if context.oncall is None:
        return OnCallOut(at=when, configured=False, schedules=[])
    try:
        config = context.oncall.config()
    except ConfigError as exc:
        log.error("on-call file unusable", error=str(exc))
        raise ApiError(
            status=503, code="unavailable", message="the on-call file cannot be read"
        ) from exc
    return OnCallOut(
        at=when,
        configured=True,
        schedules=[
            OnCallNow(schedule=name, responder=_responder(who) if who else None)
            for name, who in who_is_on_call(config=config, at=when).items()
        ],
    )


def _responder(who: Responder) -> OnCallResponder:
    return OnCallResponder(id=who.id, name=who.label, email=who.email, slack=who.slack)
