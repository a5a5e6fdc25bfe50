import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

from smileback.ingest.sources.jetstream import map_event
from smileback.ingest.sources.outcomes import Mapped
from smileback.ingest.streams.profiles import ProfileLookup
from tests.support.appview_server import AppViewServer, profile
from tests.support.jetstream_server import post

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
T0 = 1_773_480_000_000_000


def mapped(did: str, rkey: str = "3l3qo2vuowo2b") -> Mapped:
    raw = json.dumps(post(did, rkey, "acme coffee, cold again", time_us=T0)).encode()
    outcome = map_event(raw, now=NOW).outcome
    assert isinstance(outcome, Mapped)
    return outcome


def did(n: int) -> str:
    return f"did:plc:author{n:04d}"


async def test_authors_get_their_counts_25_actors_a_call_then_from_the_cache() -> None:
    dids = [did(n) for n in range(30)]
    profiles = {d: profile(d, followers=1000 + n) for n, d in enumerate(dids)}
    async with AppViewServer(profiles=profiles) as appview:
        lookup = ProfileLookup(appview=appview.url)
        try:
            first = await lookup.enrich([mapped(d) for d in dids])
            again = await lookup.enrich([mapped(dids[3])])
        finally:
            await lookup.aclose()

    assert sorted(len(call) for call in appview.calls) == [5, 25]
    assert [m.mention.author.followers for m in first] == [1000 + n for n in range(30)]
    assert all(m.author_counts_known for m in first)
    author = first[0].mention.author
    assert (author.handle, author.display_name, author.following) == (
        "@author0000.bsky.social",
        f"Name of {dids[0]}",
        7,
    )
    assert author.created_at == datetime(2023, 4, 1, 10, tzinfo=UTC)
    assert again[0].mention.author.followers == 1003
    assert len(appview.calls) == 2


async def test_a_slow_appview_lets_the_mention_go_on_with_unknown_counts() -> None:
    author = did(1)
    async with AppViewServer(
        profiles={author: profile(author, followers=9)}, mode="slow", delay_s=0.6
    ) as appview:
        lookup = ProfileLookup(appview=appview.url, deadline_s=0.1)
        try:
            started = time.monotonic()
            (late,) = await lookup.enrich([mapped(author)])
            waited = time.monotonic() - started
            # The call was not cancelled: its answer fills the cache once it comes.
            for _ in range(100):
                if lookup.cached(author) is not None:
                    break
                await asyncio.sleep(0.05)
            (later,) = await lookup.enrich([mapped(author, rkey="3l3qo2vuowo2c")])
        finally:
            await lookup.aclose()

    assert waited < appview.delay_s  # the mention did not wait for the answer
    assert late == mapped(author)
    assert not late.author_counts_known
    assert (late.mention.author.followers, late.mention.author.following) == (0, 0)
    assert late.mention.author.handle == ""
    assert later.author_counts_known
    assert later.mention.author.followers == 9
    assert len(appview.calls) == 1


async def test_a_failing_appview_loses_no_mention() -> None:
    author = did(2)
    async with AppViewServer(
        profiles={author: profile(author, followers=9)}, mode="failing"
    ) as appview:
        lookup = ProfileLookup(appview=appview.url)
        try:
            result = await lookup.enrich([mapped(author), mapped(author, rkey="3l3qo2vuowo2c")])
        finally:
            await lookup.aclose()

    assert [m.mention.id for m in result] == [
        m.mention.id for m in [mapped(author), mapped(author, rkey="3l3qo2vuowo2c")]
    ]
    assert not any(m.author_counts_known for m in result)
    assert len(appview.calls) == 1


async def test_the_cache_expires_and_is_bounded() -> None:
    clock = [0.0]
    dids = [did(n) for n in range(3)]
    async with AppViewServer(profiles={d: profile(d, followers=5) for d in dids}) as appview:
        lookup = ProfileLookup(
            appview=appview.url,
            max_entries=2,
            ttl=timedelta(minutes=10),
            monotonic=lambda: clock[0],
        )
        try:
            await lookup.profiles(dids)
            evicted = lookup.cached(dids[0])
            kept = lookup.cached(dids[2])
            clock[0] += 601
            expired = lookup.cached(dids[2])
        finally:
            await lookup.aclose()

    assert evicted is None
    assert kept is not None
    assert kept.followers == 5
    assert expired is None
