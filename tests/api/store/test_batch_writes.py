"""Batches in one statement: what a batch of mentions or queue items leaves in the store is
what writing its records one at a time, in order, would leave (SQLite here, PostgreSQL in
tests/integration/test_api_on_postgres.py)."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from smileback.api.store import MentionRow, QueueItemRow
from smileback.common.redaction import REDACTED_TEXT
from tests.support.builders import queue_item, scored, tombstone
from tests.support.store import store_mentions, store_queue


def _row(engine: Engine, mention_id: str) -> MentionRow:
    with Session(engine) as session:
        row = session.get(MentionRow, mention_id)
        assert row is not None
        return row


def test_the_same_id_twice_in_one_batch_keeps_the_later_version(engine: Engine) -> None:
    store_mentions(
        engine, [scored("b1", text="first", negativity=0.2), scored("b1", text="second")]
    )
    row = _row(engine, "b1")
    assert (row.text, row.negativity) == ("second", 0.9)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(MentionRow)) == 1


def test_an_original_and_its_tombstone_in_one_batch_end_redacted_in_either_order(
    engine: Engine,
) -> None:
    store_mentions(engine, [scored("b1"), tombstone("b1"), tombstone("b2"), scored("b2")])
    for mention_id in ("b1", "b2"):
        row = _row(engine, mention_id)
        assert row.redacted is True
        assert (row.text, row.url, row.author_handle) == (REDACTED_TEXT, None, "")
        assert row.payload["text"] == REDACTED_TEXT


def test_a_batch_updates_a_redacted_row_scores_but_never_its_text(engine: Engine) -> None:
    store_mentions(engine, [scored("b1", negativity=0.2), tombstone("b1")])
    store_mentions(engine, [scored("b1", negativity=0.95), scored("b2", text="kept")])
    row = _row(engine, "b1")
    assert row.redacted is True
    assert row.negativity == 0.95
    assert (row.text, row.author_handle) == (REDACTED_TEXT, "")
    assert row.payload["scores"]["negativity"] == 0.95
    assert row.payload["text"] == REDACTED_TEXT
    assert _row(engine, "b2").text == "kept"


def test_a_large_batch_stores_every_mention(engine: Engine) -> None:
    store_mentions(engine, [scored(f"m{n:04}", root=f"r{n % 7}") for n in range(1_200)])
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(MentionRow)) == 1_200
        roots = set(session.scalars(select(MentionRow.thread_root_id)))
    assert roots == {f"r{n}" for n in range(7)}


def test_the_same_queue_item_twice_in_one_batch_is_one_row(engine: Engine) -> None:
    store_queue(engine, [queue_item("b1"), queue_item("b1"), queue_item("b2")])
    with Session(engine) as session:
        assert sorted(session.scalars(select(QueueItemRow.mention_id))) == ["b1", "b2"]
