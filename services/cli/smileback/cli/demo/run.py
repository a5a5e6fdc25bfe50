"""Replaying the bundled Acme Coffee scenario through every service in one process."""

from __future__ import annotations

import contextlib
import io
import math
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TextIO, TypeVar

from smileback.api.app import create_app
from smileback.api.auth.tokens import weak_admin_token
from smileback.api.runner import build_server
from smileback.cli.demo.embedded import EmbeddedStack
from smileback.cli.demo.scenario import bundled_scenario_path, shift_to_end
from smileback.cli.demo.story import Story
from smileback.common.clock import Clock, utc_now
from smileback.common.errors import SchemaError
from smileback.common.events import (
    DlqRecord,
    Event,
    IncidentEvent,
    Mention,
    QueueItem,
    ScoredMention,
    decode,
)
from smileback.common.logging import configure_logging

__all__ = ["DEMO_BRANDS", "run_demo"]

DEMO_BRANDS = {"acme": ["acme coffee", "@acmecoffee", "#acmecoffee"]}
_MAX_GAP_S = 2.0  # a quiet stretch of the scenario never stalls the demo for long
_PROGRESS_EVERY_S = 3.0
_BAR = 20
_E = TypeVar("_E", bound=Event)


def run_demo(
    *, once: bool, port: int, speed: float, out: TextIO = sys.stdout, clock: Clock = utc_now
) -> None:
    """Replay the scenario, moved to end now, telling its milestones as they happen; with
    `once`, end with the summary as JSON, else serve the API and the console."""
    configure_logging(level="ERROR", fmt="console")  # the narrative below is the demo's output
    lines = shift_to_end(bundled_scenario_path().read_bytes().splitlines(), end=clock())
    with tempfile.TemporaryDirectory(prefix="smileback-demo-") as tmp:
        pages = io.StringIO()  # the console notifier's pages, told after their milestone
        stack = EmbeddedStack.build(
            database_url=f"sqlite:///{Path(tmp) / 'smileback.db'}",
            brands=DEMO_BRANDS,
            clock=clock,
            console=pages,
        )
        say = _Narrator(stack=stack, pages=pages, out=out, total=len(lines))
        if once:
            say(f"replaying {len(lines)} scenario lines, the last of them posted now (times UTC)")
            say.replay(lines, speed=math.inf)
            say.finish()
            say("run `smileback demo` without --once to open the console on it")
            print(stack.summary().to_json(), file=out, flush=True)
            return
        _serve(stack=stack, say=say, lines=lines, port=port, speed=speed)


def _demo_token(out: TextIO) -> str:
    """`SMILEBACK_DEMO_TOKEN`, held to the API's rules for an admin token (it is one), or a
    new random one."""
    token = os.environ.get("SMILEBACK_DEMO_TOKEN")
    if not token:
        return secrets.token_urlsafe(24)
    problem = weak_admin_token(token)
    if problem is not None:
        print(f"smileback demo: SMILEBACK_DEMO_TOKEN refused: {problem}", file=out)
        raise SystemExit(2)
    return token


def _serve(
    *, stack: EmbeddedStack, say: _Narrator, lines: list[bytes], port: int, speed: float
) -> None:
    token = _demo_token(say.out)
    server = build_server(
        app=create_app(engine=stack.engine, api_token=token, bus=stack.bus, topics=stack.topics),
        host="127.0.0.1",
        port=port,
    )
    thread = threading.Thread(target=server.run, name="api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        print(f"smileback demo: could not serve on 127.0.0.1:{port} (in use?)", file=say.out)
        raise SystemExit(1)
    base = f"http://127.0.0.1:{port}"
    say(f"API on {base}  (token: {token})")
    say(
        f"replaying {len(lines)} scenario lines, {speed:g} scenario minutes per second; "
        "the last of them was posted just now (times UTC)"
    )
    say.replay(lines, speed=speed)
    say.finish()
    header = f"-H 'Authorization: Bearer {token}'"
    say("scenario done; the API keeps serving. Open next:")
    say(f"  console:       {base}/console")
    say(
        "    log in with the token above (admin: name the responder you act for, e.g. sam); "
        "set SMILEBACK_DEMO_TOKEN to choose the token"
    )
    say(f"  incidents:     curl {header} {base}/v1/incidents")
    say(f"  mention stats: curl {header} '{base}/v1/stats/mentions?interval=15m&brand=acme'")
    say("Ctrl-C to stop.")
    try:
        while thread.is_alive():
            thread.join(0.5)
            say.tick()  # acknowledgements and resolutions from the API reach alerts, and are told
    except KeyboardInterrupt:
        server.should_exit = True
        thread.join(5)


def _paced(*, lines: list[bytes], speed: float, on_line: Callable[[], None]) -> Iterator[bytes]:
    """Yield lines at the scenario's own pace, compressed by `speed` (inf: no waiting)."""
    previous: datetime | None = None
    for line in lines:
        at = _created_at(line)
        if previous is not None and at is not None and at > previous:
            time.sleep(min((at - previous).total_seconds() / 60 / speed, _MAX_GAP_S))
        previous = at or previous
        on_line()
        yield line


def _created_at(line: bytes) -> datetime | None:
    try:
        return Mention.model_validate_json(line).created_at
    except ValueError:
        return None  # a bad line keeps its place; ingest sends it to the DLQ


class _Narrator:
    """Drains the stack after each line and says what happened: milestones as they come,
    progress every few seconds."""

    def __init__(
        self, *, stack: EmbeddedStack, pages: io.StringIO, out: TextIO, total: int
    ) -> None:
        self.out = out
        self._stack = stack
        self._pages = pages
        self._total = total
        self._done = 0
        self._story = Story()
        topics = stack.topics
        self._consumer = stack.bus.consumer(
            [topics.dlq, topics.scored, topics.incidents, topics.queues], group="smileback-demo"
        )
        self._last_progress = time.monotonic()

    def __call__(self, message: str) -> None:
        print(f"smileback demo | {message}", file=self.out, flush=True)

    def replay(self, lines: list[bytes], *, speed: float) -> None:
        """Ingest `lines` at the scenario's pace, telling what each one set off."""
        self._stack.ingest(_paced(lines=lines, speed=speed, on_line=self._line))
        self.tick()

    def tick(self) -> None:
        """Drain the stack, then tell what it did."""
        self._stack.drain()
        topics = self._stack.topics
        records = self._consumer.poll(max_records=100_000, timeout_s=0)
        self._consumer.commit()

        def of(topic: str, kind: type[_E]) -> list[_E]:
            out = []
            for record in (r for r in records if r.topic == topic):
                # What a stage could not read is its DLQ's to report, not the story's.
                with contextlib.suppress(SchemaError):
                    out.append(decode(kind, record.value))
            return out

        for line in self._story.tell(
            dead=of(topics.dlq, DlqRecord),
            scored=of(topics.scored, ScoredMention),
            incidents=of(topics.incidents, IncidentEvent),
            queued=of(topics.queues, QueueItem),
        ):
            self(line)
        if text := self._pages.getvalue():
            self._pages.seek(0)
            self._pages.truncate()
            print(text, end="", file=self.out, flush=True)

    def finish(self) -> None:
        """The last progress line and what the DLQ holds."""
        self._progress()
        for line in self._story.explain_dlq():
            self(line)

    def _line(self) -> None:
        if self._done:  # the line before this one is on the bus now
            self.tick()
        self._done += 1
        if time.monotonic() - self._last_progress >= _PROGRESS_EVERY_S:
            self._progress()

    def _progress(self) -> None:
        self._last_progress = time.monotonic()
        filled = round(_BAR * self._done / self._total) if self._total else _BAR
        bar = "#" * filled + "." * (_BAR - filled)
        self(f"[{bar}] {self._done}/{self._total} lines: {self._stack.summary()}")
