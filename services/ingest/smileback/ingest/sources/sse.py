"""An incremental parser of server-sent events (the WHATWG `text/event-stream` format), and
the liveness rule of a stream that sends heartbeat comments.

Bytes go in as the network delivers them, split anywhere; complete events and comments come
out in order. Lines end in CRLF, LF or CR. An event is dispatched at the blank line that
ends it, so an event cut off by a disconnect is never emitted (`close` says one was
dropped). Its data stays bytes: the mapper decodes it and dead-letters what is not UTF-8 or
not JSON, with the exact bytes.

httpx-sse's decoder was the alternative: it drops comments, so it cannot report Mastodon's
`:thump` heartbeats, and it decodes text before splitting it, so invalid UTF-8 is replaced
instead of dead-lettered; it also imports httpx into what must stay a pure core.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "DEAD_AFTER",
    "MAX_EVENT_BYTES",
    "Liveness",
    "SseComment",
    "SseEvent",
    "SseOversized",
    "SseParser",
    "SseResult",
]

# Mastodon sends `:thump` every 15 s: three missed heartbeats mean the stream is dead.
DEAD_AFTER = timedelta(seconds=45)
# A Mastodon status with 10,000 characters and its account is well under 1 MiB; a larger
# event is a misbehaving server, and buffering it would only grow memory.
MAX_EVENT_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class SseEvent:
    """One dispatched event: its type ("message" when unnamed), data lines joined by LF."""

    event: str
    data: bytes
    id: str | None = None


@dataclass(frozen=True)
class SseComment:
    """A comment line (`:)` on open, `:thump`): the server is alive, nothing else."""

    text: str


@dataclass(frozen=True)
class SseOversized:
    """An event longer than MAX_EVENT_BYTES, skipped up to its blank line; its head kept
    (at most 1 KiB) for the dead-letter record."""

    event: str
    head: bytes


SseResult = SseEvent | SseComment | SseOversized


class SseParser:
    """Feed it bytes; it returns what they completed."""

    def __init__(self, *, max_event_bytes: int = MAX_EVENT_BYTES) -> None:
        self._max = max_event_bytes
        self._buffer = bytearray()
        self._after_cr = False  # the last chunk ended in CR: a leading LF belongs to it
        self._rest_of_line_dropped = False  # an endless line was cut; its tail is no line
        self._event = ""
        self._data: list[bytes] = []
        self._size = 0
        self._oversized = False
        self._last_id: str | None = None
        self._head = b""

    def feed(self, chunk: bytes) -> list[SseResult]:
        """Parse `chunk` and return the events and comments it completed, in order."""
        if not chunk:
            return []
        if self._after_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        self._after_cr = chunk.endswith(b"\r")
        self._buffer += chunk
        results: list[SseResult] = []
        size = len(self._buffer)
        start, cr, lf = 0, -1, -1
        while True:
            # Each search runs on from where it last stopped: one pass over the buffer.
            if cr < start:
                cr = _find(self._buffer, b"\r", start)
            if lf < start:
                lf = _find(self._buffer, b"\n", start)
            end = min(cr, lf)
            if end == size:
                break
            line = bytes(self._buffer[start:end])
            start = end + 2 if self._buffer[end : end + 2] == b"\r\n" else end + 1
            if self._rest_of_line_dropped:
                self._rest_of_line_dropped = False
                continue
            result = self._line(line)
            if result is not None:
                results.append(result)
        del self._buffer[:start]
        if len(self._buffer) > self._max:
            # One endless line: drop it up to its end, and the event it is part of.
            self._buffer.clear()
            self._rest_of_line_dropped = True
            self._overflow()
        return results

    def close(self) -> bool:
        """The stream ended: forget any partial event; True if there was one."""
        partial = bool(self._buffer or self._data or self._event or self._oversized)
        self._buffer.clear()
        self._after_cr = False
        self._rest_of_line_dropped = False
        self._reset()
        return partial

    def _line(self, line: bytes) -> SseResult | None:
        if not line:
            return self._dispatch()
        if line.startswith(b":"):
            return SseComment(text=line[1:].decode("utf-8", errors="replace"))
        name, _, value = line.partition(b":")
        if value.startswith(b" "):
            value = value[1:]
        if self._oversized:
            return None
        if name == b"event":
            self._event = value.decode("utf-8", errors="replace")
        elif name == b"data":
            self._data.append(value)
            self._size += len(value) + 1
            if self._size > self._max:
                self._overflow()
        elif name == b"id" and b"\0" not in value:
            self._last_id = value.decode("utf-8", errors="replace")
        # `retry` and unknown fields are ignored: the client owns its reconnect policy.
        return None

    def _overflow(self) -> None:
        if not self._oversized:
            self._head = b"\n".join(self._data)[:1024]
        self._oversized = True
        self._data = []
        self._size = 0

    def _dispatch(self) -> SseResult | None:
        if self._oversized:
            result: SseResult | None = SseOversized(event=self._event or "message", head=self._head)
        elif self._data:
            data = b"\n".join(self._data)
            result = SseEvent(event=self._event or "message", data=data, id=self._last_id)
        else:
            result = None  # an event without data lines is not dispatched
        self._reset()
        return result

    def _reset(self) -> None:
        self._event = ""
        self._data = []
        self._size = 0
        self._oversized = False
        self._head = b""


def _find(buffer: bytearray, byte: bytes, start: int) -> int:
    found = buffer.find(byte, start)
    return len(buffer) if found < 0 else found


class Liveness:
    """When a stream last showed it was alive, and whether it is dead by now."""

    def __init__(self, *, started: datetime, dead_after: timedelta = DEAD_AFTER) -> None:
        self._last = started
        self._dead_after = dead_after

    def saw_bytes(self, *, at: datetime) -> None:
        """Any byte counts, an event or a heartbeat: the server is sending."""
        self._last = max(self._last, at)

    def is_dead(self, *, now: datetime) -> bool:
        """True once nothing arrived for `dead_after`: reconnect."""
        return now - self._last >= self._dead_after
