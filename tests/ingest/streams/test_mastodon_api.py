import pytest

from smileback.common.errors import ConfigError
from smileback.ingest.streams.mastodon_api import parse_stream


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
