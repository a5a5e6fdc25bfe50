"""The smile-back queue's service level: one digest to the team's channels when entries wait
too long, at most once per period, not re-sent after a restart, never for answered ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smileback.alerts.digest import DIGEST_ID, DigestRule
from smileback.common.events import QueueItem, QueueName, Sentiment, encode
from tests.alerts.harness import TOPICS, Harness
from tests.support.builders import scored_tiered as scored
from tests.support.clock import FakeClock

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
RULE = DigestRule(
    after=timedelta(hours=4), every=timedelta(hours=4), notifiers=("webhook", "email")
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def kind(mention_id: str, brand: str = "acme") -> bytes:
    mention = scored(
        mention_id,
        brand=brand,
        text=f"{brand} you are wonderful",
        negativity=0.02,
        sentiment=Sentiment.POSITIVE,
    )
    return encode(mention)


def digests(h: Harness, name: str = "webhook") -> list[str]:
    return [n.summary for n in h.notifiers[name].sent if n.incident_id == DIGEST_ID]


def closure(h: Harness, mention_id: str, closed: str = "answered") -> None:
    (queued,) = [q for q in h.queues() if q.mention_id == mention_id and q.closed is None]
    item = queued.model_copy(update={"closed": closed})
    h.bus.publish(TOPICS.queues, key=mention_id, value=encode(item))
    h.pump()


def tick_and_deliver(h: Harness) -> None:
    h.service.tick()
    h.deliver()


def test_one_digest_when_entries_wait_too_long_and_none_again_within_the_period(
    tmp_path: Path, clock: FakeClock
) -> None:
    h = Harness(tmp_path, clock, notifiers=("webhook", "email"), digest=RULE)
    h.feed(kind("k1"), kind("k2"), kind("k3", brand="bolt"))
    closure(h, "k2", "dismissed")
    clock.advance(hours=3, minutes=59)
    tick_and_deliver(h)
    assert digests(h) == []  # nobody has waited 4 h yet
    clock.advance(minutes=2)
    tick_and_deliver(h)
    (summary,) = digests(h)
    assert summary.startswith("2 kind mentions waited over 4 h 0 min for a reply")
    assert "acme 1, bolt 1" in summary
    assert "you are wonderful" not in summary  # counts, never the people's words
    assert len(digests(h, "email")) == 1
    clock.advance(hours=1)
    tick_and_deliver(h)
    h.restart()
    tick_and_deliver(h)
    assert len(digests(h)) == 1  # at most one per period, across a restart
    clock.advance(hours=3)
    tick_and_deliver(h)
    assert len(digests(h)) == 2


def test_no_digest_once_every_entry_is_answered(tmp_path: Path, clock: FakeClock) -> None:
    h = Harness(tmp_path, clock, digest=RULE)
    h.feed(kind("k1"))
    closure(h, "k1")
    clock.advance(hours=5)
    tick_and_deliver(h)
    assert digests(h) == []


def test_queued_triage_items_are_not_counted(tmp_path: Path, clock: FakeClock) -> None:
    h = Harness(tmp_path, clock, digest=RULE)
    triage = QueueItem(
        mention_id="t1", brand="acme", queue=QueueName.TRIAGE, reason="negative", at=T0
    )
    h.bus.publish(TOPICS.queues, key="t1", value=encode(triage))
    h.pump()
    clock.advance(hours=5)
    tick_and_deliver(h)
    assert digests(h) == []


def test_an_entry_queued_again_keeps_the_time_it_first_waited_from(
    tmp_path: Path, clock: FakeClock
) -> None:
    h = Harness(tmp_path, clock, digest=RULE)
    h.feed(kind("k1"))
    clock.advance(hours=3)
    (queued,) = [q for q in h.queues() if q.mention_id == "k1"]
    again = queued.model_copy(update={"at": clock()})  # e.g. the queues topic replayed
    h.bus.publish(TOPICS.queues, key="k1", value=encode(again))
    h.pump()
    clock.advance(hours=1, minutes=1)
    tick_and_deliver(h)
    (summary,) = digests(h)
    assert summary.startswith("1 kind mention waited over 4 h")
