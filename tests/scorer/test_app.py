"""The Faust app: its configuration, and both agents with their tables in test_context()."""

import asyncio
import json
from collections import Counter

import faust
import pytest
from faust.types import TP

import smileback.scorer.app as app_module
from smileback.common.events import DlqRecord, ScoredMention, Sentiment, decode, encode
from smileback.common.topics import Topics
from smileback.scorer.app import Outbox, app_id_of, create_app
from smileback.scorer.pipeline import ScoringPipeline, StagedBatch, pack_staged
from smileback.scorer.provision import by_brand_topic, own_topics
from smileback.scorer.sending import BrandPartitions
from smileback.scorer.settings import ScorerSettings
from smileback.scorer.shards import brand_key
from smileback.scorer.storage import ROCKSDB_OPTIONS
from smileback.scorer.text_scoring import TextScore
from tests.scorer.doubles import CountingScorer, rocksdb_app
from tests.support.builders import T0, mention

TOPICS = Topics()


def _app(**settings):
    """An app with the test double scorer, so no model is loaded."""
    return create_app(
        settings=ScorerSettings(**settings), pipeline=ScoringPipeline(scorer=CountingScorer())
    )


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
    conf = _app(
        kafka_bootstrap="h1:9092,h2:9092",
        scorer_session_timeout_s=7,
        scorer_heartbeat_interval_s=1,
        scorer_commit_interval_s=4,
        scorer_standby_replicas=2,
        scorer_topic_replicas=3,
    ).conf
    assert conf.consumer_auto_offset_reset == "earliest"
    assert not conf.topic_allow_declare
    assert conf.topic_partitions == 4
    assert not conf.web_enabled
    assert [str(url) for url in conf.broker] == ["kafka://h1:9092", "kafka://h2:9092"]
    assert (conf.broker_session_timeout, conf.broker_heartbeat_interval) == (7, 1)
    assert conf.broker_commit_interval == 4
    assert (conf.table_standby_replicas, conf.topic_replication_factor) == (2, 3)


def test_the_app_id_follows_the_topic_prefix_unless_set():
    assert app_id_of(ScorerSettings()) == "smileback.scorer"
    assert app_id_of(ScorerSettings(topic_prefix="t1.")) == "t1.scorer"
    assert app_id_of(ScorerSettings(topic_prefix="t1.", scorer_app_id="mine")) == "mine"
    assert _app(topic_prefix="t1.").conf.id == "t1.scorer"


def test_two_agents_read_the_raw_and_the_by_brand_topic_with_co_partitioned_tables():
    app = _app(scorer_app_id="conf")
    sources = sorted(agent.channel.get_topic_name() for agent in app.agents.values())
    assert sources == sorted([TOPICS.raw, "conf-mentions-by-brand"])
    assert {name: table.partitions for name, table in app.tables.items()} == {
        "threads": 4,
        "brands": 4,
        "authors": 4,
    }
    assert own_topics(app) == {
        "conf-mentions-by-brand": (4, {}),
        "conf-threads-changelog": (4, {"cleanup.policy": "compact"}),
        "conf-brands-changelog": (4, {"cleanup.policy": "compact"}),
        "conf-authors-changelog": (4, {"cleanup.policy": "compact"}),
    }


def test_the_tables_live_in_rocksdb_through_rocksdict_in_the_data_dir_unless_memory_is_asked(
    tmp_path,
):
    app = rocksdb_app(tmp_path)
    assert str(app.conf.store) == "rocksdb:"
    for table in app.tables.values():
        store = table.data
        assert store.use_rocksdict
        assert store.rocksdb_options.write_buffer_size == ROCKSDB_OPTIONS["write_buffer_size"]
        assert store.rocksdb_options.block_cache_size == ROCKSDB_OPTIONS["block_cache_size"]
        assert tmp_path in store.partition_path(0).parents
    assert str(_app(scorer_store="memory").conf.store) == "memory:"


async def test_a_thread_idle_past_its_horizon_leaves_the_table(app, sent):
    old = [mention("r-old", "bad", root="old", minutes=0)]
    later = [mention(f"r{i}", "bad", root="new", minutes=31 + i) for i in range(2)]
    raw = [(m.root_id.encode(), encode(m)) for m in old + later]
    await _run(_agent(app, TOPICS.raw), raw, sent, expect=3)
    assert set(app.tables["threads"]) == {"new"}


def _capture(monkeypatch, out, *, partitions=False):
    """Collect what the agents send (test_context starts no producer): records sent one by
    one through Faust, and scored mentions in batches, as (topic, key, value[, partition])."""

    async def fake_send(self, *, key=None, value=None, partition=None, **_):
        out.append((self.get_topic_name(), key, value, *([partition] if partitions else [])))

    async def fake_batches(producer, topic, records):
        out.extend((topic, key, value, *([None] if partitions else [])) for key, value in records)

    async def fake_changelogs(producer, changelogs):
        changelogs.drain()  # the tables' own stores have the writes

    monkeypatch.setattr(faust.Topic, "send", fake_send)
    monkeypatch.setattr(app_module, "send_batches", fake_batches)
    monkeypatch.setattr(app_module, "send_changelogs", fake_changelogs)


@pytest.fixture
def sent(monkeypatch):
    out: list[tuple[str, bytes | None, bytes]] = []
    _capture(monkeypatch, out)
    return out


@pytest.fixture
def scorer():
    return CountingScorer()


def _memory_app(scorer, **settings):
    """An app "t" on in-memory tables, with `scorer` and the clock at T0."""
    defaults = {"scorer_app_id": "t", "scorer_batch_within_s": 0.05, "scorer_store": "memory"}
    return create_app(
        settings=ScorerSettings(**{**defaults, **settings}),
        pipeline=ScoringPipeline(scorer=scorer),
        clock=lambda: T0,
    )


@pytest.fixture
def app(scorer):
    return _memory_app(scorer, scorer_batch_size=4)


def _sharded_app(scorer):
    """An app whose brands are spread over 4 shards."""
    return _memory_app(scorer, scorer_batch_size=40, scorer_brand_shards=4)


def _two_complaints_by_each_of_twelve_authors():
    """Each complaint in a thread of its own, authors au0 to au11."""
    return [
        mention(f"m{a}-{n}", "bad", author={"id": f"au{a}"}, brand="acme")
        for a in range(12)
        for n in range(2)
    ]


def _agent(app, source):
    (agent,) = [a for a in app.agents.values() if a.channel.get_topic_name() == source]
    return agent


async def _run(agent, records, sent, *, expect, done=None):
    """Feed (key, value) records through the agent until `expect` records were sent (and
    `done(sent)` holds, when given)."""
    async with agent.test_context() as ctx:
        for key, value in records:
            await ctx.put(value=value, key=key)
        for _ in range(300):
            if len(sent) >= expect and (done is None or done(sent)):
                break
            await asyncio.sleep(0.01)
    out = list(sent)
    sent.clear()
    return out


async def test_both_agents_score_batches_keep_state_in_tables_and_dead_letter(app, scorer, sent):
    by_brand = by_brand_topic("t")
    replies = [mention(f"r{i}", "bad", root="root", minutes=i, brand="acme") for i in range(6)]
    raw = [(m.root_id.encode(), encode(m)) for m in replies[:3]]
    raw += [(b"broken", b"{not json"), (replies[0].root_id.encode(), encode(replies[0]))]
    raw += [(m.root_id.encode(), encode(m)) for m in replies[3:]]
    raw += [(b"x", encode(mention("x", deleted=True))), (b"nb", encode(mention("nb", "bad")))]
    first = await _run(_agent(app, TOPICS.raw), raw, sent, expect=10)

    batches = [(key, decode(StagedBatch, v)) for topic, key, v in first if topic == by_brand]
    assert len(batches) < 7  # a batch's mentions of one brand travel in one record
    staged = [(key, s) for key, batch in batches for s in batch.staged]
    assert [s.scored.id for _, s in staged] == ["r0", "r1", "r2", "r0", "r3", "r4", "r5"]
    assert {key for key, _ in staged} == {b"acme"}
    assert [s.duplicate for _, s in staged] == [False] * 3 + [True] + [False] * 3
    assert staged[-1][1].scored.scores.thread_velocity == pytest.approx(0.6)  # r0 counted once
    direct = {decode(ScoredMention, v).id: k for t, k, v in first if t == TOPICS.scored}
    assert direct == {"x": b"x", "nb": b"nb"}  # tombstones and brandless skip the brand hop
    (dead,) = [decode(DlqRecord, v) for t, _, v in first if t == TOPICS.dlq]
    assert (dead.stage, dead.source_id, dead.raw) == ("scorer", "broken", b"{not json")
    assert 2 <= len(scorer.calls) < 10  # batched, not one call per mention
    assert len(json.loads(app.tables["threads"]["root"])["negatives"]) == 6

    # Batch records as this scorer writes them, single ones as an earlier one did, and junk.
    into_brand = [(key, pack_staged([encode(s) for _, s in staged[:4]])[0]) for key in [b"acme"]]
    into_brand += [(key, encode(s)) for key, s in staged[4:]] + [(b"acme", b'{"scored": 1}')]
    second = await _run(_agent(app, by_brand), into_brand, sent, expect=8)
    scored = [(k, decode(ScoredMention, v)) for t, k, v in second if t == TOPICS.scored]
    assert {key for key, _ in scored} == {b"root"}
    assert [s.scores.brand_negative_now for _, s in scored] == [1, 2, 3, 3, 4, 5, 6]
    assert [s.scores.author_mentions for _, s in scored] == [1] * 7  # one author per reply
    (dead,) = [decode(DlqRecord, v) for t, _, v in second if t == TOPICS.dlq]
    assert (dead.stage, dead.source_id) == ("scorer.brand", "acme")
    assert sum(json.loads(app.tables["brands"]["acme"])["buckets"].values()) == 6
    assert len(app.tables["authors"]) == 6


async def test_with_shards_a_brand_s_mentions_go_by_author_to_its_shards_each_counted_alone(
    scorer, sent
):
    app = _sharded_app(scorer)
    posts = _two_complaints_by_each_of_twelve_authors()
    raw = [(m.root_id.encode(), encode(m)) for m in posts]

    def staged_of(sent):
        return [
            (key.decode(), s)
            for topic, key, v in sent
            if topic == by_brand_topic("t")
            for s in decode(StagedBatch, v).staged
        ]

    first = await _run(
        _agent(app, TOPICS.raw), raw, sent, expect=1, done=lambda out: len(staged_of(out)) == 24
    )
    staged = staged_of(first)
    assert len(staged) == len(posts)
    for key, s in staged:
        assert key == brand_key(brand="acme", who=s.scored.author.id, shards=4)
    keys = {key for key, _ in staged}
    assert len(keys) > 1  # these twelve ids hash to more than one shard

    into_brand = [(key.encode(), encode(s)) for key, s in staged]
    second = await _run(_agent(app, by_brand_topic("t")), into_brand, sent, expect=len(posts))
    scored = [decode(ScoredMention, v) for t, _, v in second if t == TOPICS.scored]
    assert len(scored) == len(posts)
    # No other worker's shards here and no view of them running: each counts its own alone.
    shard_of = dict((s.scored.id, key) for key, s in staged)
    seen: Counter[str] = Counter()
    for s in scored:
        seen[shard_of[s.id]] += 1
        assert s.scores.brand_negative_now == seen[shard_of[s.id]]
        assert s.scores.author_mentions in (1, 2)
    brands = app.tables["brands"]
    assert set(brands) == keys
    assert sum(sum(json.loads(brands[k])["buckets"].values()) for k in keys) == len(posts)


async def test_a_staged_record_the_brand_step_fails_on_is_dead_lettered(app, sent, monkeypatch):
    real = ScoringPipeline.brand_step

    def brand_step(self, *, staged, **stores):
        if staged.scored.id == "bad":
            raise RuntimeError("brand state exploded")
        return real(self, staged=staged, **stores)

    monkeypatch.setattr(ScoringPipeline, "brand_step", brand_step)
    text = TextScore(0.9, True, Sentiment.NEGATIVE)
    pipeline = ScoringPipeline(scorer=CountingScorer())
    staged = [
        pipeline.thread_step(mention=mention(m, "bad", brand="acme"), text=text, now=T0)
        for m in ("ok1", "bad", "ok2")
    ]
    out = await _run(
        _agent(app, by_brand_topic("t")), [(b"acme", encode(s)) for s in staged], sent, expect=3
    )
    scored = [decode(ScoredMention, v).id for t, _, v in out if t == TOPICS.scored]
    assert scored == ["ok1", "ok2"]
    (dead,) = [decode(DlqRecord, v) for t, _, v in out if t == TOPICS.dlq]
    assert (dead.stage, dead.error) == (
        "scorer.brand",
        "scoring failed: RuntimeError: brand state exploded",
    )


@pytest.mark.parametrize("owned", [False, True], ids=["by-brand records", "scored batches"])
async def test_a_batch_is_acked_only_after_its_outputs_were_sent(scorer, monkeypatch, owned):
    # Batches of 3 with a long window: the three mentions put below are one batch however
    # slowly a loaded machine runs the test.
    app = _memory_app(scorer, scorer_batch_size=3, scorer_batch_within_s=10.0)
    batch: list = []
    acked_at_send: list[list[bool]] = []

    async def fake_send(self, *, key=None, value=None, **_):
        acked_at_send.append([event.message.acked for event in batch])

    async def fake_batches(producer, topic, records):
        assert topic == TOPICS.scored
        assert len(records) == 3  # the batch's scored mentions in one call
        acked_at_send.append([event.message.acked for event in batch])

    async def fake_changelogs(producer, changelogs):
        changelogs.drain()

    monkeypatch.setattr(faust.Topic, "send", fake_send)
    monkeypatch.setattr(app_module, "send_batches", fake_batches)
    monkeypatch.setattr(app_module, "send_changelogs", fake_changelogs)
    every = {TP(by_brand_topic("t"), p) for p in range(4)}
    monkeypatch.setattr(app.assignor, "assigned_actives", lambda: every if owned else set())
    agent = _agent(app, TOPICS.raw)
    async with agent.test_context() as ctx:
        for m in [mention(f"r{i}", "bad", root="root", brand="acme") for i in range(3)]:
            batch.append(await ctx.put(value=encode(m), key=b"root"))
        for _ in range(300):
            if all(event.message.acked for event in batch):
                break
            await asyncio.sleep(0.01)
    # The three staged mentions of one brand: one by-brand record, or three scored in one go.
    assert len(acked_at_send) == 1
    assert not any(flag for flags in acked_at_send for flag in flags)  # nothing acked while sending
    assert all(event.message.acked for event in batch)  # then the whole batch


def test_the_app_logs_in_to_kafka_with_the_security_settings():
    app = _app(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="smileback-scorer",
        kafka_sasl_password="not-logged",
    )
    credentials = app.conf.broker_credentials
    assert isinstance(credentials, faust.SASLCredentials)
    assert (credentials.username, credentials.protocol.value, credentials.mechanism.value) == (
        "smileback-scorer",
        "SASL_SSL",
        "SCRAM-SHA-512",
    )
    assert _app().conf.broker_credentials is None


async def test_mentions_whose_by_brand_partition_the_worker_owns_take_both_steps_at_once(
    scorer, monkeypatch
):
    app = _sharded_app(scorer)
    by_brand, partition_of = by_brand_topic("t"), BrandPartitions(count=4)
    keys = {brand_key(brand="acme", who=f"au{a}", shards=4) for a in range(12)}
    owned = {partition_of(key) for key in sorted(keys)[:2]}
    assert 0 < len(owned) < len({partition_of(key) for key in keys})  # some here, some not
    monkeypatch.setattr(app.assignor, "assigned_actives", lambda: {TP(by_brand, p) for p in owned})
    out: list[tuple[str, bytes | None, bytes, int | None]] = []
    _capture(monkeypatch, out, partitions=True)
    posts = _two_complaints_by_each_of_twelve_authors()
    raw = [(m.root_id.encode(), encode(m)) for m in posts]
    home = {m.id: brand_key(brand="acme", who=m.author.id, shards=4) for m in posts}
    here = {m.id for m in posts if partition_of(home[m.id]) in owned}

    def seen(sent):
        scored = {decode(ScoredMention, v).id for t, _, v, _ in sent if t == TOPICS.scored}
        hopped = {
            s.scored.id
            for t, _, v, _ in sent
            if t == by_brand
            for s in decode(StagedBatch, v).staged
        }
        return scored, hopped

    await _run(_agent(app, TOPICS.raw), raw, [], expect=0, done=lambda _: seen(out)[0] == here)
    await asyncio.sleep(0.1)  # anything else the batch would send
    scored, hopped = seen(out)
    assert scored == here  # both steps, in the raw batch
    assert hopped == {m.id for m in posts} - here
    for topic, key, _, partition in out:
        if topic == by_brand:
            assert partition == partition_of(key.decode())  # where the owner reads it
    results = {
        (s := decode(ScoredMention, v)).id: s.scores for t, _, v, _ in out if t == TOPICS.scored
    }
    for a in range(12):
        first, second = results.get(f"m{a}-0"), results.get(f"m{a}-1")
        if first is not None:
            assert second is not None
            assert (first.author_mentions, second.author_mentions) == (1, 2)
    brands = app.tables["brands"]
    assert {k for k in keys if partition_of(k) in owned} == set(brands)
    assert sum(sum(json.loads(brands[k])["buckets"].values()) for k in brands) == len(here)

    # The raw batch again, as after a crash before its commit: nothing counted twice.
    out.clear()
    await _run(_agent(app, TOPICS.raw), raw, [], expect=0, done=lambda _: seen(out)[0] == here)
    await asyncio.sleep(0.1)
    again = [decode(ScoredMention, v) for t, _, v, _ in out if t == TOPICS.scored]
    assert {s.id for s in again} == here
    assert sum(sum(json.loads(brands[k])["buckets"].values()) for k in brands) == len(here)
    assert all(s.scores.author_mentions == 2 for s in again)
