import json
import time
from datetime import timedelta

import pytest

from smileback.common.backoff import Backoff
from smileback.ingest.sources.outcomes import Mapped, Outcome, Rejected, Skipped
from smileback.ingest.streams.items import StreamItem
from smileback.ingest.streams.mastodon import MastodonStream
from smileback.ingest.streams.mastodon_api import MastodonAuthError
from tests.support.mastodon_server import HANG, MastodonServer, Script, sse, status
from tests.support.streams import take

HOST = "127.0.0.1"


def stream_of(server: MastodonServer, *, name: str = "public", **kwargs: object) -> MastodonStream:
    return MastodonStream(
        instance=server.url,
        stream=name,
        token="user-token",
        backoff=Backoff(base_s=0.01, cap_s=0.05),
        **kwargs,  # type: ignore[arg-type]
    )


def ids(items: list[StreamItem[Outcome]]) -> list[str]:
    return [
        item.outcome.mention.id.rsplit(":", 1)[1]
        for item in items
        if isinstance(item.outcome, Mapped)
    ]


async def test_every_event_kind_from_the_announced_streaming_server() -> None:
    edited = status(1001, "acme coffee, cold again (edited)")
    script: Script = [
        b":thump\n",
        sse("update", status(1001, "acme coffee, cold again")),
        sse("status.update", edited),
        b"event: delete\ndata: 1001\n\n",
        b'event: update\ndata: {"id": "1002", \n\n',
        sse("notification", {"id": "5", "type": "follow"}),
        HANG,
    ]
    async with MastodonServer(scripts=[script]) as server:
        stream = stream_of(server)
        items = await take(stream, 5)

    first, edit, tombstone, malformed, other = (item.outcome for item in items)
    assert isinstance(first, Mapped)
    assert first.mention.text == "acme coffee, cold again"
    assert first.mention.id == f"mastodon:{HOST}:1001"
    assert first.mention.author.followers == 10
    assert isinstance(edit, Mapped)
    assert edit.mention.text.endswith("(edited)")
    assert isinstance(tombstone, Mapped)
    assert tombstone.mention.deleted
    assert tombstone.mention.id == first.mention.id
    assert isinstance(malformed, Rejected)
    assert "invalid JSON" in malformed.reason
    assert items[3].raw == b'{"id": "1002", '
    assert isinstance(other, Skipped)
    assert stream.position == "1001"
    (opened,) = server.served("/api/v1/streaming/public")
    assert opened.port == server.streaming_port
    assert opened.authorization == "Bearer user-token"


async def test_a_401_says_a_user_token_is_needed() -> None:
    async with MastodonServer(token="another") as server:
        with pytest.raises(MastodonAuthError, match="USER access token") as caught:
            await take(stream_of(server), 1)
    assert "SMILEBACK_MASTODON_TOKEN" in str(caught.value)
    assert "user-token" not in str(caught.value)


async def test_after_a_disconnect_mid_event_the_backfill_brings_the_gap_once() -> None:
    cut = sse("update", status(1002, "lost in the cut"))[:40]
    timeline = [status(i, f"post {i}") for i in range(1000, 1008)]
    sessions: list[Script] = [
        [sse("update", timeline[1]), cut],
        [sse("update", status(1008, "live again")), HANG],
    ]
    # Pages of two: the six statuses of the gap take three pages and an empty fourth.
    async with MastodonServer(scripts=sessions, timeline=timeline, page_size=2) as server:
        stream = stream_of(server)
        items = await take(stream, 8)
        pages = server.served("/api/v1/timelines/public")

    assert ids(items) == ["1001", "1002", "1003", "1004", "1005", "1006", "1007", "1008"]
    assert stream.position == "1008"
    assert [r.query["since_id"] for r in pages] == [["1001"]] * len(pages)
    assert [r.query.get("max_id") for r in pages] == [None, ["1006"], ["1004"], ["1002"]]
    assert len(server.served("/api/v1/streaming/public")) == 2


async def test_the_backfill_waits_out_an_exhausted_rate_limit() -> None:
    timeline = [status(i, f"post {i}") for i in range(1000, 1006)]
    async with MastodonServer(
        scripts=[[HANG]],
        timeline=timeline,
        page_size=2,
        rate_limit=2,
        rate_window=timedelta(seconds=0.5),
    ) as server:
        started = time.monotonic()
        items = await take(stream_of(server, since_id="1000"), 5)
        elapsed = time.monotonic() - started
        answered = [r.status for r in server.served("/api/v1/timelines/public")]

    assert ids(items) == ["1001", "1002", "1003", "1004", "1005"]
    assert 429 not in answered
    assert elapsed >= 0.3


async def test_a_silent_stream_is_dead_and_reconnected() -> None:
    sessions: list[Script] = [
        [sse("update", status(1001, "first")), HANG],
        [sse("update", status(1002, "after the reconnect")), HANG],
    ]
    async with MastodonServer(scripts=sessions) as server:
        stream = stream_of(server, dead_after=timedelta(seconds=0.3))
        items = await take(stream, 2)
        backfills = server.served("/api/v1/timelines/public")

    assert ids(items) == ["1001", "1002"]
    assert [r.query["since_id"] for r in backfills] == [["1001"]]


async def test_public_local_backfills_the_local_timeline() -> None:
    timeline = [status(1001, "missed"), status(1002, "missed too")]
    async with MastodonServer(scripts=[[HANG]], timeline=timeline, page_size=1) as server:
        items = await take(stream_of(server, name="public:local", since_id="1000"), 2)
        opened = server.served("/api/v1/streaming/public/local")
        pages = server.served("/api/v1/timelines/public")

    assert ids(items) == ["1001", "1002"]
    assert len(opened) == 1
    assert all(r.query["local"] == ["true"] for r in pages)


async def test_without_an_announced_streaming_url_the_instance_streams() -> None:
    script: Script = [sse("update", status(1001, "here")), HANG]
    async with MastodonServer(scripts=[script], announce_streaming=False) as server:
        items = await take(stream_of(server, name="hashtag:acme"), 1)
        (opened,) = server.served("/api/v1/streaming/hashtag")

    assert ids(items) == ["1001"]
    assert opened.port == server.api_port
    assert opened.query == {"tag": ["acme"]}


async def test_a_rejected_backfill_status_keeps_its_bytes() -> None:
    broken = status(1001, "x")
    broken["account"] = "nobody"
    async with MastodonServer(scripts=[[HANG]], timeline=[broken]) as server:
        (item,) = await take(stream_of(server, since_id="1000"), 1)

    assert isinstance(item.outcome, Rejected)
    assert json.loads(item.raw)["account"] == "nobody"


async def test_a_deep_reply_keys_by_the_root_of_the_thread_seen() -> None:
    root = status(1001, "acme coffee, cold again")
    reply = status(1002, "same here") | {"in_reply_to_id": "1001"}
    deeper = status(1003, "and here") | {"in_reply_to_id": "1002"}
    script: Script = [sse("update", root), sse("update", reply), sse("update", deeper), HANG]
    async with MastodonServer(scripts=[script]) as server:
        items = await take(stream_of(server), 3)

    threads = [i.outcome.mention.thread for i in items if isinstance(i.outcome, Mapped)]
    first = f"mastodon:{HOST}:1001"
    assert [(t.root_id, t.parent_id) for t in threads] == [
        (None, None),
        (first, first),
        (first, f"mastodon:{HOST}:1002"),
    ]


async def test_a_failing_streaming_server_is_retried() -> None:
    script: Script = [sse("update", status(1001, "at last")), HANG]
    async with MastodonServer(scripts=[script], stream_failures=2) as server:
        items = await take(stream_of(server), 1)
        answered = [r.status for r in server.served("/api/v1/streaming/public")]

    assert ids(items) == ["1001"]
    assert answered == [503, 503, 200]
