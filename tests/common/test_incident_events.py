"""IncidentEvent at schema version 2: a typed packet or a responder's action; version-1
records (one `context` object) still read, as version 2."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from smileback.common.errors import SchemaError
from smileback.common.events import (
    IncidentEvent,
    IncidentEventType,
    ReachTier,
    ResponderAction,
    Severity,
    decode,
    encode,
)
from smileback.common.packet import (
    ContextPacket,
    PostRef,
    SimilarSection,
    ThreadSection,
    WhatSection,
    WhoSection,
    WhySection,
)

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ROOT = PostRef(mention_id="m:1", handle="@mara", text="worst coffee", url="https://s/1", at=T0)
PACKET = ContextPacket(
    incident_id="inc_1",
    brand="acme",
    rule="large_audience_complaint",
    severity=Severity.CRITICAL,
    mention_id="m:1",
    summary='[critical] acme: @mara: "worst coffee"',
    who=WhoSection(
        handle="@mara",
        display_name="Mara",
        followers=248_300,
        verified=True,
        bot=False,
        account_age_days=3321,
        platform="mastodon",
    ),
    what=WhatSection(text="worst coffee", url="https://s/1", lang="en", created_at=T0),
    why=WhySection(
        rule="large_audience_complaint",
        reason="negativity 0.99, reach macro",
        negativity=0.99,
        top_terms=("worst",),
        reach_tier=ReachTier.MACRO,
        reach=0.77,
        est_impressions=24_830,
        thread_velocity=0.0,
        peak_velocity=3.1,
        pile_on_risk=0.0,
    ),
    thread=ThreadSection(root_id="m:1", root=ROOT, reply_count=0, latest_replies=()),
    similar=SimilarSection(window_minutes=60, count=0, items=()),
    guide=("Answer personally and soon.",),
    redacted_mention_ids=(),
)


def fields(kind: IncidentEventType = IncidentEventType.OPENED, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"inc_1:{kind}:m:1",
        "type": kind,
        "incident_id": "inc_1",
        "brand": "acme",
        "thread_root_id": "m:1",
        "rule": "large_audience_complaint",
        "severity": Severity.CRITICAL,
        "at": T0,
        "mention_id": "m:1",
        **extra,
    }


def v1_record(
    context: Any, kind: IncidentEventType = IncidentEventType.OPENED, **extra: Any
) -> bytes:
    """A record as version-1 producers wrote it: every field, `context` where v2 has two
    (and no `responder`, `owner` or `paged`: they wrote `actor` and `assignee`); `extra` is
    merged into its JSON as it is."""
    data = IncidentEvent(**fields(kind)).model_dump(mode="json")
    del data["packet"], data["action"], data["responder"], data["owner"], data["paged"]
    return json.dumps({**data, "schema_version": 1, "context": context, **extra}).encode()


def test_a_version_1_packet_record_reads_as_a_typed_packet() -> None:
    event = decode(IncidentEvent, v1_record(PACKET.model_dump(mode="json")))
    assert event.schema_version == 2
    assert event.packet == PACKET
    assert event.action is None
    assert event.packet.who.followers == 248_300


@pytest.mark.parametrize(
    ("context", "action"),
    [
        (
            {"action": "note", "note": "called them"},
            ResponderAction(kind="note", note="called them"),
        ),
        ({"action": "assign", "owner": "kim"}, ResponderAction(kind="assign", owner="kim")),
    ],
)
def test_a_version_1_responder_update_reads_as_its_action(
    context: dict[str, Any], action: ResponderAction
) -> None:
    raw = v1_record(context, kind=IncidentEventType.UPDATED, actor="sam")
    event = decode(IncidentEvent, raw)
    assert (event.action, event.packet, event.responder) == (action, None, "sam")


def test_a_version_1_record_with_an_empty_context_carries_neither() -> None:
    event = decode(IncidentEvent, v1_record({}, kind=IncidentEventType.ACKNOWLEDGED, actor="sam"))
    assert (event.packet, event.action, event.responder) == (None, None, "sam")


def test_a_version_1_record_is_written_again_as_version_2() -> None:
    event = decode(IncidentEvent, v1_record(PACKET.model_dump(mode="json")))
    data = json.loads(encode(event))
    assert data["schema_version"] == 2
    assert "context" not in data
    assert data["packet"] == PACKET.model_dump(mode="json")


@pytest.mark.parametrize(
    "event",
    [
        IncidentEvent(**fields(packet=PACKET, mention_count=3, peak_velocity=3.1)),
        IncidentEvent(
            **fields(
                IncidentEventType.UPDATED,
                responder="lead",
                owner="kim",
                action=ResponderAction(kind="assign", owner="kim"),
            )
        ),
        IncidentEvent(**fields(IncidentEventType.PAGED, packet=PACKET, level=1, paged=["ana"])),
        IncidentEvent(**fields(IncidentEventType.RESOLVED, responder="kim")),
    ],
)
def test_version_2_round_trips(event: IncidentEvent) -> None:
    raw = encode(event)
    assert json.loads(raw)["schema_version"] == 2
    assert decode(IncidentEvent, raw) == event


def test_the_packet_json_keeps_the_post_time_with_its_offset() -> None:
    data = json.loads(encode(IncidentEvent(**fields(packet=PACKET))))
    assert data["packet"]["what"]["created_at"] == "2026-11-01T12:00:00+00:00"
    assert data["packet"]["severity"] == "critical"


def _v2(**extra: Any) -> bytes:
    data = IncidentEvent(**fields()).model_dump(mode="json")
    return json.dumps({**data, **extra}).encode()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (_v2(context={}), "context: Extra inputs are not permitted"),
        (_v2(colour="red"), "colour: Extra inputs are not permitted"),
        (v1_record({}, colour="red"), "colour"),
        (
            v1_record(
                {"action": "note", "note": "x", "mood": "sad"}, kind=IncidentEventType.UPDATED
            ),
            "action.mood: Extra inputs are not permitted",
        ),
        (
            _v2(schema_version=1, packet=PACKET.model_dump(mode="json")),
            "not fields of schema version 1",
        ),
        (_v2(schema_version=3), "schema_version"),
        (v1_record({"action": "wave"}, kind=IncidentEventType.UPDATED), "action.kind"),
        (
            v1_record({"action": "assign"}, kind=IncidentEventType.UPDATED),
            "an assignment names its owner",
        ),
        (v1_record(["not", "an", "object"]), "a version-1 context is an object"),
    ],
)
def test_unknown_or_malformed_fields_are_refused(raw: bytes, reason: str) -> None:
    with pytest.raises(SchemaError, match=reason):
        decode(IncidentEvent, raw)


def test_a_malformed_packet_is_refused_with_where_and_why() -> None:
    partial = {"mention_id": "m:1", "who": {"handle": "@mara"}}
    with pytest.raises(SchemaError, match=re.escape("packet.incident_id: Field required")):
        decode(IncidentEvent, v1_record(partial))
    bad = PACKET.model_dump(mode="json")
    bad["who"]["followers"] = "many"
    with pytest.raises(
        SchemaError, match=re.escape("packet.who.followers: Input should be a valid integer")
    ):
        decode(IncidentEvent, _v2(packet=bad))
    bad = {**PACKET.model_dump(mode="json"), "mood": "grim"}
    with pytest.raises(SchemaError, match=re.escape("packet.mood: Extra inputs are not permitted")):
        decode(IncidentEvent, _v2(packet=bad))


def test_an_event_carries_a_packet_or_an_action_and_only_updates_carry_actions() -> None:
    note = ResponderAction(kind="note", note="hi")
    with pytest.raises(ValueError, match="not both"):
        IncidentEvent(**fields(IncidentEventType.UPDATED, packet=PACKET, action=note))
    with pytest.raises(ValueError, match="only an `updated` event"):
        IncidentEvent(**fields(IncidentEventType.ACKNOWLEDGED, action=note))
    with pytest.raises(ValueError, match="a note carries its text"):
        ResponderAction(kind="note")


def test_a_record_from_before_credentials_were_recorded_still_reads() -> None:
    data = json.loads(_v2())
    del data["key_id"], data["on_behalf_of"]
    event = decode(IncidentEvent, json.dumps(data).encode())
    assert (event.key_id, event.on_behalf_of) == (None, None)


def test_a_take_over_names_both_owners_and_its_reason() -> None:
    action = ResponderAction(
        kind="take_over", owner="kim", previous_owner="sam", reason="off shift"
    )
    event = IncidentEvent(
        **fields(IncidentEventType.UPDATED),
        responder="kim",
        action=action,
        owner="kim",
        key_id="a1b2c3d4e5f6",
    )
    assert decode(IncidentEvent, encode(event)) == event
    for missing in ("previous_owner", "reason"):
        with pytest.raises(ValueError, match="a take-over names its owner, the previous owner"):
            ResponderAction(**{**action.model_dump(), missing: None})


def _old_names(kind: IncidentEventType, **named: Any) -> bytes:
    """A version-2 record as written before `responder`, `owner` and `paged`: `actor` and
    `assignee` instead."""
    data = IncidentEvent(**fields(kind)).model_dump(mode="json")
    del data["responder"], data["owner"], data["paged"]
    return json.dumps({**data, **named}).encode()


@pytest.mark.parametrize(
    ("kind", "assignee", "owner", "paged"),
    [
        (IncidentEventType.ACKNOWLEDGED, "sam", "sam", []),
        (IncidentEventType.UPDATED, "kim", "kim", []),
        (IncidentEventType.PAGED, "ana, ben", None, ["ana", "ben"]),
        (IncidentEventType.ESCALATED, "lead", None, ["lead"]),
        (IncidentEventType.RESOLVED, None, None, []),
    ],
)
def test_a_record_with_the_old_names_reads_with_the_new_ones(
    kind: IncidentEventType, assignee: str | None, owner: str | None, paged: list[str]
) -> None:
    event = decode(IncidentEvent, _old_names(kind, actor="sam", assignee=assignee))
    assert (event.responder, event.owner, event.paged) == ("sam", owner, paged)
    written = json.loads(encode(event))
    assert "actor" not in written
    assert "assignee" not in written
    assert (written["responder"], written["owner"], written["paged"]) == ("sam", owner, paged)


def test_a_version_1_record_with_an_assignee_reads_its_owner() -> None:
    raw = v1_record({}, kind=IncidentEventType.ACKNOWLEDGED, actor="sam", assignee="sam")
    event = decode(IncidentEvent, raw)
    assert (event.responder, event.owner) == ("sam", "sam")


def test_an_old_assignee_beside_a_new_owner_is_refused() -> None:
    raw = _old_names(IncidentEventType.ACKNOWLEDGED, assignee="sam", owner="kim")
    with pytest.raises(SchemaError, match="`assignee` is the old name of `owner` and `paged`"):
        decode(IncidentEvent, raw)
