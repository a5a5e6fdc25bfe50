"""A Mastodon stream as an async iterator of mapped events, reconnecting and backfilling.

One session: discover the streaming server (once), open the stream with the user token,
then, when a position is known (the last status id seen, or the caller's persisted one),
backfill the gap from the REST timeline before reading the stream, so a status posted
while disconnected is neither lost nor waited for. The stream is opened first: what is
posted during the backfill waits in the socket rather than falling between the two. A
status seen both ways is yielded twice; downstream de-duplication by mention id drops it.

Dead stream: no byte for `dead_after` (the parser's Liveness rule, 45 s: three missed
`:thump`s) is enforced as the read timeout of each network read. Then, or when the server
closes or fails, the client waits with Backoff and jitter and reconnects. A 401 is not
retried: the token is wrong, and MastodonAuthError says which token is needed.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import structlog

from smileback.common.backoff import Backoff
from smileback.common.clock import Clock, utc_now
from smileback.common.errors import ConfigError
from smileback.common.events import Mention
from smileback.ingest.sources.mastodon import STATUS_EVENTS, instance_host, map_event, map_status
from smileback.ingest.sources.outcomes import Mapped, Outcome, Rejected
from smileback.ingest.sources.payload import Fields, PayloadError, decode_json_object
from smileback.ingest.sources.sse import DEAD_AFTER, SseEvent, SseOversized, SseParser
from smileback.ingest.streams.items import StreamItem
from smileback.ingest.streams.mastodon_api import (
    MastodonAuthError,
    Sleep,
    backfill,
    bearer,
    parse_stream,
    streaming_base,
)

__all__ = ["MAX_ROOTS", "MastodonStream"]

log = structlog.get_logger(__name__)

MAX_ROOTS = 100_000  # thread roots of the statuses seen last, for their replies
_CONNECT_S = 10.0


class MastodonStream:
    """`async for item in MastodonStream(...)`: every status, edit and delete of `stream`."""

    def __init__(
        self,
        *,
        instance: str,
        stream: str,
        token: str,
        since_id: str | None = None,
        dead_after: timedelta = DEAD_AFTER,
        backoff: Backoff | None = None,
        now: Clock = utc_now,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """`since_id`: the position persisted by an earlier run; the gap since is backfilled."""
        self._instance = instance.rstrip("/")
        self._host = instance_host(instance)
        self._spec = parse_stream(stream)
        self._token = token
        self._position = since_id
        self._roots: OrderedDict[str, str] = OrderedDict()
        self._dead_after = dead_after
        self._backoff = backoff or Backoff(base_s=1.0, cap_s=60.0)
        self._now = now
        self._sleep = sleep

    def __repr__(self) -> str:
        # The token is a secret: never in a repr, a log line or an error.
        return f"MastodonStream(instance={self._instance!r}, stream={self._spec.name!r})"

    @property
    def position(self) -> str | None:
        """The id of the newest status yielded so far: persist it, pass it back as since_id."""
        return self._position

    async def __aiter__(self) -> AsyncIterator[StreamItem[Outcome]]:
        timeout = httpx.Timeout(_CONNECT_S, read=self._dead_after.total_seconds())
        async with httpx.AsyncClient(headers=bearer(self._token), timeout=timeout) as client:
            base = await streaming_base(client, instance=self._instance)
            while True:
                try:
                    async for item in self._session(client, base=base):
                        yield item
                    reason = "the server ended the stream"
                except httpx.ReadTimeout:
                    reason = f"no byte for {self._dead_after.total_seconds():g} s"
                except (httpx.TransportError, httpx.HTTPStatusError) as exc:
                    reason = type(exc).__name__
                delay = self._backoff.next()
                log.info("reconnecting to Mastodon", reason=reason, delay_s=round(delay, 2))
                await self._sleep(delay)

    async def _session(
        self, client: httpx.AsyncClient, *, base: str
    ) -> AsyncIterator[StreamItem[Outcome]]:
        url = f"{base}{self._spec.stream_path}"
        async with client.stream("GET", url, params=self._spec.stream_params) as response:
            _check(response, url=url)
            if self._position is not None:
                gap = await backfill(
                    client,
                    instance=self._instance,
                    spec=self._spec,
                    since_id=self._position,
                    now=self._now,
                    sleep=self._sleep,
                )
                for status, raw in gap:
                    yield self._status(Fields(status, path="status"), raw=raw, live=True)
            parser = SseParser()
            try:
                async for chunk in response.aiter_raw():
                    for result in parser.feed(chunk):
                        # Any complete line (`:)` included) shows the server works again.
                        self._backoff.reset()
                        if isinstance(result, SseEvent):
                            yield self._event(result)
                        elif isinstance(result, SseOversized):
                            reason = f"{result.event}: event larger than the parser's limit"
                            yield StreamItem(Rejected(reason=reason), raw=result.head)
            finally:
                if parser.close():
                    # A status cut off by the disconnect comes back with the backfill.
                    log.info("the stream ended inside an event; it is dropped")

    def _event(self, event: SseEvent) -> StreamItem[Outcome]:
        if event.event not in STATUS_EVENTS:
            return StreamItem(map_event(event, host=self._host, now=self._now()), raw=event.data)
        try:
            status = decode_json_object(event.data, what="status")
        except PayloadError as exc:
            return StreamItem(Rejected(reason=f"{event.event}: {exc}"), raw=event.data)
        # An edit (`status.update`) may be of an old status: it does not move the position.
        return self._status(status, raw=event.data, live=event.event == "update")

    def _status(self, status: Fields, *, raw: bytes, live: bool) -> StreamItem[Outcome]:
        outcome = map_status(status, host=self._host, now=self._now(), roots=self._roots)
        if isinstance(outcome, Mapped) and not outcome.mention.deleted:
            self._remember_root(outcome.mention)
        # The position is the status's own id (a boost's, not the boosted one's): that is
        # what the timelines page by.
        try:
            own_id = status.opt_string("id")
        except PayloadError:
            own_id = None  # the outcome is Rejected and says why
        if live and own_id is not None and _after(own_id, self._position):
            self._position = own_id
        return StreamItem(outcome, raw=raw)

    def _remember_root(self, mention: Mention) -> None:
        # A reply's root is its parent's root when the parent was seen: a deep reply then
        # keys by the conversation's first post, not by its parent.
        self._roots[mention.id] = mention.thread.root_id or mention.id
        self._roots.move_to_end(mention.id)
        while len(self._roots) > MAX_ROOTS:
            self._roots.popitem(last=False)


def _check(response: httpx.Response, *, url: str) -> None:
    if response.status_code == 401:
        raise MastodonAuthError(url)
    if response.status_code in (403, 404):
        raise ConfigError(f"{url} answered {response.status_code}: no such stream for this token")
    response.raise_for_status()


def _after(status_id: str, position: str | None) -> bool:
    # Mastodon's ids are decimal snowflakes that grow with time: longer is later, and at one
    # length the text order is the numeric one.
    return position is None or (len(status_id), status_id) > (len(position), position)
