"""Prometheus metrics of this process, in the text exposition format."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

__all__ = ["metrics", "router"]

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response)
def metrics() -> Response:
    """Every registered metric."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
