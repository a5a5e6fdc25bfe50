"""The store: idempotent upserts, sticky redaction, incidents folded from their events."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.orm import Session

from smileback.api.store import (
    IncidentEventRow,
    IncidentRow,
    MentionRow,
    QueueItemRow,
    apply_incident_event,
    compare_and_set_owner,
    create_schema,
    make_engine,
    upsert_queue_items,
)
from smileback.common.errors import ConfigError
from smileback.common.events import IncidentEvent, IncidentEventType, ResponderAction, Severity
from smileback.common.redaction import REDACTED_TEXT
from tests.support.builders import (
    T0,
    incident_event,
    queue_item,
    quoting_packet,
    scored,
    tombstone,
)
from tests.support.store import opened_incident, store_events, store_mentions

OPENED, UPDATED, PAGED = (
    IncidentEventType.OPENED,
    IncidentEventType.UPDATED,
    IncidentEventType.PAGED,
)


def _mention(engine: Engine, mention_id: str) -> MentionRow:
    with Session(engine) as session:
        row = session.get(MentionRow, mention_id)
        assert row is not None
        return row


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _apply(engine: Engine, events: list[IncidentEvent]) -> list[bool]:
    with Session(engine) as session, session.begin():
        return [apply_incident_event(session=session, event=e) for e in events]


def _incident(engine: Engine, incident_id: str = "inc_1") -> IncidentRow:
    with Session(engine) as session:
        row = session.get(IncidentRow, incident_id)
        assert row is not None
        return row


def test_the_same_mention_twice_is_stored_once(engine: Engine) -> None:
    store_mentions(engine, [scored("m1"), scored("m1")])
    store_mentions(engine, [scored("m1")])
    assert _count(engine, MentionRow) == 1
    row = _mention(engine, "m1")
    assert row.text == "Acme Coffee, my order never arrived"
    assert row.created_at == T0
    assert row.payload["scores"]["explanation"] == ["never", "arrived"]


def test_a_later_version_updates_the_scores(engine: Engine) -> None:
    store_mentions(engine, [scored("m1", negativity=0.9, velocity=1.0)])
    store_mentions(engine, [scored("m1", negativity=0.3, velocity=4.5, model_version="v2")])
    row = _mention(engine, "m1")
    assert (row.negativity, row.is_negative, row.thread_velocity) == (0.3, False, 4.5)
    assert row.model_version == "v2"
    assert row.payload["scores"]["negativity"] == 0.3


def test_a_mention_without_times_gets_the_projection_time(engine: Engine) -> None:
    store_mentions(engine, [scored("m1", created_at=None)])
    assert _mention(engine, "m1").created_at == T0  # store_mentions projects at T0


def test_a_tombstone_after_the_original_redacts_it(engine: Engine) -> None:
    store_mentions(engine, [scored("m1", negativity=0.9)])
    store_mentions(engine, [tombstone("m1")])
    row = _mention(engine, "m1")
    assert row.redacted is True
    assert (row.text, row.url, row.author_handle) == (REDACTED_TEXT, None, "")
    assert row.payload["text"] == REDACTED_TEXT
    assert row.payload["url"] is None
    assert row.payload["author"]["handle"] == ""
    assert row.payload["author"]["display_name"] == ""
    assert "never arrived" not in str(row.payload)
    # What was known about it stays: scores and when it was posted.
    assert row.negativity == 0.9
    assert row.created_at == T0


def test_a_tombstone_before_the_original_keeps_a_late_original_redacted(engine: Engine) -> None:
    store_mentions(engine, [tombstone("m1")])
    row = _mention(engine, "m1")
    assert row.redacted is True
    assert row.text == REDACTED_TEXT
    store_mentions(engine, [scored("m1", negativity=0.8)])
    row = _mention(engine, "m1")
    assert row.redacted is True
    assert (row.text, row.url, row.author_handle) == (REDACTED_TEXT, None, "")
    assert "never arrived" not in str(row.payload)
    assert row.payload["author"]["handle"] == ""
    # The late original still brings its scores and real time.
    assert row.negativity == 0.8
    assert row.payload["scores"]["negativity"] == 0.8
    assert row.created_at == T0
    assert _count(engine, MentionRow) == 1


def test_incident_events_fold_in_order(engine: Engine) -> None:
    later = T0 + timedelta(minutes=5)
    applied = _apply(
        engine,
        [
            incident_event(OPENED, summary="first", severity=Severity.WARNING),
            incident_event(PAGED, summary="first", severity=Severity.WARNING),
            incident_event(UPDATED, mention_id="m2", at=later, mention_count=2, peak_velocity=3.5),
            incident_event(PAGED, mention_id="m2", at=later, mention_count=2, summary="worse"),
            incident_event(IncidentEventType.ACKNOWLEDGED, at=later, responder="sam"),
        ],
    )
    assert applied == [True] * 5
    row = _incident(engine)
    assert row.status == "acknowledged"
    assert row.severity == "critical"
    assert (row.mention_count, row.peak_velocity, row.paged_count) == (2, 3.5, 2)
    assert (row.opened_at, row.last_event_at) == (T0, later)
    assert row.summary == "worse"  # the acknowledgement carried no summary: kept
    assert _count(engine, IncidentEventRow) == 5


def test_replaying_incident_events_leaves_the_same_state(engine: Engine) -> None:
    events = [
        incident_event(OPENED, summary="s"),
        incident_event(PAGED, summary="s"),
        incident_event(UPDATED, mention_id="m2", mention_count=2, peak_velocity=2.0),
        incident_event(IncidentEventType.RESOLVED, at=T0 + timedelta(hours=1)),
    ]
    _apply(engine, events)
    first = _incident(engine)
    assert _apply(engine, events) == [False] * 4
    assert _apply(engine, events[1:3]) == [False] * 2  # a partial replay too
    again = _incident(engine)
    assert first.paged_count == 1
    columns = [c.key for c in inspect(IncidentRow).columns]
    assert {c: getattr(again, c) for c in columns} == {c: getattr(first, c) for c in columns}
    assert _count(engine, IncidentEventRow) == 4


def test_an_incident_can_start_from_any_event(engine: Engine) -> None:
    _apply(engine, [incident_event(UPDATED, mention_count=3)])
    row = _incident(engine)
    assert (row.status, row.mention_count, row.paged_count) == ("open", 3, 0)


def _assert_redacted(context: dict, *, text: str) -> None:
    assert context["what"]["text"] == REDACTED_TEXT
    assert context["what"]["url"] is None
    assert context["who"]["handle"] == context["who"]["display_name"] == ""
    assert context["thread"]["root"]["text"] == REDACTED_TEXT
    assert "m1" in context["redacted_mention_ids"]
    assert text not in str(context)


def test_a_tombstone_redacts_incidents_quoting_the_mention(engine: Engine) -> None:
    original = scored("m1", text="Acme Coffee burnt my mouth", handle="@alice", root="m1")
    other = scored("m9", text="another thread", root="m9")
    store_mentions(engine, [original, other])
    _apply(
        engine,
        [
            incident_event(OPENED, mention_id="m1", packet=quoting_packet(original)),
            incident_event(PAGED, mention_id="m1", packet=quoting_packet(original)),
            # Another thread's incident quotes m1 as a similar complaint.
            incident_event(
                OPENED,
                incident_id="inc_2",
                mention_id="m9",
                summary="about another thread",
                packet=quoting_packet(other, similar=[original]),
            ),
        ],
    )
    store_mentions(engine, [tombstone("m1")])
    row = _incident(engine)
    _assert_redacted(row.context, text="burnt")
    assert (
        row.summary
        == "[critical] acme: source post deleted and redacted; 1 mention(s) in the thread"
    )
    assert row.context["summary"] == row.summary
    with Session(engine) as session:
        for event_id in ("inc_1:opened:m1", "inc_1:paged:m1"):
            event = session.get(IncidentEventRow, event_id)
            assert event is not None
            _assert_redacted(event.payload["packet"], text="burnt")
            assert "burnt" not in event.payload["summary"]
    elsewhere = _incident(engine, "inc_2")
    assert elsewhere.context["what"]["text"] == "another thread"  # its own headline stays
    assert elsewhere.context["similar"]["items"][0]["text"] == REDACTED_TEXT
    assert "burnt" not in str(elsewhere.context)
    assert elsewhere.summary == "about another thread"  # it does not quote m1


def test_an_incident_event_quoting_a_deleted_mention_is_stored_redacted(engine: Engine) -> None:
    store_mentions(engine, [tombstone("m1")])
    original = scored("m1", text="Acme Coffee burnt my mouth")
    _apply(
        engine,
        [
            incident_event(
                OPENED,
                summary='@alice: "Acme Coffee burnt my mouth"',
                packet=quoting_packet(original),
            )
        ],
    )
    row = _incident(engine)
    _assert_redacted(row.context, text="burnt")
    assert "burnt" not in row.summary
    with Session(engine) as session:
        event = session.get(IncidentEventRow, "inc_1:opened:m1")
        assert event is not None
        assert "burnt" not in str(event.payload)


def test_a_tombstone_rewrites_a_stored_version_1_event_as_version_2(engine: Engine) -> None:
    original = scored("m1", text="burnt my mouth", root="root-inc_1")
    store_mentions(engine, [original])
    _apply(engine, [incident_event(OPENED, packet=quoting_packet(original))])
    paged = incident_event(PAGED).model_dump(mode="json")
    del paged["packet"], paged["action"]
    v1 = {**paged, "schema_version": 1, "context": quoting_packet(original).model_dump(mode="json")}
    with Session(engine) as session, session.begin():
        session.add(
            IncidentEventRow(
                event_id="inc_1:paged:m1", incident_id="inc_1", type="paged", at=T0, payload=v1
            )
        )
    store_mentions(engine, [tombstone("m1")])
    with Session(engine) as session:
        row = session.get(IncidentEventRow, "inc_1:paged:m1")
        assert row is not None
        assert (row.payload["schema_version"], "context" in row.payload) == (2, False)
        _assert_redacted(row.payload["packet"], text="burnt")


def test_the_alerts_packet_of_every_event_replaces_the_context_but_human_actions_do_not(
    engine: Engine,
) -> None:
    first = scored("m1", text="first post")
    later = scored("m2", text="a later reply")
    _apply(engine, [incident_event(OPENED, packet=quoting_packet(first))])
    _apply(engine, [incident_event(UPDATED, mention_id="m2", packet=quoting_packet(later))])
    assert _incident(engine).context["what"]["text"] == "a later reply"
    note = incident_event(
        UPDATED,
        mention_id="m1:note",
        action=ResponderAction(kind="note", note="hi"),
        responder="sam",
    )
    _apply(engine, [note])
    assert _incident(engine).context["what"]["text"] == "a later reply"


def test_queue_items_are_idempotent_and_keep_answered(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        upsert_queue_items(session=session, items=[queue_item("m1"), queue_item("m1")])
        session.execute(text("UPDATE queue_items SET answered = 1"))
        upsert_queue_items(session=session, items=[queue_item("m1")])
    assert _count(engine, QueueItemRow) == 1
    with Session(engine) as session:
        assert session.scalar(select(QueueItemRow.answered)) is True


def test_the_schema_has_the_query_indexes(engine: Engine) -> None:
    with engine.connect() as connection:
        indexes = dict(
            connection.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            ).all()
        )
    assert "(brand, created_at, id)" in indexes["ix_mentions_brand_created_at"]
    assert "(created_at, id)" in indexes["ix_mentions_created_at_id"]
    assert "(thread_root_id, created_at)" in indexes["ix_mentions_thread_root_id_created_at"]
    assert "lower(author_handle)" in indexes["ix_mentions_author_handle_created_at"]
    assert "(status, opened_at, id)" in indexes["ix_incidents_status_opened_at"]
    assert "(queue, answered, at, mention_id)" in indexes["ix_queue_items_queue_answered_at"]
    assert "ix_mentions_text_trgm" not in indexes  # PostgreSQL only


def test_create_schema_twice_is_harmless(engine: Engine) -> None:
    store_mentions(engine, [scored("m1")])
    create_schema(engine)
    assert _count(engine, MentionRow) == 1


def test_sqlite_files_use_wal(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_an_in_memory_store_is_shared_across_threads() -> None:
    memory = make_engine("sqlite://")
    create_schema(memory)
    thread = threading.Thread(target=store_mentions, args=(memory, [scored("m1")]))
    thread.start()
    thread.join()
    assert _count(memory, MentionRow) == 1


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url", "oracle://x"])
def test_unsupported_database_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        make_engine(url)


def test_a_missing_directory_fails_at_first_use_not_at_make_engine(tmp_path: Path) -> None:
    broken = make_engine(f"sqlite:///{tmp_path / 'absent' / 'store.db'}")
    with pytest.raises(Exception, match="unable to open"):
        create_schema(broken)


def test_the_owner_is_compared_and_set_and_resolving_releases_it(engine: Engine) -> None:
    opened_incident(engine)

    def claim(expected: str | None, owner: str | None) -> bool:
        with Session(engine) as session, session.begin():
            return compare_and_set_owner(
                session=session, incident_id="inc_1", expected=expected, owner=owner
            )

    def owner() -> str | None:
        with Session(engine) as session:
            row = session.get(IncidentRow, "inc_1")
            assert row is not None
            return row.owner

    assert claim(None, "sam")
    assert not claim(None, "kim")  # sam was first: kim's claim changes nothing
    assert owner() == "sam"
    assert claim("sam", "kim")  # a take-over from the owner seen
    assert owner() == "kim"
    store_events(
        engine, [incident_event(IncidentEventType.RESOLVED, incident_id="inc_1", responder="kim")]
    )
    assert owner() is None  # resolving released it
    assert not claim(None, "sam")  # and a resolved incident is nobody's to claim
