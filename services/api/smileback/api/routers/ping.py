"""Check a token: who it belongs to, after one database round trip."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import text

from smileback.api.auth import Principal
from smileback.api.deps import READ, SessionDep
from smileback.api.errors import documented
from smileback.api.schemas import Ping

__all__ = ["ping", "router"]

router = APIRouter(prefix="/v1", tags=["session"])


@router.get("/ping", response_model=Ping, responses=documented())
def ping(session: SessionDep, principal: Annotated[Principal, Depends(READ)]) -> Ping:
    """The caller's key id, name, scope and responder, after `SELECT 1` (the benchmark's
    baseline)."""
    session.execute(text("SELECT 1"))
    return Ping(
        ok=True,
        key_id=principal.key_id,
        name=principal.name,
        scope=principal.scope,
        responder=principal.responder,
    )
