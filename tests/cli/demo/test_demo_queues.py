"""What the bundled scenario leaves in the human queues once every service has seen it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from smileback.cli.demo.embedded import EmbeddedStack
from smileback.cli.demo.run import DEMO_BRANDS
from smileback.cli.demo.scenario import bundled_scenario_path
from smileback.cli.demo.scenario_text import CHATTER_REPLIES, PRAISE
from smileback.common.clock import utc_now
from smileback.common.events import QueueItem, QueueName, ScoredMention, decode


@pytest.fixture(scope="module")
def queued(tmp_path_factory: pytest.TempPathFactory) -> dict[QueueName, set[str]]:
    """The text of every mention per queue."""
    database = Path(tmp_path_factory.mktemp("demo")) / "demo.db"
    stack = EmbeddedStack.build(
        database_url=f"sqlite:///{database}",
        brands=DEMO_BRANDS,
        clock=utc_now,
        console=io.StringIO(),
    )
    stack.ingest(bundled_scenario_path().read_bytes().splitlines())
    stack.drain()
    texts = {
        m.id: m.text
        for m in (decode(ScoredMention, r.value) for r in stack.bus.records(stack.topics.scored))
    }
    out: dict[QueueName, set[str]] = {queue: set() for queue in QueueName}
    for record in stack.bus.records(stack.topics.queues):
        item = decode(QueueItem, record.value)
        out[item.queue].add(texts[item.mention_id])
    return out


def test_replies_to_other_people_naming_a_place_do_not_wait_for_a_smile_back(queued):
    chatter = [text for text in queued[QueueName.SMILE_BACK] if _core_of(text, CHATTER_REPLIES)]
    assert chatter == []
    assert len(queued[QueueName.SMILE_BACK]) >= 10


def test_every_thank_you_to_the_brand_waits_for_a_smile_back(queued):
    lost_keys = next(core for core in PRAISE if "lost keys" in core)
    assert any(lost_keys in text for text in queued[QueueName.SMILE_BACK])
    assert [text for text in queued[QueueName.TRIAGE] if _core_of(text, PRAISE)] == []


def _core_of(text: str, cores: tuple[str, ...]) -> str | None:
    return next((core for core in cores if core in text), None)
