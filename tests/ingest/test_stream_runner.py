"""The stream runner: source keys and Jetstream positions as saved text; a broker away at
start is waited for, a configuration error is not; the worker serves its health and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from smileback.common.errors import BusError, ConfigError
from smileback.common.events import Mention
from smileback.ingest import stream_runner
from smileback.ingest.settings import IngestSettings
from smileback.ingest.sinks import Sink
from smileback.ingest.sources.jetstream import Position
from smileback.ingest.sources.outcomes import Mapped, Outcome
from smileback.ingest.stream_runner import (
    JetstreamOptions,
    MastodonOptions,
    jetstream_key,
    mastodon_key,
    parse_position,
    position_text,
)
from smileback.ingest.streams.items import StreamItem
from tests.support.infra import free_ports
from tests.support.promtool import promtool_problems


def test_source_keys_name_the_instance_and_the_stream() -> None:
    options = MastodonOptions(instance="https://Mastodon.Example/", stream="hashtag:acme")
    assert mastodon_key(options) == "mastodon:mastodon.example:hashtag:acme"
    url = "wss://jetstream2.us-east.bsky.network/subscribe"
    assert jetstream_key(JetstreamOptions(url=url)) == f"jetstream:{url}"


@pytest.mark.parametrize(
    "position", [Position(time_us=1_773_480_000_000_000), Position(time_us=5, cursor=42)]
)
def test_a_jetstream_position_survives_its_text(position: Position) -> None:
    assert parse_position(position_text(position)) == position


@pytest.mark.parametrize("text", [None, "", "not json", "[]", '{"cursor": 3}', '{"time_us": "x"}'])
def test_an_unreadable_position_starts_from_now(text: str | None) -> None:
    assert parse_position(text) is None


class _Sink(Sink):
    def __init__(self) -> None:
        self.written: list[str] = []

    def write(self, mention: Mention) -> None:
        self.written.append(mention.id)

    def reject(self, *, raw: bytes, error: str, source_id: str | None, number: int) -> None:
        raise AssertionError("nothing here is rejected")

    def flush(self, timeout_s: float | None = None) -> None:
        pass


class _Stream:
    position: str | None = None

    async def __aiter__(self) -> AsyncIterator[StreamItem[Outcome]]:
        for n, text in enumerate(["acme is late", "off topic"]):
            yield StreamItem(Mapped(Mention(id=f"m{n}", text=text)), raw=b"")


@pytest.fixture
def backoff_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits of the start-up backoff, recorded instead of waited (and no signal handlers)."""
    waits: list[float] = []
    event = threading.Event()
    monkeypatch.setattr(event, "wait", lambda delay=None: bool(waits.append(delay)))
    monkeypatch.setattr(stream_runner, "stop_on_signals", lambda: event)
    return waits


def test_a_broker_away_at_start_is_waited_for_then_the_stream_is_followed(
    monkeypatch: pytest.MonkeyPatch, backoff_waits: list[float]
) -> None:
    sink = _Sink()
    asked_live: list[bool] = []

    def connect(*, settings, static, live, key, output):
        asked_live.append(live)
        if len(asked_live) < 3:
            raise BusError("cannot reach Kafka at 127.0.0.1:9")
        return stream_runner._Connected(contextlib.ExitStack(), static, sink, None, None)

    monkeypatch.setattr(stream_runner, "_connect", connect)
    stream_runner._follow(
        settings=IngestSettings(brands={"acme": ["acme"]}, metrics_port=0),
        source="fake",
        key="fake:one",
        open_stream=lambda _since: _Stream(),
        output=None,
    )
    assert asked_live == [True, True, True]  # into Kafka, live rules are on by default
    assert backoff_waits == [1.0, 2.0]
    assert sink.written == ["m0"]


def test_a_bad_rules_file_stops_a_stream_before_it_connects(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, backoff_waits: list[float]
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("brands:\n  acme:\n    query: acme AND\n")
    monkeypatch.setattr(stream_runner, "_connect", lambda **_: pytest.fail("connected"))
    with pytest.raises(ConfigError, match=r"rules.yaml:3:"):
        stream_runner._follow(
            settings=IngestSettings(ingest_rules_file=str(rules), metrics_port=0),
            source="fake",
            key="fake:one",
            open_stream=lambda _since: _Stream(),
            output=None,
        )
    assert backoff_waits == []


class _HeldStream:
    """One mention, then quiet until the test has scraped the worker and lets it end."""

    position: str | None = None

    def __init__(self) -> None:
        self.end = threading.Event()

    async def __aiter__(self) -> AsyncIterator[StreamItem[Outcome]]:
        yield StreamItem(Mapped(Mention(id="m0", text="acme is late")), raw=b"")
        while not self.end.is_set():
            await asyncio.sleep(0.01)


def test_a_streaming_worker_serves_health_and_metrics_promtool_accepts(
    tmp_path: Path, backoff_waits: list[float]
) -> None:
    (port,) = free_ports(count=1)
    base = f"http://127.0.0.1:{port}"
    stream, answers = _HeldStream(), {}

    def scrape() -> None:
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and "healthz" not in answers:
                with contextlib.suppress(httpx.HTTPError):
                    answers["healthz"] = httpx.get(f"{base}/healthz", timeout=5)
                time.sleep(0.05)
            answers["readyz"] = httpx.get(f"{base}/readyz", timeout=5)
            answers["metrics"] = httpx.get(f"{base}/metrics", timeout=5)
        finally:
            stream.end.set()

    scraper = threading.Thread(target=scrape, daemon=True)
    scraper.start()
    stream_runner._follow(
        settings=IngestSettings(brands={"acme": ["acme"]}, metrics_port=port),
        source="mastodon",
        key="fake:held",
        open_stream=lambda _since: stream,
        output=tmp_path / "mentions.jsonl",  # no Kafka: nothing for readiness to wait on
    )
    scraper.join(30)
    assert (answers["healthz"].status_code, answers["readyz"].status_code) == (200, 200)
    metrics = answers["metrics"].text
    assert 'smileback_ingest_sources{source="mastodon"} 1.0' in metrics
    assert promtool_problems(metrics) == []
    assert (tmp_path / "mentions.jsonl").read_text().count('"id":"m0"') == 1
