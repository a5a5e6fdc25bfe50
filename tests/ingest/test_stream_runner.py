"""The stream runner's pure parts: source keys and Jetstream positions as saved text."""

from __future__ import annotations

import pytest

from smileback.ingest.sources.jetstream import Position
from smileback.ingest.stream_runner import (
    JetstreamOptions,
    MastodonOptions,
    jetstream_key,
    mastodon_key,
    parse_position,
    position_text,
)


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
