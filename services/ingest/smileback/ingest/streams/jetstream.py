"""Bluesky Jetstream as an async iterator of mapped events, resuming where it left off.

It subscribes to `wantedCollections=app.bsky.feed.post` (and `wantedDids` when given). On
a close or an error it waits with Backoff and jitter and reconnects with `?cursor=` from
`resume_from(position)`: v2's `cursor` as it is, else `time_us` rewound a few seconds, so
events in flight at the drop come again (duplicates, dropped downstream by mention id)
rather than never. websockets' pings (every 20 s, 20 s to answer) find a dead link.

Compression is off by default. With `zstd`, it asks for `compress=true`, Jetstream v1's
scheme: binary messages, each one zstd frame made with the dictionary in `jetstream_zstd`,
roughly a third of the bytes. permessage-deflate is never offered (a server refuses both at
once, and deflate costs it more CPU). A frame that does not inflate goes to the DLQ with its
bytes; a text message is read as it is, compressed or not.

With a ProfileLookup, posts are read in windows (up to 25 authors wanting counts, or
`linger_s`), so one getProfiles call serves a window; each post still goes out in order.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from urllib.parse import urlencode

import structlog
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidURI, WebSocketException
from websockets.uri import parse_uri

from smileback.common.backoff import Backoff
from smileback.common.clock import Clock, utc_now
from smileback.common.errors import ConfigError
from smileback.ingest.sources.jetstream import (
    POST_COLLECTION,
    HandleChanged,
    JetstreamOutcome,
    Position,
    Received,
    map_event,
    resume_from,
)
from smileback.ingest.sources.outcomes import Mapped, Rejected
from smileback.ingest.streams.items import StreamItem
from smileback.ingest.streams.jetstream_zstd import FrameDecoder, FrameError
from smileback.ingest.streams.profiles import BATCH, ProfileLookup

__all__ = ["MAX_HANDLES", "JetstreamStream"]

log = structlog.get_logger(__name__)

MAX_HANDLES = 100_000  # handles learnt from identity events, most recent kept
# A post is under 300 graphemes; an event far past 1 MiB is not one Jetstream sends.
_MAX_MESSAGE = 1024 * 1024


class JetstreamStream:
    """`async for item in JetstreamStream(...)`: posts, deletes, identity and account events."""

    def __init__(
        self,
        *,
        url: str,
        wanted_dids: Sequence[str] = (),
        position: Position | None = None,
        profiles: ProfileLookup | None = None,
        linger_s: float = 0.2,
        backoff: Backoff | None = None,
        now: Clock = utc_now,
        zstd: bool = False,
    ) -> None:
        """`position`: the one persisted by an earlier run against the same `url`."""
        try:
            parse_uri(url)
        except InvalidURI as exc:
            raise ConfigError(f"not a Jetstream URL: {url!r}") from exc
        self._url = url
        self._wanted_dids = tuple(wanted_dids)
        self._position = position
        self._profiles = profiles
        self._linger_s = linger_s if profiles is not None else 0.0
        self._backoff = backoff or Backoff(base_s=1.0, cap_s=60.0)
        self._now = now
        self._handles: OrderedDict[str, str] = OrderedDict()
        self._frames = FrameDecoder(max_size=_MAX_MESSAGE) if zstd else None

    @property
    def position(self) -> Position | None:
        """The position of the newest event yielded so far: persist it, pass it back."""
        return self._position

    def subscribe_url(self) -> str:
        """The URL of the next connection, the resume cursor included."""
        query: list[tuple[str, str]] = [("wantedCollections", POST_COLLECTION)]
        query += [("wantedDids", did) for did in self._wanted_dids]
        if self._position is not None:
            query.append(("cursor", str(resume_from(self._position).cursor)))
        if self._frames is not None:
            query.append(("compress", "true"))
        return f"{self._url}{'&' if '?' in self._url else '?'}{urlencode(query)}"

    async def __aiter__(self) -> AsyncIterator[StreamItem[JetstreamOutcome]]:
        while True:
            try:
                # close_timeout: a paused stream is dropped at once, not after 10 s of waiting
                # for the close handshake of a server still sending.
                async with connect(
                    self.subscribe_url(), max_size=_MAX_MESSAGE, compression=None, close_timeout=1
                ) as ws:
                    async for window in self._windows(ws):
                        for position, item in await self._enriched(window):
                            # The position moves as its item goes out: the caller persists
                            # it once the item is handled, and a resume starts there.
                            if position is not None:
                                self._position = position
                            yield item
                reason = "the server closed the connection"
            except (OSError, TimeoutError, WebSocketException) as exc:
                reason = type(exc).__name__
            delay = self._backoff.next()
            log.info("reconnecting to Jetstream", reason=reason, delay_s=round(delay, 2))
            await asyncio.sleep(delay)

    async def _windows(self, ws: ClientConnection) -> AsyncIterator[list[tuple[Received, bytes]]]:
        loop = asyncio.get_running_loop()
        while True:
            try:
                window = [self._receive(await ws.recv())]
            except ConnectionClosed:
                return
            self._backoff.reset()
            deadline = loop.time() + self._linger_s
            closed = False
            while _wanting_counts(window) < BATCH and (left := deadline - loop.time()) > 0:
                try:
                    # recv is cancel-safe: a message not yet received stays queued. The
                    # timeout is asyncio.timeout, as Python 3.11's wait_for can drop a stop.
                    async with asyncio.timeout(left):
                        message = await ws.recv()
                    window.append(self._receive(message))
                except TimeoutError:
                    break
                except ConnectionClosed:
                    closed = True
                    break
            yield window
            if closed:
                return

    def _receive(self, message: str | bytes) -> tuple[Received, bytes]:
        if isinstance(message, str):
            raw = message.encode()
        elif self._frames is None:
            raw = message
        else:
            try:
                raw = self._frames.decode(message)
            except FrameError as exc:
                return Received(outcome=Rejected(reason=str(exc)), position=None), message
        received = map_event(raw, now=self._now(), handles=self._handles)
        if isinstance(received.outcome, HandleChanged):
            self._learn(received.outcome)
        return received, raw

    async def _enriched(
        self, window: list[tuple[Received, bytes]]
    ) -> list[tuple[Position | None, StreamItem[JetstreamOutcome]]]:
        mapped = [r.outcome for r, _ in window if isinstance(r.outcome, Mapped)]
        if self._profiles is not None and mapped:
            mapped = await self._profiles.enrich(mapped)
        filled = iter(mapped)
        return [
            (
                received.position,
                StreamItem(
                    next(filled) if isinstance(received.outcome, Mapped) else received.outcome,
                    raw=raw,
                ),
            )
            for received, raw in window
        ]

    def _learn(self, change: HandleChanged) -> None:
        if change.handle is None:
            self._handles.pop(change.did, None)
            return
        self._handles[change.did] = change.handle
        self._handles.move_to_end(change.did)
        while len(self._handles) > MAX_HANDLES:
            self._handles.popitem(last=False)


def _wanting_counts(window: list[tuple[Received, bytes]]) -> int:
    return sum(
        1
        for received, _ in window
        if isinstance(received.outcome, Mapped) and not received.outcome.author_counts_known
    )
