"""A local Mastodon that speaks the real wire formats: `/api/v2/instance`, the streaming API
as server-sent events (`:)` on open, `:thump` comments, `event:` + `data:` lines) on its
own port, and the REST timelines with `Link` pagination and rate-limit headers.

Each stream connection plays the next script of `scripts`: a list of byte chunks written
in order (a float is a pause in seconds), then the connection closes, or stays open and
silent when the script ends with HANG.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from tests.support.infra import free_ports
from tests.support.local_http import read_request, send

__all__ = ["HANG", "MastodonServer", "Request", "Script", "sse", "status"]

HANG = "hang"
Script = list[bytes | float | str]


def status(status_id: int, text: str, *, followers: int = 10) -> dict[str, object]:
    """A Status with the fields Mastodon's serializer always writes."""
    return {
        "id": str(status_id),
        "created_at": "2026-03-14T09:12:33.901Z",
        "in_reply_to_id": None,
        "spoiler_text": "",
        "language": "en",
        "url": f"https://mastodon.test/@lena/{status_id}",
        "content": f"<p>{text}</p>",
        "reblog": None,
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "account": {
            "id": "1",
            "acct": "lena",
            "display_name": "Lena",
            "bot": False,
            "created_at": "2022-10-24T00:00:00.000Z",
            "followers_count": followers,
            "following_count": 5,
        },
    }


def sse(event: str, data: object) -> bytes:
    """One event as Mastodon's streaming server writes it."""
    payload = data if isinstance(data, str) else json.dumps(data)
    return f"event: {event}\ndata: {payload}\n\n".encode()


@dataclass(frozen=True)
class Request:
    """What a client asked: which port (api or streaming), path, query, Authorization."""

    port: int
    path: str
    query: dict[str, list[str]]
    authorization: str | None
    status: int


@dataclass
class MastodonServer:
    token: str = "user-token"
    scripts: list[Script] = field(default_factory=list)
    timeline: list[dict[str, object]] = field(default_factory=list)
    announce_streaming: bool = True
    stream_failures: int = 0  # stream connections answered 503 before one is served
    page_size: int = 40  # the most a timeline page holds, whatever `limit` asks
    rate_limit: int = 300  # requests per window
    rate_window: timedelta = timedelta(minutes=5)
    requests: list[Request] = field(default_factory=list)

    async def __aenter__(self) -> MastodonServer:
        self.api_port, self.streaming_port = free_ports(count=2)
        self._servers = [
            await asyncio.start_server(self._serve, "127.0.0.1", port)
            for port in (self.api_port, self.streaming_port)
        ]
        self._closing = asyncio.Event()
        self._budget = self.rate_limit
        self._reset = datetime.now(UTC) + self.rate_window
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing.set()  # hanging streams end; their handlers close their sockets
        for server in self._servers:
            server.close()
            await server.wait_closed()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def served(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await read_request(reader)
            await self._route(
                writer,
                port=writer.get_extra_info("sockname")[1],
                path=request.path,
                query=request.query,
                authorization=request.headers.get("authorization"),
            )
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _route(
        self,
        writer: asyncio.StreamWriter,
        *,
        port: int,
        path: str,
        query: dict[str, list[str]],
        authorization: str | None,
    ) -> None:
        def record(code: int) -> None:
            self.requests.append(Request(port, path, query, authorization, code))

        if path == "/api/v2/instance":
            record(200)
            urls = {"streaming": f"ws://127.0.0.1:{self.streaming_port}"}
            body = {"domain": "mastodon.test", "configuration": {"urls": urls}}
            if not self.announce_streaming:
                body = {"domain": "mastodon.test"}
            await send(writer, 200, json.dumps(body).encode())
            return
        if authorization != f"Bearer {self.token}":
            record(401)
            await send(writer, 401, b'{"error":"This method requires an authenticated user"}')
            return
        streaming = port == self.streaming_port or not self.announce_streaming
        if path.startswith("/api/v1/streaming/") and streaming and self.stream_failures:
            self.stream_failures -= 1
            record(503)
            await send(writer, 503, b'{"error":"Service Unavailable"}')
        elif path.startswith("/api/v1/streaming/") and streaming:
            record(200)
            await self._stream(writer)
        elif path.startswith("/api/v1/timelines/") and port == self.api_port:
            await self._timeline(writer, path=path, query=query, record=record)
        else:
            record(404)
            await send(writer, 404, b'{"error":"Record not found"}')

    async def _stream(self, writer: asyncio.StreamWriter) -> None:
        script = self.scripts.pop(0) if self.scripts else [HANG]
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Cache-Control: no-store\r\nConnection: close\r\n\r\n:)\n"
        )
        await writer.drain()
        for step in script:
            if step == HANG:
                await self._closing.wait()
            elif isinstance(step, float):
                await asyncio.sleep(step)
            elif isinstance(step, bytes):
                writer.write(step)
                await writer.drain()

    async def _timeline(
        self,
        writer: asyncio.StreamWriter,
        *,
        path: str,
        query: dict[str, list[str]],
        record: Callable[[int], None],
    ) -> None:
        now = datetime.now(UTC)
        if now >= self._reset:
            self._budget, self._reset = self.rate_limit, now + self.rate_window
        limits = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Reset": self._reset.isoformat(),
        }
        if self._budget <= 0:
            record(429)
            await send(
                writer,
                429,
                b'{"error":"Too many requests"}',
                {**limits, "X-RateLimit-Remaining": "0"},
            )
            return
        self._budget -= 1
        since = int(query.get("since_id", ["0"])[0])
        below = int(query["max_id"][0]) if "max_id" in query else None
        limit = min(int(query.get("limit", ["20"])[0]), self.page_size)
        newer = [s for s in self.timeline if int(str(s["id"])) > since]
        if below is not None:
            newer = [s for s in newer if int(str(s["id"])) < below]
        page = sorted(newer, key=lambda s: int(str(s["id"])), reverse=True)[:limit]
        headers = {**limits, "X-RateLimit-Remaining": str(self._budget)}
        if page:
            base = f"http://127.0.0.1:{self.api_port}{path}"
            # As Mastodon writes it: the page's own filters and max_id, but not since_id.
            kept = {k: v[0] for k, v in query.items() if k in ("local", "limit")}
            older = urlencode({**kept, "max_id": page[-1]["id"]})
            newest = urlencode({"min_id": page[0]["id"], "limit": limit})
            headers["Link"] = f'<{base}?{older}>; rel="next", <{base}?{newest}>; rel="prev"'
        record(200)
        await send(writer, 200, json.dumps(page).encode(), headers)
