import asyncio
import json

import httpx
import pytest

from smileback.common.errors import ConfigError
from smileback.ingest.streams.mastodon_api import parse_stream, streaming_base
from tests.support.local_http import read_request, send


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

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await send(writer, 200, body)
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    instance = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        async with httpx.AsyncClient() as client:
            found = await streaming_base(client, instance=instance)
    finally:
        server.close()
        await server.wait_closed()

    assert found == (instance if base == "INSTANCE" else base)
