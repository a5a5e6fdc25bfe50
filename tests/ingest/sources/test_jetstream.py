import copy
import json
from datetime import UTC, datetime, timedelta

import pytest

from smileback.common.events import Author, Thread
from smileback.ingest.sources.jetstream import (
    AccountChanged,
    HandleChanged,
    Position,
    Resume,
    map_event,
    post_uri,
    post_url,
    resume_from,
)
from smileback.ingest.sources.outcomes import Mapped, Rejected, Skipped
from tests.ingest.sources.mutations import WRONG_VALUES, every_path, replaced

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
DID = "did:plc:eygmaihciaxprqvxpfvl6flk"
BRAND_DID = "did:plc:z72i7hdynmk6r22z27h6tvur"
TIME_US = 1773480600123456  # 2026-03-14T09:30:00.123456Z
URI = f"at://{DID}/app.bsky.feed.post/3l3qo2vutsw2b"
MENTION = "app.bsky.richtext.facet#mention"

# Events as Jetstream's /subscribe sends them (field order and extras as on the wire).
CREATE = {
    "did": DID,
    "time_us": TIME_US,
    "kind": "commit",
    "commit": {
        "rev": "3l3qo2vutsw2b",
        "operation": "create",
        "collection": "app.bsky.feed.post",
        "rkey": "3l3qo2vutsw2b",
        "record": {
            "$type": "app.bsky.feed.post",
            "createdAt": "2026-03-14T09:29:58.102Z",
            "langs": ["en", "de"],
            "text": "@acmecoffee.bsky.social cold again. acme.com/refund-pol... #acmefail",
            "facets": [
                {
                    "$type": "app.bsky.richtext.facet",
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": BRAND_DID}],
                    "index": {"byteEnd": 23, "byteStart": 0},
                },
                {
                    "features": [
                        {
                            "$type": "app.bsky.richtext.facet#link",
                            "uri": "https://acme.com/refund-policy?from=bsky",
                        }
                    ],
                    "index": {"byteEnd": 59, "byteStart": 36},
                },
                {
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "acmefail"}],
                    "index": {"byteEnd": 69, "byteStart": 60},
                },
            ],
        },
        "cid": "bafyreidc6sydkkbchcyg62v77wbhzvb2mvytlmsychqgwf2xojjtirmzj4",
    },
}
DELETE = {
    "did": DID,
    "time_us": TIME_US + 1,
    "kind": "commit",
    "commit": {
        "rev": "3l3f6nzl3cv2s",
        "operation": "delete",
        "collection": "app.bsky.feed.post",
        "rkey": "3l3qo2vutsw2b",
    },
}
IDENTITY = {
    "did": DID,
    "time_us": TIME_US + 2,
    "kind": "identity",
    "identity": {
        "did": DID,
        "handle": "lena.bsky.social",
        "seq": 1409752997,
        "time": "2026-03-14T09:30:00.870Z",
    },
}
ACCOUNT = {
    "did": DID,
    "time_us": TIME_US + 3,
    "kind": "account",
    "account": {
        "active": False,
        "did": DID,
        "seq": 1409753013,
        "status": "deactivated",
        "time": "2026-03-14T09:30:00.870Z",
    },
}


def _raw(event):
    return json.dumps(event).encode()


def _with(event, **changes):
    event = copy.deepcopy(event)
    for path, value in changes.items():
        *outer, last = path.split(".")
        target = event
        for key in outer:
            target = target[key]
        if value is ...:
            del target[last]
        else:
            target[last] = value
    return event


def _mapped(received):
    assert isinstance(received.outcome, Mapped), received.outcome
    return received.outcome


def test_a_post_create_becomes_a_mention():
    received = map_event(_raw(CREATE), now=NOW)
    outcome = _mapped(received)
    mention = outcome.mention
    assert mention.id == URI
    assert mention.platform == "bluesky"
    assert mention.url == f"https://bsky.app/profile/{DID}/post/3l3qo2vutsw2b"
    assert mention.text == CREATE["commit"]["record"]["text"]
    assert mention.lang == "en"
    assert mention.created_at == datetime(2026, 3, 14, 9, 29, 58, 102000, tzinfo=UTC)
    assert mention.ingested_at == NOW
    assert mention.thread == Thread()
    assert mention.deleted is False
    assert received.position == Position(time_us=TIME_US)


def test_facets_give_the_mentioned_dids_and_full_links_and_leave_the_text_as_written():
    outcome = _mapped(map_event(_raw(CREATE), now=NOW))
    assert outcome.mentioned == (BRAND_DID,)
    assert outcome.links == ("https://acme.com/refund-policy?from=bsky",)
    assert "#acmefail" in outcome.mention.text


def test_the_author_has_unknown_counts_and_the_handle_from_the_cache():
    unknown = _mapped(map_event(_raw(CREATE), now=NOW))
    assert unknown.mention.author == Author(id=DID)
    assert unknown.author_counts_known is False
    known = _mapped(map_event(_raw(CREATE), now=NOW, handles={DID: "lena.bsky.social"}))
    assert known.mention.author.handle == "@lena.bsky.social"
    assert known.mention.author.followers == 0


def test_a_reply_takes_its_root_and_parent_from_the_record():
    root = f"at://{BRAND_DID}/app.bsky.feed.post/3l3qnroot0000"
    parent = "at://did:plc:ufbl4k27gp6kzas5glhz7fim/app.bsky.feed.post/3l3qnparent00"
    reply = _with(
        CREATE,
        **{
            "commit.record.reply": {
                "root": {"cid": "bafyreiroot", "uri": root},
                "parent": {"cid": "bafyreiparent", "uri": parent},
            }
        },
    )
    mention = _mapped(map_event(_raw(reply), now=NOW)).mention
    assert mention.thread == Thread(root_id=root, parent_id=parent)
    assert mention.root_id == root


@pytest.mark.parametrize(
    "embed",
    [
        {"$type": "app.bsky.embed.record", "record": {"cid": "bafyq", "uri": "QUOTED"}},
        {
            "$type": "app.bsky.embed.recordWithMedia",
            "record": {"$type": "app.bsky.embed.record", "record": {"cid": "b", "uri": "QUOTED"}},
            "media": {"$type": "app.bsky.embed.images", "images": []},
        },
    ],
)
def test_a_quote_post_is_threaded_under_the_quoted_post(embed):
    quoted = f"at://{BRAND_DID}/app.bsky.feed.post/3l3qnquoted00"
    embed = json.loads(json.dumps(embed).replace("QUOTED", quoted))
    mention = _mapped(map_event(_raw(_with(CREATE, **{"commit.record.embed": embed})), now=NOW))
    assert mention.mention.thread == Thread(root_id=quoted, parent_id=quoted)


def test_an_image_embed_is_no_thread():
    embed = {"$type": "app.bsky.embed.images", "images": []}
    mention = _mapped(map_event(_raw(_with(CREATE, **{"commit.record.embed": embed})), now=NOW))
    assert mention.mention.thread == Thread()


def test_an_update_maps_like_a_create():
    update = _with(CREATE, **{"commit.operation": "update", "commit.record.text": "edited"})
    mention = _mapped(map_event(_raw(update), now=NOW)).mention
    assert (mention.id, mention.text) == (URI, "edited")


@pytest.mark.parametrize(
    ("created_at", "expected"),
    [
        ("2030-01-01T00:00:00Z", datetime(2026, 3, 14, 9, 30, 0, 123456, tzinfo=UTC)),
        ("2026-03-14T09:29:58", datetime(2026, 3, 14, 9, 30, 0, 123456, tzinfo=UTC)),
        ("not a time", datetime(2026, 3, 14, 9, 30, 0, 123456, tzinfo=UTC)),
        (..., datetime(2026, 3, 14, 9, 30, 0, 123456, tzinfo=UTC)),
        ("2026-03-14T10:29:58+01:00", datetime(2026, 3, 14, 9, 29, 58, tzinfo=UTC)),
    ],
)
def test_created_at_is_the_client_s_time_bounded_by_when_jetstream_saw_it(created_at, expected):
    event = _with(CREATE, **{"commit.record.createdAt": created_at})
    assert _mapped(map_event(_raw(event), now=NOW)).mention.created_at == expected


def test_a_delete_becomes_a_tombstone_of_the_post():
    received = map_event(_raw(DELETE), now=NOW)
    tombstone = _mapped(received).mention
    assert tombstone.id == URI
    assert tombstone.deleted is True
    assert tombstone.text == ""
    assert tombstone.author.id == DID
    assert tombstone.ingested_at == NOW
    assert received.position == Position(time_us=TIME_US + 1)


def test_identity_is_a_handle_change_for_the_cache():
    received = map_event(_raw(IDENTITY), now=NOW)
    assert received.outcome == HandleChanged(did=DID, handle="lena.bsky.social")
    no_handle = _with(IDENTITY, **{"identity.handle": ...})
    assert map_event(_raw(no_handle), now=NOW).outcome == HandleChanged(did=DID, handle=None)


@pytest.mark.parametrize(
    ("account", "erased"),
    [
        ({"active": False, "status": "deactivated"}, False),
        ({"active": False, "status": "takendown"}, False),
        ({"active": False, "status": "deleted"}, True),
        ({"active": True}, False),
    ],
)
def test_account_is_a_status_signal_and_only_a_deleted_account_is_erased(account, erased):
    event = _with(ACCOUNT, account={**account, "did": DID, "seq": 1, "time": "2026-03-14T09:30Z"})
    outcome = map_event(_raw(event), now=NOW).outcome
    assert outcome == AccountChanged(
        did=DID, active=account["active"], status=account.get("status")
    )
    assert outcome.erased is erased


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"commit.collection": "app.bsky.feed.like"}, "collection 'app.bsky.feed.like'"),
        ({"commit.operation": "resync"}, "commit operation 'resync'"),
        ({"kind": "sync"}, "event kind 'sync'"),
    ],
)
def test_what_is_not_a_post_is_skipped_but_keeps_its_position(changes, reason):
    received = map_event(_raw(_with(CREATE, **changes)), now=NOW)
    assert isinstance(received.outcome, Skipped)
    assert reason in received.outcome.reason
    assert received.position == Position(time_us=TIME_US)


def test_a_v2_event_carries_its_cursor():
    received = map_event(_raw(_with(CREATE, cursor=98765)), now=NOW)
    assert received.position == Position(time_us=TIME_US, cursor=98765)


def test_resume_by_time_us_rewinds_five_seconds():
    assert resume_from(Position(time_us=TIME_US)) == Resume(
        cursor=TIME_US - 5_000_000, kind="time_us"
    )
    assert resume_from(Position(time_us=TIME_US), rewind=timedelta(seconds=1)).cursor == (
        TIME_US - 1_000_000
    )
    assert resume_from(Position(time_us=3)).cursor == 0


def test_resume_by_a_v2_cursor_starts_at_that_event():
    # The cursor is a sequence number and inclusive: the last event comes again, none is lost.
    assert resume_from(Position(time_us=TIME_US, cursor=98765)) == Resume(
        cursor=98765, kind="cursor"
    )


def test_resume_on_another_instance_goes_by_time_us_since_a_cursor_is_instance_local():
    last = Position(time_us=TIME_US, cursor=98765)
    assert resume_from(last, same_instance=False) == Resume(
        cursor=TIME_US - 5_000_000, kind="time_us"
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"did": "did:plc:x", "time_us": 17', "invalid JSON: Expecting"),
        (b'{"did": "did:plc:\xff", "time_us": 1}', "invalid UTF-8 at byte 17"),
        (b"[1, 2]", "event: expected a JSON object, got a list"),
        (b"[" * 100_000, "invalid JSON: nested too deeply"),
        (_raw(_with(CREATE, time_us="1773480600123456")), "event.time_us: expected an integer"),
        (_raw(_with(CREATE, time_us=True)), "event.time_us: expected an integer, got a boolean"),
        (_raw(_with(CREATE, time_us=-1)), "event.time_us: expected a time, got -1"),
        (_raw(_with(CREATE, time_us=10**20)), "event.time_us: expected a time, got 10000"),
        (_raw(_with(CREATE, cursor="98765")), "event.cursor: expected an integer"),
    ],
)
def test_an_unreadable_event_is_rejected_without_a_position(raw, reason):
    received = map_event(raw, now=NOW)
    assert isinstance(received.outcome, Rejected)
    assert reason in received.outcome.reason, received.outcome.reason
    assert received.position is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"did": "alice"}, "event.did: expected a DID, got 'alice'"),
        ({"did": 7}, "event.did: expected a string, got a number"),
        ({"kind": None}, "event.kind: expected a string, got null"),
        ({"commit": "create"}, "event.commit: expected an object, got 'create'"),
        ({"commit.rkey": "../../x"}, "event.commit.rkey: expected a record key"),
        ({"commit.record": ...}, "event.commit.record: expected an object, got null"),
        ({"commit.record.text": 42}, "event.commit.record.text: expected a string, got a number"),
        ({"commit.record.langs": "en"}, "event.commit.record.langs: expected a list of strings"),
        ({"commit.record.createdAt": 5}, "event.commit.record.createdAt: expected a string"),
        (
            {"commit.record.reply": {"root": {"uri": "at://x"}}},
            "event.commit.record.reply.parent: expected an object, got null",
        ),
        (
            {"commit.record.reply": {"root": {"uri": "https://x"}, "parent": {"uri": "at://y"}}},
            "event.commit.record.reply.root.uri: expected an at:// URI, got 'https://x'",
        ),
        (
            {
                "commit.record.embed": {
                    "$type": "app.bsky.embed.record",
                    "record": {"uri": "at://" + "x" * 600},
                }
            },
            "event.commit.record.embed.record.uri: expected an at:// URI",
        ),
        (
            {"commit.record.facets": [{"features": [{"$type": MENTION, "did": "bob"}]}]},
            "event.commit.record.facets[0].features[0].did: expected a DID, got 'bob'",
        ),
        ({"commit.record.facets": {"a": 1}}, "event.commit.record.facets: expected a list"),
    ],
)
def test_a_malformed_event_is_rejected_with_the_field_and_keeps_its_position(changes, reason):
    received = map_event(_raw(_with(CREATE, **changes)), now=NOW)
    assert isinstance(received.outcome, Rejected)
    assert received.outcome.reason.startswith(reason), received.outcome.reason
    assert received.position == Position(time_us=TIME_US)


def test_text_over_ten_thousand_chars_is_cut_with_the_flag_set():
    # Jetstream does not enforce the post lexicon's 300 graphemes.
    long = _with(CREATE, **{"commit.record.text": "é" * 10_500})
    outcome = _mapped(map_event(_raw(long), now=NOW))
    assert len(outcome.mention.text) == 10_000
    assert outcome.mention.text_truncated is True


def test_post_uri_and_url():
    assert post_uri(did=DID, rkey="3l3qo2vutsw2b") == URI
    assert post_url(did=DID, rkey="3l3qo2vutsw2b") == (
        f"https://bsky.app/profile/{DID}/post/3l3qo2vutsw2b"
    )


@pytest.mark.parametrize("event", [CREATE, DELETE, IDENTITY, ACCOUNT])
def test_no_value_anywhere_in_an_event_makes_the_mapper_raise(event):
    for path in every_path(event):
        for wrong in WRONG_VALUES:
            received = map_event(_raw(replaced(event, path, wrong)), now=NOW)
            assert isinstance(
                received.outcome, Mapped | Rejected | Skipped | HandleChanged | AccountChanged
            )
