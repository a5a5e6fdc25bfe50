import copy
import json
from datetime import UTC, datetime

import pytest

from smileback.common.events import Author, MentionMetrics, Thread
from smileback.ingest.sources.mastodon import (
    instance_host,
    map_event,
    map_status,
    mention_id,
)
from smileback.ingest.sources.outcomes import Mapped, Rejected, Skipped
from smileback.ingest.sources.payload import Fields
from smileback.ingest.sources.sse import SseEvent, SseParser
from tests.ingest.sources.mutations import WRONG_VALUES, every_path, replaced

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
HOST = "mastodon.example"

# A Status as Mastodon's REST::StatusSerializer writes it (fields the mapper ignores
# included, as they arrive).
STATUS = {
    "id": "113265789012345678",
    "created_at": "2026-03-14T09:12:33.901Z",
    "in_reply_to_id": None,
    "in_reply_to_account_id": None,
    "sensitive": False,
    "spoiler_text": "",
    "visibility": "public",
    "language": "en",
    "uri": "https://mastodon.example/users/lena/statuses/113265789012345678",
    "url": "https://mastodon.example/@lena/113265789012345678",
    "replies_count": 5,
    "reblogs_count": 6,
    "favourites_count": 11,
    "edited_at": None,
    "content": (
        '<p>Third cold cup this week from <span class="h-card" translate="no"><a '
        'href="https://coffee.example/@acmecoffee" class="u-url mention">@<span>acmecoffee'
        "</span></a></span> &amp; no refund.</p><p>Done.<br />Really.</p>"
    ),
    "reblog": None,
    "application": {"name": "Web", "website": None},
    "account": {
        "id": "109348",
        "username": "lena",
        "acct": "lena",
        "display_name": "Lena Singh",
        "locked": False,
        "bot": False,
        "discoverable": True,
        "group": False,
        "created_at": "2022-10-24T00:00:00.000Z",
        "note": "<p>coffee person</p>",
        "url": "https://mastodon.example/@lena",
        "avatar": "https://files.mastodon.example/avatars/lena.png",
        "followers_count": 48210,
        "following_count": 540,
        "statuses_count": 9120,
        "last_status_at": "2026-03-14",
        "emojis": [],
        "fields": [],
    },
    "media_attachments": [],
    "mentions": [
        {
            "id": "2231",
            "username": "acmecoffee",
            "url": "https://coffee.example/@acmecoffee",
            "acct": "acmecoffee@coffee.example",
        }
    ],
    "tags": [],
    "emojis": [],
    "card": None,
    "poll": None,
}


def _status(**changes):
    status = copy.deepcopy(STATUS)
    for key, value in changes.items():
        if "." in key:
            outer, inner = key.split(".")
            status[outer][inner] = value
        else:
            status[key] = value
    return status


def _event(name, payload):
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return SseEvent(event=name, data=data)


def _mapped(outcome):
    assert isinstance(outcome, Mapped), outcome
    return outcome


def test_an_update_becomes_a_mention_with_its_author_thread_and_metrics():
    outcome = _mapped(map_event(_event("update", STATUS), host=HOST, now=NOW))
    mention = outcome.mention
    assert mention.id == "mastodon:mastodon.example:113265789012345678"
    assert mention.platform == "mastodon"
    assert (
        mention.text == "Third cold cup this week from @acmecoffee & no refund.\n\nDone.\nReally."
    )
    assert mention.url == "https://mastodon.example/@lena/113265789012345678"
    assert mention.lang == "en"
    assert mention.created_at == datetime(2026, 3, 14, 9, 12, 33, 901000, tzinfo=UTC)
    assert mention.ingested_at == NOW
    assert mention.author == Author(
        id="mastodon:lena@mastodon.example",
        handle="@lena@mastodon.example",
        display_name="Lena Singh",
        followers=48210,
        following=540,
        bot=False,
        created_at=datetime(2022, 10, 24, tzinfo=UTC),
    )
    assert mention.thread == Thread()
    assert mention.root_id == mention.id
    assert mention.metrics == MentionMetrics(replies=5, reposts=6, likes=11, quotes=0)
    assert mention.deleted is False
    assert outcome.mentioned == ("mastodon:acmecoffee@coffee.example",)
    assert outcome.mention.text_truncated is False
    assert outcome.author_counts_known is True


def test_a_status_update_is_the_same_mention_again():
    edited = _status(content="<p>Edited: refund came.</p>", edited_at="2026-03-14T10:00:00.000Z")
    mention = _mapped(map_event(_event("status.update", edited), host=HOST, now=NOW)).mention
    assert mention.id == "mastodon:mastodon.example:113265789012345678"
    assert mention.text == "Edited: refund came."


def test_a_remote_author_keeps_their_own_instance_and_a_bot_is_marked():
    remote = _status(**{"account.acct": "sam@other.example", "account.bot": True})
    author = _mapped(map_status(Fields(remote, path="status"), host=HOST, now=NOW)).mention.author
    assert (author.id, author.handle, author.bot) == (
        "mastodon:sam@other.example",
        "@sam@other.example",
        True,
    )


def test_a_reply_whose_parent_is_unknown_is_rooted_at_the_parent():
    reply = _status(in_reply_to_id="113265700000000001")
    mention = _mapped(map_event(_event("update", reply), host=HOST, now=NOW)).mention
    parent = "mastodon:mastodon.example:113265700000000001"
    assert mention.thread == Thread(root_id=parent, parent_id=parent)
    assert mention.is_reply


def test_a_reply_to_a_known_reply_joins_that_reply_s_root():
    reply = _status(in_reply_to_id="113265700000000001")
    parent = mention_id(host=HOST, status_id="113265700000000001")
    root = mention_id(host=HOST, status_id="113265600000000000")
    outcome = map_event(_event("update", reply), host=HOST, now=NOW, roots={parent: root})
    assert _mapped(outcome).mention.thread == Thread(root_id=root, parent_id=parent)


def test_a_boost_maps_to_the_boosted_status_and_its_author():
    boost = {
        "id": "113265799999999999",
        "created_at": "2026-03-14T09:20:00.000Z",
        "content": "",
        "account": {"acct": "booster", "followers_count": 999999},
        "reblog": STATUS,
    }
    mention = _mapped(map_event(_event("update", boost), host=HOST, now=NOW)).mention
    assert mention.id == "mastodon:mastodon.example:113265789012345678"
    assert mention.author.handle == "@lena@mastodon.example"
    assert mention.author.followers == 48210
    assert mention.text.startswith("Third cold cup")


def test_a_content_warning_comes_before_the_content():
    warned = _status(spoiler_text="rant: Acme Coffee", content="<p>cold again</p>")
    text = _mapped(map_event(_event("update", warned), host=HOST, now=NOW)).mention.text
    assert text == "rant: Acme Coffee\n\ncold again"
    media_only = _status(spoiler_text="Acme receipt", content="")
    assert _mapped(map_event(_event("update", media_only), host=HOST, now=NOW)).mention.text == (
        "Acme receipt"
    )


def test_a_missing_url_falls_back_to_the_uri_and_a_missing_language_is_none():
    status = _status(url=None, language=None)
    mention = _mapped(map_event(_event("update", status), host=HOST, now=NOW)).mention
    assert mention.url == STATUS["uri"]
    assert mention.lang is None


def test_a_negative_counter_is_read_as_zero():
    status = _status(replies_count=-1)
    mention = _mapped(map_event(_event("update", status), host=HOST, now=NOW)).mention
    assert mention.metrics.replies == 0


def test_text_over_ten_thousand_chars_is_cut_with_the_flag_set():
    long = _status(content="<p>" + "é" * 12_000 + "</p>")
    outcome = _mapped(map_event(_event("update", long), host=HOST, now=NOW))
    assert len(outcome.mention.text) == 10_000
    assert outcome.mention.text_truncated is True


def test_control_characters_are_stripped_and_text_is_nfc():
    status = _status(content="<p>cafe\u0301\x07 au lait</p>")
    assert _mapped(map_event(_event("update", status), host=HOST, now=NOW)).mention.text == (
        "café au lait"
    )


@pytest.mark.parametrize("payload", [b"113265789012345678", b'"113265789012345678"'])
def test_a_delete_becomes_a_tombstone_with_the_post_s_id(payload):
    tombstone = _mapped(map_event(_event("delete", payload), host=HOST, now=NOW)).mention
    assert tombstone.id == "mastodon:mastodon.example:113265789012345678"
    assert tombstone.deleted is True
    assert tombstone.text == ""
    assert tombstone.platform == "mastodon"
    assert tombstone.ingested_at == NOW


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "delete: expected a status id, got ''"),
        (b"12 34", "delete: expected a status id, got '12 34'"),
        (b'{"id": "1"}', "delete: expected a status id"),
        (b'"unterminated', "delete: invalid JSON string"),
        (b"12\xff", "delete: invalid UTF-8 at byte 2"),
    ],
)
def test_a_delete_without_a_usable_id_is_rejected(payload, reason):
    outcome = map_event(_event("delete", payload), host=HOST, now=NOW)
    assert isinstance(outcome, Rejected)
    assert outcome.reason.startswith(reason)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"id": "1", "content": "<p>cut', "update: invalid JSON: Unterminated string"),
        (b'{"id": "1", "content": "caf\xc3\xa9 \xff"}', "update: invalid UTF-8 at byte 30"),
        (b'["a", "list"]', "update: status: expected a JSON object, got a list"),
        (
            json.dumps(_status(content=7)).encode(),
            "status.content: expected a string, got a number",
        ),
        (
            json.dumps(_status(**{"account.followers_count": "48k"})).encode(),
            "status.account.followers_count: expected an integer, got '48k'",
        ),
        (
            json.dumps(_status(**{"account.bot": "no"})).encode(),
            "status.account.bot: expected a boolean, got 'no'",
        ),
        (
            json.dumps(_status(created_at="2026-03-14T09:12:33")).encode(),
            "status.created_at: expected a time with its UTC offset",
        ),
        (
            json.dumps(_status(created_at="yesterday")).encode(),
            "status.created_at: expected an ISO 8601 time, got 'yesterday'",
        ),
        (
            json.dumps(_status(account=None)).encode(),
            "status.account: expected an object, got null",
        ),
        (json.dumps(_status(id="../x")).encode(), "status: expected a status id, got '../x'"),
        (json.dumps(_status(reblog=[])).encode(), "status.reblog: expected an object, got a list"),
        (
            json.dumps(_status(mentions=[{"acct": 5}])).encode(),
            "status.mentions[0].acct: expected a string, got a number",
        ),
    ],
)
def test_a_malformed_status_is_rejected_with_the_field_that_is_wrong(data, reason):
    outcome = map_event(_event("update", data), host=HOST, now=NOW)
    assert isinstance(outcome, Rejected)
    assert outcome.reason.startswith(reason), outcome.reason


def test_a_status_that_still_fails_the_mention_schema_is_rejected_not_raised():
    outcome = map_event(_event("update", STATUS), host="h" * 500, now=NOW)
    assert outcome == Rejected(
        reason="status: not a valid Mention: id: String should have at most 512 characters"
    )


@pytest.mark.parametrize("name", ["notification", "conversation", "filters_changed", "message"])
def test_events_that_are_not_statuses_are_skipped(name):
    assert isinstance(map_event(_event(name, b"{}"), host=HOST, now=NOW), Skipped)


def test_a_recorded_stream_maps_event_by_event_and_a_bad_one_does_not_stop_it():
    stream = (
        b":)\n"
        b"event: update\ndata: " + json.dumps(STATUS).encode() + b"\n\n"
        b":thump\n"
        b"event: update\ndata: {not json}\n\n"
        b"event: delete\ndata: 113265789012345678\n\n"
    )
    events = [r for r in SseParser().feed(stream) if isinstance(r, SseEvent)]
    outcomes = [map_event(event, host=HOST, now=NOW) for event in events]
    assert [type(o) for o in outcomes] == [Mapped, Rejected, Mapped]
    assert _mapped(outcomes[0]).mention.id == _mapped(outcomes[2]).mention.id


@pytest.mark.parametrize(
    ("instance", "host"),
    [
        ("https://Mastodon.Example/", "mastodon.example"),
        ("https://mastodon.example:8443", "mastodon.example"),
        ("mastodon.example", "mastodon.example"),
    ],
)
def test_instance_host_of_an_instance_url(instance, host):
    assert instance_host(instance) == host


def test_instance_host_refuses_what_names_no_host():
    with pytest.raises(ValueError, match="not an instance URL"):
        instance_host("https://")


def test_no_value_anywhere_in_a_status_makes_the_mapper_raise():
    for path in every_path(STATUS):
        for wrong in WRONG_VALUES:
            status = replaced(STATUS, path, wrong)
            outcome = map_event(_event("update", status), host=HOST, now=NOW)
            assert isinstance(outcome, Mapped | Rejected)
