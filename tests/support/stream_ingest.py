"""Run `smileback ingest <stream source>` as its own process against a local protocol server
served from a thread, and read what it produced."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TypeVar

from smileback.common.events import Mention, decode
from smileback.common.kafka_bus import KafkaBus
from smileback.common.topics import Topics
from smileback.ingest.positions import KafkaPositions
from tests.support.infra import free_ports
from tests.support.kafka import read_records
from tests.support.processes import ServiceProcess

__all__ = ["ingest", "on_topic", "pauses", "saved_position", "serving", "wait"]

# What follow.py logs each time a failed write or flush pauses the stream.
PAUSED = "Kafka unavailable: the stream is paused"

ServerT = TypeVar("ServerT", bound=AbstractAsyncContextManager[object])


@contextlib.contextmanager
def serving(server: ServerT) -> Iterator[ServerT]:
    """Run a local server on its own event loop in a thread, beside the process under test."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.__aenter__(), loop).result(10)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.__aexit__(None, None, None), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@contextlib.contextmanager
def ingest(
    *, args: list[str], bootstrap: str, topics: Topics, env: dict[str, str], log: Path
) -> Iterator[ServiceProcess]:
    """`smileback ingest ARGS` with brand `acme`, quick checkpoints; stopped with SIGTERM,
    which must exit 0."""
    env = {
        "SMILEBACK_KAFKA_BOOTSTRAP": bootstrap,
        "SMILEBACK_TOPIC_PREFIX": topics.prefix,
        "SMILEBACK_BRANDS": '{"acme": ["acme"]}',
        "SMILEBACK_INGEST_CHECKPOINT_EVERY_S": "0.3",
        "SMILEBACK_INGEST_FLUSH_TIMEOUT_S": "2",
        # Its own metrics port: two workers on this host must not both want the default.
        "SMILEBACK_METRICS_PORT": str(free_ports(count=1)[0]),
        **env,
    }
    with ServiceProcess(args=["ingest", *args], env=env, log_path=log) as process:
        yield process
        assert process.alive(), process.tail()
        code = process.stop()
        assert code == 0, f"exit {code} (-9: killed after ignoring SIGTERM)\n{process.tail()}"


def pauses(process: ServiceProcess) -> int:
    """How many times the process has paused its stream because Kafka was unavailable."""
    return process.log_path.read_text(errors="replace").count(PAUSED)


def wait(condition: Callable[[], bool], what: str, *, timeout_s: float = 40.0) -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def on_topic(bootstrap: str, topics: Topics) -> list[tuple[int, Mention]]:
    """(partition, mention) of everything on the raw topic now."""
    return [(p, decode(Mention, value)) for p, _, value in read_records(bootstrap, topics.raw)]


def saved_position(bootstrap: str, topics: Topics, key: str) -> str | None:
    """The position saved under `key` in the positions topic."""
    bus = KafkaBus(bootstrap)
    try:
        return KafkaPositions(bus=bus, bootstrap=bootstrap, topic=topics.positions).load(key)
    finally:
        bus.close()
