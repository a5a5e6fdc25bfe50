import base64
import json
from datetime import UTC, datetime

import pytest

from smileback.common.errors import SchemaError
from smileback.common.events import (
    MAX_TEXT_CHARS,
    Author,
    DlqRecord,
    Mention,
    QueueItem,
    QueueName,
    ReachTier,
    ScoredMention,
    Scores,
    Sentiment,
    Thread,
    decode,
    encode,
    incident_id_for,
)

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _scores() -> Scores:
    return Scores(
        negativity=0.91,
        is_negative=True,
        sentiment=Sentiment.NEGATIVE,
        reach=0.7,
        reach_tier=ReachTier.MACRO,
        est_impressions=25_000,
        thread_velocity=3.5,
        pile_on_risk=0.4,
        model_version="test",
        explanation=["worst", "ignored"],
    )


def test_mention_needs_only_id_and_text():
    mention = decode(Mention, b'{"id": "mastodon:1", "text": "hello @acme"}')
    assert mention.schema_version == 1
    assert mention.platform == "unknown"
    assert mention.author.followers == 0
    assert mention.root_id == "mastodon:1"
    assert not mention.is_reply


def test_reply_is_keyed_by_its_thread_root():
    mention = Mention(id="b:2", text="same", thread={"root_id": "b:1", "parent_id": "b:1"})
    assert mention.root_id == "b:1"
    assert mention.is_reply


@pytest.mark.parametrize(
    "event",
    [
        Mention(id="m:1", text="hi", created_at=T0, author={"handle": "@a", "followers": 12}),
        ScoredMention.of(Mention(id="m:2", text="bad"), _scores()),
        QueueItem(
            mention_id="m:3", brand="acme", queue=QueueName.SMILE_BACK, reason="thanks", at=T0
        ),
        DlqRecord.of(stage="ingest", error="bad json", raw=b"\xff{", at=T0, source_id=None),
    ],
)
def test_every_event_but_incidents_is_at_version_1_and_round_trips_through_json(event):
    raw = encode(event)
    assert json.loads(raw)["schema_version"] == 1
    assert decode(type(event), raw) == event


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "Invalid JSON"),
        (b'{"id": "x", "text": "hi"}\xff', "invalid UTF-8"),
        (b'{"id": "x", "text": 5}', "text"),
        (b'{"id": "x"}', "text: Field required"),
        (b'{"id": "x", "text": "hi", "colour": "red"}', "colour: Extra inputs are not permitted"),
        (b'{"id": "x", "text": "hi", "schema_version": 2}', "schema_version"),
        (b'{"id": "", "text": "hi"}', "id"),
        (b"[1, 2]", "record"),
    ],
)
def test_bad_records_raise_schema_error_with_reason(raw, reason):
    with pytest.raises(SchemaError, match=reason):
        decode(Mention, raw)


@pytest.mark.parametrize(
    ("raw", "byte"),
    [
        (b'{"id": "x", "text": "caf\xe9"}', 24),  # Latin-1, not UTF-8
        (b'{"id": "x", "text": "\xed\xa0\x80"}', 21),  # an encoded surrogate
        (b'{"id": "x", "text": "\xc0\x80"}', 21),  # an overlong encoding
        (b'{"id": "x", "te\xffxt": "hi"}', 15),  # in a field name
        (b'{"id": "x", "text": "hi", "author": {"handle": "\xff"}}', 48),
    ],
)
def test_invalid_utf8_anywhere_is_refused_naming_the_byte(raw, byte):
    with pytest.raises(SchemaError, match=f"invalid UTF-8 at byte {byte}$"):
        decode(Mention, raw)


def test_encode_writes_what_model_dump_json_writes():
    mention = Mention(id="m:1", text="caf\u00e9 \U0001f64c", created_at=T0, brand="acme")
    for event in [mention, ScoredMention.of(mention, _scores())]:
        assert encode(event) == event.model_dump_json().encode("utf-8")


def test_attaching_scores_makes_what_validating_the_whole_event_makes():
    mention = Mention(
        id="m:1",
        text="acme, again",
        brand="acme",
        created_at=T0,
        author=Author(id="a1", handle="ann", followers=5_000, created_at=T0),
        thread=Thread(root_id="m:0", parent_id="m:0"),
    )
    scored = ScoredMention.of(mention, _scores())
    validated = ScoredMention(**mention.model_dump(), scores=_scores())
    assert scored == validated
    assert encode(scored) == encode(validated)
    assert decode(ScoredMention, encode(scored)) == scored


def test_oversized_text_is_refused():
    raw = json.dumps({"id": "x", "text": "a" * (MAX_TEXT_CHARS + 1)}).encode()
    with pytest.raises(SchemaError, match="text: String should have at most 10000 characters"):
        decode(Mention, raw)
    assert decode(Mention, json.dumps({"id": "x", "text": "a" * MAX_TEXT_CHARS}).encode())


def test_naive_timestamps_are_refused():
    with pytest.raises(SchemaError, match="created_at"):
        decode(Mention, b'{"id": "x", "text": "t", "created_at": "2026-11-01T12:00:00"}')


def test_negativity_must_be_a_probability():
    with pytest.raises(ValueError, match="negativity"):
        Scores(negativity=1.2, is_negative=True, sentiment="negative", model_version="m")


def test_dlq_record_keeps_raw_bytes_exactly():
    raw = b"\x00\xff not utf-8 \xfe"
    record = DlqRecord.of(stage="scorer", error="x" * 5000, raw=raw, at=T0, source_id="k")
    back = decode(DlqRecord, encode(record))
    assert back.raw == raw
    assert len(back.error) == 2000
    assert base64.b64decode(json.loads(encode(record))["raw_b64"]) == raw


def test_incident_id_is_stable_and_distinct_per_brand_and_thread():
    a = incident_id_for(brand="acme", thread_root_id="m:1")
    assert a == incident_id_for(brand="acme", thread_root_id="m:1")
    assert a != incident_id_for(brand="acme", thread_root_id="m:2")
    assert a != incident_id_for(brand="other", thread_root_id="m:1")
    assert a.startswith("inc_")


def test_events_are_immutable():
    mention = Mention(id="m", text="t")
    with pytest.raises(ValueError, match="frozen"):
        mention.text = "changed"  # type: ignore[misc]


def test_a_scored_mention_from_an_older_scorer_still_decodes_without_its_surge_ratio():
    old = ScoredMention.of(Mention(id="m1", text="bad", brand="acme"), _scores())
    raw = json.loads(encode(old))
    raw["scores"].update(brand_negative_now=20, brand_negative_baseline=2.0, brand_surge_ratio=7.0)
    decoded = decode(ScoredMention, json.dumps(raw).encode())
    assert decoded.scores.brand_negative_baseline == 2.0
    assert "brand_surge_ratio" not in json.loads(encode(decoded))["scores"]
    raw["scores"]["brand_surge_ratioo"] = 1.0  # any other unknown field is still refused
    with pytest.raises(SchemaError, match="brand_surge_ratioo: Extra inputs are not permitted"):
        decode(ScoredMention, json.dumps(raw).encode())


@pytest.mark.parametrize(
    ("author", "identity", "of_the_mention"),
    [
        (Author(id="did:plc:1", handle="alice"), "did:plc:1", "did:plc:1"),
        (Author(handle="alice"), "alice", "alice"),
        (Author(), "", "#m1"),  # anonymous: a person of this mention alone
    ],
)
def test_who_the_author_is_their_id_else_their_handle_else_no_one_twice(
    author: Author, identity: str, of_the_mention: str
) -> None:
    assert author.identity == identity
    assert Mention(id="m1", text="hi", author=author).author_identity == of_the_mention
