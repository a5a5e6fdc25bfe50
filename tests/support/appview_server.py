"""A local Bluesky AppView answering `app.bsky.actor.getProfiles` (up to 25 `actors`).

`mode`: "normal" answers at once, "slow" after `delay_s`, "failing" with a 500. Every call
records the actors it asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field

from tests.support.infra import free_ports
from tests.support.local_http import read_request, send

__all__ = ["AppViewServer", "profile"]

PATH = "/xrpc/app.bsky.actor.getProfiles"


def profile(did: str, *, followers: int, handle: str = "") -> dict[str, object]:
    """A ProfileViewDetailed with the fields reach reads."""
    return {
        "did": did,
        "handle": handle or f"{did.rsplit(':', 1)[1]}.bsky.social",
        "displayName": f"Name of {did}",
        "followersCount": followers,
        "followsCount": 7,
        "postsCount": 100,
        "createdAt": "2023-04-01T10:00:00.000Z",
        "indexedAt": "2026-03-14T09:00:00.000Z",
    }


@dataclass
class AppViewServer:
    profiles: dict[str, dict[str, object]] = field(default_factory=dict)
    mode: str = "normal"
    delay_s: float = 1.0
    calls: list[list[str]] = field(default_factory=list)

    async def __aenter__(self) -> AppViewServer:
        (self.port,) = free_ports(count=1)
        self._closing = asyncio.Event()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing.set()
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await read_request(reader)
            actors = request.query.get("actors", [])
            self.calls.append(actors)
            if request.path != PATH:
                await send(writer, 404, b'{"error":"MethodNotImplemented"}')
            elif len(actors) > 25:
                await send(writer, 400, b'{"error":"InvalidRequest"}')
            elif self.mode == "failing":
                await send(writer, 500, b'{"error":"InternalServerError"}')
            else:
                if self.mode == "slow":
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._closing.wait(), self.delay_s)
                found = [self.profiles[a] for a in actors if a in self.profiles]
                await send(writer, 200, json.dumps({"profiles": found}).encode())
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
