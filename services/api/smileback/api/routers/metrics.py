"""Prometheus metrics of this process, in the text exposition format.

The smile-back queue lives in the store, so a scrape reads its size and oldest entry there
(one indexed query); while the store does not answer, the gauges keep their last values.
"""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from smileback.api.context import ApiContext
from smileback.api.deps import ContextDep
from smileback.api.metrics import SMILE_QUEUE_DEPTH, SMILE_QUEUE_OLDEST_AGE
from smileback.api.store.queries import waiting
from smileback.common.events import QueueName

__all__ = ["metrics", "router"]

log = structlog.get_logger(__name__)

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response)
def metrics(context: ContextDep) -> Response:
    """Every registered metric."""
    # Asked first (`smileback api` answers from its last probe): a scrape during a database
    # outage must not wait on the store, it is what shows the outage.
    if context.database_check() is None:
        _read_smile_queue(context)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def _read_smile_queue(context: ApiContext) -> None:
    try:
        with context.sessions() as session:
            depth, oldest = waiting(session, queue=QueueName.SMILE_BACK)
    except SQLAlchemyError as exc:
        log.debug("smile-back queue not read", error_type=type(exc).__name__)
        return
    SMILE_QUEUE_DEPTH.set(depth)
    age_s = (context.clock() - oldest).total_seconds() if oldest is not None else 0.0
    SMILE_QUEUE_OLDEST_AGE.set(max(0.0, age_s))
