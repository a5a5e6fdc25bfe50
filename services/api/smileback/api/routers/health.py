"""Liveness (the process answers) and readiness (the database and Kafka answer)."""

from __future__ import annotations

from fastapi import APIRouter

from smileback.api.deps import ContextDep
from smileback.api.errors import ApiError, documented
from smileback.api.schemas import Liveness, Readiness

__all__ = ["healthz", "readyz", "router"]

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Liveness)
def healthz() -> Liveness:
    """200 while the process serves requests; touches nothing else."""
    return Liveness(status="ok")


@router.get("/readyz", response_model=Readiness, responses=documented(503, auth=False))
def readyz(context: ContextDep) -> Readiness:
    """200 when the database answers `SELECT 1` and Kafka answers a metadata request, else 503."""
    database = context.database_check() or "ok"
    kafka = "not configured"
    if context.kafka_check is not None:
        kafka = context.kafka_check() or "ok"
    if database != "ok" or kafka not in ("ok", "not configured"):
        raise ApiError(
            status=503, code="unavailable", message=f"not ready: database {database}, kafka {kafka}"
        )
    return Readiness(status="ok", database=database, kafka=kafka)
