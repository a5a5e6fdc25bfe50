import json
from typing import Any

from smileback.common.backoff import Backoff
from smileback.ingest.sources.jetstream import (
    AccountChanged,
    HandleChanged,
    JetstreamOutcome,
    Position,
)
from smileback.ingest.sources.outcomes import Mapped, Rejected
from smileback.ingest.streams.items import StreamItem
from smileback.ingest.streams.jetstream import JetstreamStream
from smileback.ingest.streams.profiles import ProfileLookup
from tests.support.appview_server import AppViewServer, profile
from tests.support.jetstream_server import JetstreamServer, commit, post
from tests.support.streams import take

ALICE = "did:plc:alice0000000000000000000"
BOB = "did:plc:bob00000000000000000000000"
T0 = 1_773_480_000_000_000
SECOND = 1_000_000


def stream_of(server: JetstreamServer, **kwargs: Any) -> JetstreamStream:
    return JetstreamStream(url=server.url, backoff=Backoff(base_s=0.01, cap_s=0.05), **kwargs)


def rkeys(items: list[StreamItem[JetstreamOutcome]]) -> list[str]:
    return [
        item.outcome.mention.id.rsplit("/", 1)[1]
        for item in items
        if isinstance(item.outcome, Mapped)
    ]


async def test_every_event_kind_in_order() -> None:
    log = [
        {
            "did": ALICE,
            "time_us": T0,
            "kind": "identity",
            "identity": {
                "did": ALICE,
                "handle": "alice.test",
                "seq": 1,
                "time": "2026-03-14T09:00:00Z",
            },
        },
        post(ALICE, "3kpost1", "acme coffee, cold again", time_us=T0 + 1),
        commit(ALICE, "3kpost1", "delete", time_us=T0 + 2),
        {
            "did": ALICE,
            "time_us": T0 + 3,
            "kind": "account",
            "account": {
                "active": False,
                "did": ALICE,
                "seq": 2,
                "status": "deactivated",
                "time": "2026-03-14T09:00:01Z",
            },
        },
    ]
    async with JetstreamServer(log=log, garbage=['{"did": "did:plc:x", "time_us": ']) as server:
        stream = stream_of(server)
        items = await take(stream, 5)

    malformed, identity, created, deleted, account = (item.outcome for item in items)
    assert isinstance(malformed, Rejected)
    assert items[0].raw == b'{"did": "did:plc:x", "time_us": '
    assert identity == HandleChanged(did=ALICE, handle="alice.test")
    assert isinstance(created, Mapped)
    assert created.mention.author.handle == "@alice.test"
    assert created.mention.text == "acme coffee, cold again"
    assert not created.author_counts_known
    assert isinstance(deleted, Mapped)
    assert deleted.mention.deleted
    assert deleted.mention.id == created.mention.id
    assert account == AccountChanged(did=ALICE, active=False, status="deactivated")
    assert stream.position == Position(time_us=T0 + 3)
    assert server.queries == [{"wantedCollections": ["app.bsky.feed.post"]}]


async def test_a_v1_stream_resumes_by_time_us_a_few_seconds_back() -> None:
    log = [post(ALICE, f"3k{n}", f"post {n}", time_us=T0 + 4 * n * SECOND) for n in range(5)]
    async with JetstreamServer(log=log, drop_after=[3]) as server:
        items = await take(stream_of(server), 7)

    # Dropped after 3k2 (at T0 + 8 s): resumed from T0 + 3 s, so 3k1 and 3k2 come twice.
    assert rkeys(items) == ["3k0", "3k1", "3k2", "3k1", "3k2", "3k3", "3k4"]
    assert [q.get("cursor") for q in server.queries] == [None, [str(T0 + 3 * SECOND)]]


async def test_a_v2_stream_resumes_by_its_cursor() -> None:
    log = [post(ALICE, f"3k{n}", f"post {n}", time_us=T0 + n, cursor=100 + n) for n in range(5)]
    async with JetstreamServer(log=log, drop_after=[3, 2]) as server:
        stream = stream_of(server)
        items = await take(stream, 7)

    # The cursor is inclusive: the last event handled comes once more, nothing is skipped.
    assert rkeys(items) == ["3k0", "3k1", "3k2", "3k2", "3k3", "3k3", "3k4"]
    assert [q.get("cursor") for q in server.queries] == [None, ["102"], ["103"]]
    assert stream.position == Position(time_us=T0 + 4, cursor=104)


async def test_a_persisted_position_and_wanted_dids_go_on_the_first_connection() -> None:
    log = [
        post(ALICE, "3k0", "old", time_us=T0, cursor=1),
        post(BOB, "3k1", "not wanted", time_us=T0 + 1, cursor=2),
        post(ALICE, "3k2", "new", time_us=T0 + 2, cursor=3),
    ]
    async with JetstreamServer(log=log) as server:
        stream = stream_of(server, wanted_dids=[ALICE], position=Position(time_us=T0 + 2, cursor=3))
        items = await take(stream, 1)

    assert rkeys(items) == ["3k2"]
    assert server.queries[0]["wantedDids"] == [ALICE]
    assert server.queries[0]["cursor"] == ["3"]


async def test_posts_of_one_window_share_one_profile_call() -> None:
    dids = [f"did:plc:author{n:020d}" for n in range(3)]
    log = [post(d, "3kpost", "acme", time_us=T0 + n) for n, d in enumerate(dids)]
    profiles = {d: profile(d, followers=10 * (n + 1)) for n, d in enumerate(dids)}
    async with AppViewServer(profiles=profiles) as appview, JetstreamServer(log=log) as server:
        lookup = ProfileLookup(appview=appview.url)
        try:
            items = await take(stream_of(server, profiles=lookup, linger_s=0.3), 3)
        finally:
            await lookup.aclose()

    counts = [
        (item.outcome.mention.author.followers, item.outcome.author_counts_known)
        for item in items
        if isinstance(item.outcome, Mapped)
    ]
    assert counts == [(10, True), (20, True), (30, True)]
    assert appview.calls == [dids]


async def test_a_slow_appview_does_not_hold_the_stream() -> None:
    log = [post(ALICE, f"3k{n}", "acme", time_us=T0 + n) for n in range(2)]
    async with (
        AppViewServer(
            profiles={ALICE: profile(ALICE, followers=5)}, mode="slow", delay_s=5
        ) as appview,
        JetstreamServer(log=log) as server,
    ):
        lookup = ProfileLookup(appview=appview.url, deadline_s=0.1)
        try:
            items = await take(stream_of(server, profiles=lookup, linger_s=0.05), 2, timeout=2)
        finally:
            await lookup.aclose()

    assert rkeys(items) == ["3k0", "3k1"]
    assert all(isinstance(i.outcome, Mapped) and not i.outcome.author_counts_known for i in items)
    assert json.loads(items[0].raw)["commit"]["rkey"] == "3k0"


async def test_zstd_frames_are_inflated_and_a_bad_frame_is_rejected_with_its_bytes() -> None:
    log = [post(ALICE, f"3k{n}", f"acme coffee {n}", time_us=T0 + n) for n in range(3)]
    bad_frame = b"\x28\xb5\x2f\xfd not really zstd"
    async with JetstreamServer(log=log, garbage=[bad_frame]) as server:
        items = await take(stream_of(server, zstd=True), 4)

    assert server.queries[0]["compress"] == ["true"]
    rejected = items[0].outcome
    assert isinstance(rejected, Rejected)
    assert "zstd" in rejected.reason
    assert items[0].raw == bad_frame
    assert rkeys(items) == ["3k0", "3k1", "3k2"]
    assert [item.outcome.mention.text for item in items[1:]] == [  # type: ignore[union-attr]
        "acme coffee 0",
        "acme coffee 1",
        "acme coffee 2",
    ]
    # The events came compressed: the raw bytes kept for the DLQ are the inflated JSON.
    assert json.loads(items[1].raw)["commit"]["rkey"] == "3k0"
