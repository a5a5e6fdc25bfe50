"""Mastodon's REST side of streaming: which stream a name means, where the streaming server
is, and the backfill of a gap from the timelines.

The backfill asks with `since_id` (the last id seen) and walks older pages by the `Link`
header's `next` (a `max_id`), since a timeline answers newest first; it then hands the
statuses out oldest first, as the stream would have. It waits out the rate limit the
server announces (`X-RateLimit-Remaining` at 0: until `X-RateLimit-Reset`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import structlog

from smileback.common.clock import Clock
from smileback.common.errors import ConfigError

__all__ = [
    "MAX_BACKFILL_PAGES",
    "MAX_RATE_WAIT_S",
    "PAGE_LIMIT",
    "MastodonAuthError",
    "Sleep",
    "StreamSpec",
    "backfill",
    "bearer",
    "parse_stream",
    "streaming_base",
]

log = structlog.get_logger(__name__)

PAGE_LIMIT = 40  # the most a Mastodon timeline page holds
# A gap longer than this many pages (1,600 statuses) is backfilled from its newest part:
# the older rest would cost minutes of rate limit for news that is stale anyway.
MAX_BACKFILL_PAGES = 40
# A reset further away than this is a server's error, not a reason to stall the stream.
MAX_RATE_WAIT_S = 300.0

# How the client waits: asyncio.sleep, or a recorder in tests.
Sleep = Callable[[float], Awaitable[None]]


class MastodonAuthError(ConfigError):
    """The server refused the token (HTTP 401)."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"{url} answered 401: Mastodon needs a USER access token (since 4.2 every stream, "
            "public ones included, refuses anonymous and app-only tokens). Create one under "
            "Preferences > Development > New application with the `read` scope, and set "
            "SMILEBACK_MASTODON_TOKEN to its access token."
        )


@dataclass(frozen=True)
class StreamSpec:
    """A stream's streaming path and query, and the REST timeline that backfills it."""

    name: str
    stream_path: str
    timeline_path: str
    stream_params: dict[str, str] = field(default_factory=dict)
    timeline_params: dict[str, str] = field(default_factory=dict)


def parse_stream(name: str) -> StreamSpec:
    """`public`, `public:local`, `hashtag:TAG`, `list:ID` or `user` as a StreamSpec."""
    kind, _, arg = name.partition(":")
    base = "/api/v1/streaming"
    if name == "public":
        return StreamSpec(name, f"{base}/public", "/api/v1/timelines/public")
    if name == "public:local":
        return StreamSpec(
            name,
            f"{base}/public/local",
            "/api/v1/timelines/public",
            timeline_params={"local": "true"},
        )
    if name == "user":
        return StreamSpec(name, f"{base}/user", "/api/v1/timelines/home")
    if kind == "hashtag" and arg:
        tag = arg.removeprefix("#")
        path = f"/api/v1/timelines/tag/{httpx.URL(tag).raw_path.decode()}"
        return StreamSpec(name, f"{base}/hashtag", path, stream_params={"tag": tag})
    if kind == "list" and arg.isalnum():
        return StreamSpec(
            name, f"{base}/list", f"/api/v1/timelines/list/{arg}", stream_params={"list": arg}
        )
    raise ConfigError(
        f"unknown Mastodon stream {name!r}: expected public, public:local, hashtag:TAG, "
        "list:ID or user"
    )


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of a token."""
    return {"Authorization": f"Bearer {token}"}


async def streaming_base(client: httpx.AsyncClient, *, instance: str) -> str:
    """Where the streaming API lives (`configuration.urls.streaming` of `/api/v2/instance`,
    as an http(s) URL), else the instance itself, as older servers serve it there."""
    try:
        response = await client.get(f"{instance}/api/v2/instance")
        response.raise_for_status()
        streaming = response.json()["configuration"]["urls"]["streaming"]
    except (httpx.HTTPError, json.JSONDecodeError, KeyError, TypeError) as exc:
        log.info("no streaming URL announced; using the instance", reason=type(exc).__name__)
        return instance
    scheme, _, rest = streaming.partition("://") if isinstance(streaming, str) else ("", "", "")
    # The streaming API is plain HTTP (SSE) at the WebSocket server's address.
    http = {"wss": "https", "ws": "http", "https": "https", "http": "http"}.get(scheme)
    if http is None or not rest:
        return instance
    return f"{http}://{rest.rstrip('/')}"


async def backfill(
    client: httpx.AsyncClient,
    *,
    instance: str,
    spec: StreamSpec,
    since_id: str,
    now: Clock,
    sleep: Sleep,
    max_pages: int = MAX_BACKFILL_PAGES,
) -> list[tuple[dict[str, object], bytes]]:
    """The statuses after `since_id`, oldest first, each with its JSON bytes."""
    url = f"{instance}{spec.timeline_path}"
    query = {**spec.timeline_params, "since_id": since_id, "limit": str(PAGE_LIMIT)}
    params: dict[str, str] | None = query
    pages: list[list[tuple[dict[str, object], bytes]]] = []
    while params is not None and len(pages) < max_pages:
        response = await _get_within_limits(client, url=url, params=params, now=now, sleep=sleep)
        page = _statuses(response)
        if not page:
            break
        pages.append(page)
        params = _older(response, query=query)
    if params is not None and len(pages) == max_pages:
        log.warning(
            "backfill stopped at its page limit; older statuses of the gap are lost",
            pages=max_pages,
            since_id=since_id,
        )
    return [status for page in reversed(pages) for status in reversed(page)]


async def _get_within_limits(
    client: httpx.AsyncClient,
    *,
    url: str,
    params: dict[str, str],
    now: Clock,
    sleep: Sleep,
) -> httpx.Response:
    while True:
        response = await client.get(url, params=params)
        if response.status_code == 401:
            raise MastodonAuthError(url)
        if response.status_code != 429:
            response.raise_for_status()
        wait = _rate_wait(response, now=now())
        if wait > 0:
            log.info("waiting for the Mastodon rate limit", wait_s=round(wait, 1))
            await sleep(wait)
        if response.status_code != 429:
            return response


def _older(response: httpx.Response, *, query: dict[str, str]) -> dict[str, str] | None:
    """The query of the next older page: Mastodon's `next` link names its max_id but
    leaves since_id out, so the link is read for max_id and the query kept."""
    link = response.links.get("next", {}).get("url")
    max_id = parse_qs(urlsplit(link).query).get("max_id") if link else None
    return {**query, "max_id": max_id[0]} if max_id else None


def _rate_wait(response: httpx.Response, *, now: datetime) -> float:
    remaining = response.headers.get("X-RateLimit-Remaining")
    refused = response.status_code == 429
    if not refused and (remaining is None or remaining.strip() != "0"):
        return 0.0
    reset = response.headers.get("X-RateLimit-Reset")
    try:
        until = datetime.fromisoformat(reset) if reset else None
    except ValueError:
        until = None
    if until is None or until.tzinfo is None:
        return 1.0  # exhausted without a readable reset: a short pause, then ask again
    # A refusal whose reset has passed by our clock (the clocks differ) still waits a
    # moment: asking again at once would only be refused again.
    floor = 1.0 if refused else 0.0
    return min(max((until - now).total_seconds(), floor), MAX_RATE_WAIT_S)


def _statuses(response: httpx.Response) -> list[tuple[dict[str, object], bytes]]:
    try:
        data = response.json()
    except json.JSONDecodeError:
        log.warning("a timeline page is not JSON; backfill ends there")
        return []
    if not isinstance(data, list):
        return []
    # Each status keeps its own bytes: a rejected one is dead-lettered as it was served.
    return [(s, json.dumps(s).encode()) for s in data if isinstance(s, dict)]
