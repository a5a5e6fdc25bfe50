"""A local Jetstream: a WebSocket `/subscribe` that replays an event log as Jetstream does.

It honours `wantedCollections` and `wantedDids`, and resumes from the `cursor` query
parameter as the real server reads it: below 10^15 a v2 sequence number (replay from the
event with that `cursor`, inclusive), above it a `time_us` (replay from that time); the log
is in stream order. Without a cursor a connection starts at the log's start, or, `live`, at
its end, as the real server starts at now. A connection stays open and sends what is
appended to the log while it is (from any thread: a firehose that keeps going). Each
connection records the query it came with (`queries`) and the events it sent (`sent`).
`drop_after[n]`: connection n closes after that many events (a disconnect). Messages in
`garbage` are sent as they are, before the log, on the first connection.
With `compress=true` (Jetstream v1's zstd), each event goes as a binary message, one zstd
frame made with the v1 dictionary, as the real server makes them; offering permessage-deflate
as well is refused with a 400, as the real server refuses it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import zstandard
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from smileback.ingest.streams import jetstream_zstd
from tests.support.infra import free_ports

__all__ = ["SEQUENCE_BELOW", "V1_FRAMES", "JetstreamServer", "commit", "post"]

SEQUENCE_BELOW = 10**15  # a cursor below this is a sequence number, above it a time_us
_FOLLOW_S = 0.02  # how often an open connection looks for events appended to the log


def post(
    did: str, rkey: str, text: str, *, time_us: int, cursor: int | None = None
) -> dict[str, Any]:
    """A commit create of a post, as Jetstream sends it."""
    record = {
        "$type": "app.bsky.feed.post",
        "text": text,
        "langs": ["en"],
        "createdAt": "2026-03-14T09:12:33.901Z",
    }
    return commit(did, rkey, "create", record=record, time_us=time_us, cursor=cursor)


def commit(
    did: str,
    rkey: str,
    operation: str,
    *,
    time_us: int,
    record: dict[str, Any] | None = None,
    cursor: int | None = None,
    collection: str = "app.bsky.feed.post",
) -> dict[str, Any]:
    """A commit event (create, update, delete)."""
    body: dict[str, Any] = {
        "rev": "3l3qo2vutsw2b",
        "operation": operation,
        "collection": collection,
        "rkey": rkey,
    }
    if record is not None:
        body |= {
            "record": record,
            "cid": "bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi",
        }
    event: dict[str, Any] = {"did": did, "time_us": time_us, "kind": "commit", "commit": body}
    if cursor is not None:
        event["cursor"] = cursor
    return event


@dataclass
class JetstreamServer:
    log: list[dict[str, Any]] = field(default_factory=list)
    drop_after: list[int] = field(default_factory=list)
    garbage: list[str | bytes] = field(default_factory=list)
    live: bool = False
    queries: list[dict[str, list[str]]] = field(default_factory=list)
    sent: list[list[dict[str, Any]]] = field(default_factory=list)

    async def __aenter__(self) -> JetstreamServer:
        (self.port,) = free_ports(count=1)
        self._server: Server = await serve(
            self._serve, "127.0.0.1", self.port, process_request=_refuse_two_compressions
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/subscribe"

    async def _serve(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        target = urlsplit(ws.request.path)
        if target.path != "/subscribe":
            await ws.close(code=1008, reason="not found")
            return
        query = parse_qs(target.query)
        compress = query.get("compress") == ["true"]
        connection = len(self.queries)
        self.queries.append(query)
        self.sent.append([])
        start = self._start(query.get("cursor"))
        limit = self.drop_after[connection] if connection < len(self.drop_after) else None
        try:
            if connection == 0:
                for message in self.garbage:
                    await ws.send(message)
            await self._follow(
                ws, start=start, query=query, limit=limit, connection=connection, compress=compress
            )
        except ConnectionClosed:
            return  # the client went away: that is its business

    async def _follow(
        self,
        ws: ServerConnection,
        *,
        start: int,
        query: dict[str, list[str]],
        limit: int | None,
        connection: int,
        compress: bool,
    ) -> None:
        sent = self.sent[connection]
        index = start
        while True:
            while index < len(self.log):
                event = self.log[index]
                index += 1
                if not _wanted(event, query):
                    continue
                if limit is not None and len(sent) == limit:
                    await ws.close()  # a clean close mid-log: the client must resume
                    return
                message = json.dumps(event)
                await ws.send(V1_FRAMES.compress(message.encode()) if compress else message)
                sent.append(event)
            try:
                await asyncio.wait_for(ws.wait_closed(), _FOLLOW_S)
                return
            except TimeoutError:
                continue  # still open: send what was appended meanwhile

    def _start(self, cursor: list[str] | None) -> int:
        """The index in the log a connection with `cursor` starts at."""
        if not cursor:
            return len(self.log) if self.live else 0
        position = int(cursor[0])
        if position < SEQUENCE_BELOW:
            return self._first(lambda e: e.get("cursor", -1) >= position)
        return self._first(lambda e: e["time_us"] >= position)

    def _first(self, reached: Callable[[dict[str, Any]], bool]) -> int:
        return next((i for i, e in enumerate(self.log) if reached(e)), len(self.log))


V1_DICTIONARY = Path(jetstream_zstd.__file__).with_name("v1.zdict").read_bytes()
V1_FRAMES = zstandard.ZstdCompressor(dict_data=zstandard.ZstdCompressionDict(V1_DICTIONARY))


def _refuse_two_compressions(ws: ServerConnection, request: Request) -> Response | None:
    deflate = "permessage-deflate" in request.headers.get("Sec-WebSocket-Extensions", "")
    if deflate and "compress=true" in request.path:
        return ws.respond(400, "choose one compression scheme\n")
    return None


def _wanted(event: dict[str, Any], query: dict[str, list[str]]) -> bool:
    dids = query.get("wantedDids")
    if dids and event["did"] not in dids:
        return False
    collections = query.get("wantedCollections")
    if event["kind"] == "commit" and collections:
        return bool(event["commit"]["collection"] in collections)
    return True
