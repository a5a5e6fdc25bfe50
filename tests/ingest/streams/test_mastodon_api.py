import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from smileback.common.errors import ConfigError
from smileback.ingest.streams.mastodon_api import backfill, parse_stream, streaming_base
from tests.support.local_http import Answer, answering
from tests.support.mastodon_server import status


@pytest.mark.parametrize(
    ("name", "stream", "stream_params", "timeline", "timeline_params"),
    [
        ("public", "/api/v1/streaming/public", {}, "/api/v1/timelines/public", {}),
        (
            "public:local",
            "/api/v1/streaming/public/local",
            {},
            "/api/v1/timelines/public",
            {"local": "true"},
        ),
        (
            "hashtag:AcmeCoffee",
            "/api/v1/streaming/hashtag",
            {"tag": "AcmeCoffee"},
            "/api/v1/timelines/tag/AcmeCoffee",
            {},
        ),
        ("list:42", "/api/v1/streaming/list", {"list": "42"}, "/api/v1/timelines/list/42", {}),
        ("user", "/api/v1/streaming/user", {}, "/api/v1/timelines/home", {}),
    ],
)
def test_each_stream_has_its_streaming_path_and_its_timeline(
    name: str,
    stream: str,
    stream_params: dict[str, str],
    timeline: str,
    timeline_params: dict[str, str],
) -> None:
    spec = parse_stream(name)
    assert (spec.stream_path, spec.stream_params) == (stream, stream_params)
    assert (spec.timeline_path, spec.timeline_params) == (timeline, timeline_params)


@pytest.mark.parametrize("name", ["federated", "hashtag:", "list:../x", "public:remote", ""])
def test_an_unknown_stream_is_a_config_error(name: str) -> None:
    with pytest.raises(ConfigError, match="unknown Mastodon stream"):
        parse_stream(name)


@pytest.mark.parametrize(
    ("announced", "base"),
    [
        ("wss://streaming.mastodon.test", "https://streaming.mastodon.test"),
        ("ws://streaming.mastodon.test:4000/", "http://streaming.mastodon.test:4000"),
        ("https://streaming.mastodon.test", "https://streaming.mastodon.test"),
        ("ftp://streaming.mastodon.test", "INSTANCE"),
        (None, "INSTANCE"),
        (42, "INSTANCE"),
    ],
)
async def test_the_streaming_base_is_the_announced_url_over_http(
    announced: object, base: str
) -> None:
    body = json.dumps({"configuration": {"urls": {"streaming": announced}}}).encode()

    async with answering([(200, body, {})]) as instance, httpx.AsyncClient() as client:
        found = await streaming_base(client, instance=instance)

    assert found == (instance if base == "INSTANCE" else base)


async def test_a_refused_page_is_asked_again_after_the_reset() -> None:
    now = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
    answers: list[Answer] = [
        (
            429,
            b'{"error":"Too many requests"}',
            {
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": (now + timedelta(seconds=30)).isoformat(),
            },
        ),
        (
            429,
            b'{"error":"Too many requests"}',
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": now.isoformat()},
        ),
        (
            200,
            json.dumps([status(1002, "b"), status(1001, "a")]).encode(),
            {"X-RateLimit-Remaining": "299"},
        ),
    ]

    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async with answering(answers) as instance, httpx.AsyncClient() as client:
        gap = await backfill(
            client,
            instance=instance,
            spec=parse_stream("public"),
            since_id="1000",
            now=lambda: now,
            sleep=sleep,
        )

    assert [s["id"] for s, _ in gap] == ["1001", "1002"]
    assert waits == [30.0, 1.0]
