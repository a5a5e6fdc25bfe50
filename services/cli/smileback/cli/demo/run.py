"""Replaying the bundled Acme Coffee scenario through every service in one process."""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TextIO

from smileback.api.app import create_app
from smileback.api.auth.tokens import weak_admin_token
from smileback.api.runner import build_server
from smileback.cli.demo.embedded import EmbeddedStack
from smileback.cli.demo.scenario import bundled_scenario_path
from smileback.common.clock import utc_now
from smileback.common.events import Mention
from smileback.common.logging import configure_logging

__all__ = ["DEMO_BRANDS", "run_demo"]

DEMO_BRANDS = {"acme": ["acme coffee", "@acmecoffee", "#acmecoffee"]}
_MAX_GAP_S = 2.0  # a quiet stretch of the scenario never stalls the demo for long


def run_demo(*, once: bool, port: int, speed: float, out: TextIO = sys.stdout) -> None:
    """Replay the scenario; with `once`, print the summary and return, else serve the API."""
    configure_logging(level="ERROR", fmt="console")  # the narrative below is the demo's output
    lines = bundled_scenario_path().read_bytes().splitlines()
    with tempfile.TemporaryDirectory(prefix="smileback-demo-") as tmp:
        stack = EmbeddedStack.build(
            database_url=f"sqlite:///{Path(tmp) / 'smileback.db'}",
            brands=DEMO_BRANDS,
            clock=utc_now,
            console=out,
        )
        if once:
            stack.ingest(lines)
            stack.drain()
            print(stack.summary().to_json(), file=out, flush=True)
            return
        _serve(stack=stack, lines=lines, port=port, speed=speed, out=out)


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
    *, stack: EmbeddedStack, lines: list[bytes], port: int, speed: float, out: TextIO
) -> None:
    token = _demo_token(out)
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
        print(f"smileback demo: could not serve on 127.0.0.1:{port} (in use?)", file=out)
        raise SystemExit(1)
    say = _Narrator(stack=stack, out=out)
    say(f"API on http://127.0.0.1:{port}  (token: {token})")
    say(f"on-call console: http://127.0.0.1:{port}/console  (log in with the token)")
    say(f"replaying {len(lines)} scenario lines, {speed:g} scenario minutes per second")
    stack.ingest(_paced(lines=lines, speed=speed, on_tick=say.progress))
    stack.drain()
    say.progress(force=True)
    say("scenario done; the API keeps serving. Try:")
    say(f"  curl -H 'Authorization: Bearer {token}' http://127.0.0.1:{port}/v1/incidents")
    say("Ctrl-C to stop.")
    try:
        while thread.is_alive():
            thread.join(0.5)
            stack.drain()  # acknowledgements and resolutions from the API reach alerts
    except KeyboardInterrupt:
        server.should_exit = True
        thread.join(5)


def _paced(*, lines: list[bytes], speed: float, on_tick: Callable[[], None]) -> Iterator[bytes]:
    """Yield lines at the scenario's own pace, compressed by `speed`."""
    previous: datetime | None = None
    for line in lines:
        at = _created_at(line)
        if previous is not None and at is not None and at > previous:
            time.sleep(min((at - previous).total_seconds() / 60 / speed, _MAX_GAP_S))
        previous = at or previous
        on_tick()
        yield line


def _created_at(line: bytes) -> datetime | None:
    try:
        return Mention.model_validate_json(line).created_at
    except ValueError:
        return None  # a bad line keeps its place; ingest sends it to the DLQ


class _Narrator:
    """Says what the demo is doing, at most every few seconds."""

    def __init__(self, *, stack: EmbeddedStack, out: TextIO) -> None:
        self._stack = stack
        self._out = out
        self._last = 0.0
        self._shown = ""

    def __call__(self, message: str) -> None:
        print(f"smileback demo | {message}", file=self._out, flush=True)

    def progress(self, force: bool = False) -> None:
        self._stack.drain()
        if not force and time.monotonic() - self._last < 3:
            return
        self._last = time.monotonic()
        s = self._stack.summary()
        line = (
            f"{s.mentions} mentions, {s.scored} scored, {s.incidents} incidents, "
            f"{s.pages} pages, {s.smile_back} to smile back, {s.dlq} in the DLQ"
        )
        if force or line != self._shown:
            self._shown = line
            self(line)
