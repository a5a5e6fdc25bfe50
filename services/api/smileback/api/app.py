"""The FastAPI application factory: wiring only, no settings read here."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from smileback.api.errors import install_error_handlers
from smileback.api.middleware import DEFAULT_MAX_BODY_BYTES, BodySizeLimit, RequestMetrics
from smileback.api.routers import health, incidents, mentions, metrics
from smileback.common.errors import ConfigError

__all__ = ["create_app"]


def create_app(
    *, engine: Engine, api_token: str, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> FastAPI:
    """The API over `engine`; `/v1/*` answers only to `Authorization: Bearer <api_token>`."""
    if not api_token:
        raise ConfigError("the API token must not be empty")
    app = FastAPI(
        title="Smileback API",
        version="1",
        description="Scored brand mentions and the incidents they raised.",
    )
    app.state.engine = engine
    app.state.sessions = sessionmaker(engine, expire_on_commit=False)
    app.state.api_token = api_token.encode("utf-8")
    install_error_handlers(app)
    for router in (health.router, metrics.router, mentions.router, incidents.router):
        app.include_router(router)
    # Added last = outermost: metrics see every response, including a 413.
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    app.add_middleware(RequestMetrics)
    return app
