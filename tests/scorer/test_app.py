import asyncio

import faust
import pytest

from smileback.common.events import DlqRecord, ScoredMention, decode, encode
from smileback.common.settings import Settings
from smileback.common.topics import Topics
from smileback.scorer.app import Outbox, create_app
from smileback.scorer.pipeline import ScoringPipeline
from smileback.scorer.threads import ThreadTracker
from tests.scorer.doubles import T0, CountingScorer, mention

TOPICS = Topics()


def test_outbox_collects_in_order_and_drains():
    outbox = Outbox()
    outbox.publish("a", key="k", value=b"1")
    outbox.publish("b", key=None, value=b"2")
    assert [(o.topic, o.key, o.value) for o in outbox.drain()] == [
        ("a", "k", b"1"),
        ("b", None, b"2"),
    ]
    assert outbox.drain() == []
    with pytest.raises(NotImplementedError):
        outbox.consumer(["a"], group="g")


def test_the_app_declares_no_topics_and_reads_from_the_earliest_offset():
    app = create_app(settings=Settings(kafka_bootstrap="h1:9092,h2:9092"), app_id="scorer-conf")
    conf = app.conf
    assert conf.consumer_auto_offset_reset == "earliest"
    assert not conf.topic_allow_declare
    assert conf.topic_partitions == 4
    assert not conf.web_enabled
    assert [str(url) for url in conf.broker] == ["kafka://h1:9092", "kafka://h2:9092"]
    (agent,) = app.agents.values()
    assert agent.channel.get_topic_name() == TOPICS.raw


async def test_the_agent_scores_batches_and_dead_letters_bad_records(monkeypatch):
    sent: list[tuple[str, bytes | None, bytes]] = []

    async def fake_send(self, *, key=None, value=None, **_):
        sent.append((self.get_topic_name(), key, value))

    # test_context starts no producer, so capture what the agent sends instead.
    monkeypatch.setattr(faust.Topic, "send", fake_send)
    scorer = CountingScorer()
    app = create_app(
        settings=Settings(scorer_batch_size=4, scorer_batch_within_s=0.05),
        app_id="scorer-test",
        pipeline=ScoringPipeline(scorer=scorer, tracker=ThreadTracker()),
        clock=lambda: T0,
    )
    (agent,) = app.agents.values()
    mentions = [mention(f"r{i}", "bad", root="root", minutes=i) for i in range(6)]
    async with agent.test_context() as ctx:
        for m in mentions[:3]:
            await ctx.put(value=encode(m), key=m.root_id.encode())
        await ctx.put(value=b"{not json", key=b"broken")
        for m in mentions[3:]:
            await ctx.put(value=encode(m), key=m.root_id.encode())
        for _ in range(200):
            if len(sent) == 7:
                break
            await asyncio.sleep(0.01)
    scored = [
        (key, decode(ScoredMention, value)) for topic, key, value in sent if topic == TOPICS.scored
    ]
    dead = [(key, decode(DlqRecord, value)) for topic, key, value in sent if topic == TOPICS.dlq]
    assert [s.id for _, s in scored] == [m.id for m in mentions]
    assert {key for key, _ in scored} == {b"root"}
    assert scored[-1][1].scores.thread_velocity == pytest.approx(0.6)
    assert [(key, d.stage, d.source_id, d.raw) for key, d in dead] == [
        (b"broken", "scorer", "broken", b"{not json")
    ]
    assert 2 <= len(scorer.calls) < 6  # batched, not one call per mention
