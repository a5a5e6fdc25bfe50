"""The FastAPI application factory: wiring only, no settings read here."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from smileback.api import console
from smileback.api.auth import RateLimiter
from smileback.api.context import ApiContext
from smileback.api.errors import install_error_handlers
from smileback.api.gate import AuthGate, IpNetwork
from smileback.api.middleware import (
    DEFAULT_MAX_BODY_BYTES,
    ApiHeaders,
    BodySizeLimit,
    RefuseNulInUrl,
    RequestMetrics,
)
from smileback.api.oncall import OnCallSource
from smileback.api.publisher import EventPublisher
from smileback.api.routers import (
    brand_rules,
    brands,
    callbacks_pagerduty,
    callbacks_slack,
    health,
    incident_actions,
    incidents,
    labels,
    mentions,
    metrics,
    oncall,
    ping,
    smile_back,
    stats,
    triage,
)
from smileback.api.routers.callbacks_common import Channels
from smileback.common.bus import Bus
from smileback.common.clock import Clock, utc_now
from smileback.common.errors import ConfigError
from smileback.common.health import Probe
from smileback.common.probes import database_probe
from smileback.common.topics import Topics

__all__ = ["ApiOptions", "create_app"]


@dataclass(frozen=True)
class ApiOptions:
    """Limits and policies of one app (from ApiSettings in `smileback api`)."""

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    rate_per_s: float = 20.0
    rate_burst: int = 100
    # Failed authentications per client address (see AuthGate) before it gets 429s.
    auth_failures_per_s: float = 1.0
    auth_failure_burst: int = 20
    # Proxies whose X-Forwarded-For names the client (addresses or networks).
    trusted_proxies: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    # /docs and /redoc load their scripts from a CDN (no integrity pin, blank offline): off
    # unless asked for. /openapi.json is always served.
    docs: bool = False
    oncall_file: Path | None = None


def create_app(
    *,
    engine: Engine,
    api_token: str | None = None,
    bus: Bus | None = None,
    topics: Topics | None = None,
    options: ApiOptions | None = None,
    kafka_check: Probe | None = None,
    database_check: Probe | None = None,
    clock: Clock = utc_now,
    monotonic: Callable[[], float] = time.monotonic,
    channels: Channels | None = None,
) -> FastAPI:
    """The API over `engine`.

    `api_token` is the bootstrap admin token (SMILEBACK_API_TOKEN); other keys live in
    the store. With a `bus`, the responder's actions are published to its incidents
    topic as well as applied to the store. `/readyz` asks `database_check` (by default a
    `SELECT 1` on `engine`) and `kafka_check` when given. `channels` serves the PagerDuty
    and Slack callbacks whose secrets it holds (outside /v1: they are signed, not tokened).
    """
    if api_token is not None and not api_token:
        raise ConfigError("the API token must not be empty")
    opts = options or ApiOptions()
    proxies = _networks(opts.trusted_proxies)
    app = FastAPI(
        title="Smileback API",
        version="1",
        description="Scored brand mentions, the incidents they raised, and the responder's work.",
        # Starlette builds a slash redirect's URL from the Host header, which the client
        # chooses: a forged Host would turn our answer into a redirect to another site.
        redirect_slashes=False,
        docs_url="/docs" if opts.docs else None,
        redoc_url="/redoc" if opts.docs else None,
    )
    context = app.state.context = ApiContext(
        engine=engine,
        sessions=sessionmaker(engine, expire_on_commit=False),
        bootstrap_token=api_token.encode("utf-8") if api_token else None,
        limiter=RateLimiter(rate_per_s=opts.rate_per_s, burst=opts.rate_burst, clock=monotonic),
        clock=clock,
        publisher=EventPublisher(bus=bus, topics=topics or Topics()) if bus is not None else None,
        database_check=database_check or database_probe(engine),
        kafka_check=kafka_check,
        oncall=OnCallSource(opts.oncall_file) if opts.oncall_file is not None else None,
    )
    install_error_handlers(app)
    for router in (
        health.router,
        metrics.router,
        ping.router,
        labels.router,  # before mentions.router: /v1/mentions/{id} would take its paths
        mentions.router,
        incidents.router,
        incident_actions.router,
        smile_back.router,
        triage.router,
        brands.router,
        brand_rules.router,
        brand_rules.rules_router,
        stats.router,
        oncall.router,
        console.router,
    ):
        app.include_router(router)
    channels = channels or Channels()
    if channels.pagerduty_secret is not None:
        app.include_router(callbacks_pagerduty.make_router(channels))
    if channels.slack_secret is not None:
        app.include_router(callbacks_slack.make_router(channels))
    # Added last = outermost: the token is checked before anything reads the request (so a
    # stranger gets 401, never 400, 413 or 422); the API headers go on every /v1 answer,
    # the gate's too; metrics see every response; CORS answers preflights first.
    app.add_middleware(BodySizeLimit, max_bytes=opts.max_body_bytes)
    app.add_middleware(RefuseNulInUrl)
    app.add_middleware(
        AuthGate,
        context=context,
        failures=RateLimiter(
            rate_per_s=opts.auth_failures_per_s, burst=opts.auth_failure_burst, clock=monotonic
        ),
        trusted_proxies=proxies,
    )
    app.add_middleware(ApiHeaders)
    app.add_middleware(RequestMetrics)
    if opts.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(opts.cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
    return app


def _networks(proxies: tuple[str, ...]) -> tuple[IpNetwork, ...]:
    try:
        return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)
    except ValueError as exc:
        raise ConfigError(f"SMILEBACK_API_TRUSTED_PROXIES: {exc}") from exc
