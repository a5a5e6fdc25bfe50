"""Chaos tests: the pipeline as OS processes on a real broker and PostgreSQL, one fault each,
injected while mentions are still flowing; then, after quiescence, the same checks every time
(tests/support/chaos.py): each mention stored once, each page delivered once, no service
exited, every consumer group committed to the end of its topics."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from smileback.common.errors import SchemaError
from smileback.common.events import Mention, ReachTier, decode, incident_id_for
from smileback.ingest.normalise import parse_mention
from smileback.ingest.rules import BrandMatcher
from smileback.scorer.factory import default_pipeline
from tests.support import infra
from tests.support.chaos import Cluster, Feeder, cluster, dlq_payload
from tests.support.chaos_feed import (
    BRANDS,
    Feed,
    bad_raw_records,
    bad_scored_records,
    build_feed,
)

MENTIONS = 3000
CHUNKS = 6
# Down at least 10 s. The broker longer: clients back off further the longer it is away,
# and a group member that comes back after its session timeout meets a rebalance.
BROKER_OUTAGE_S = 20.0
POSTGRES_OUTAGE_S = 12.0
RECEIVER_OUTAGE_S = 30.0
TEST_TIMEOUT_S = 420


def test_feed_means_what_the_checks_expect() -> None:
    """The feed's own account of its lines holds: the same every time, bad lines refused for
    the stated reason, brands as recorded, and each large-audience complaint scored as one
    (negativity at least the policy's 0.8, macro reach or more) by the shipped model."""
    feed = build_feed(total=MENTIONS, bad_every=25)
    assert feed.lines == build_feed(total=MENTIONS, bad_every=25).lines
    bad = {b.raw: b for b in feed.bad}
    assert {b.kind for b in feed.bad} >= {
        "malformed JSON",
        "wrong type",
        "oversized text",
        "invalid UTF-8",
        "unknown field",
    }
    matcher = BrandMatcher.from_terms(BRANDS)
    good: list[Mention] = []
    for line in feed.lines:
        if line in bad:
            with pytest.raises(SchemaError, match=re.escape(bad[line].reason)):
                parse_mention(raw=line, now=datetime.now(UTC))
            continue
        mention = decode(Mention, line)
        brand = matcher.match(mention=mention)
        if mention.id in feed.unmatched:
            assert brand is None, mention
        else:
            assert brand == feed.stored[mention.id], mention
            good.append(mention.model_copy(update={"brand": brand}))
    assert len(good) == len(feed.stored) == MENTIONS
    scored = default_pipeline().score_batch(mentions=good, now=datetime.now(UTC))
    large = {
        incident_id_for(brand=m.brand or "", thread_root_id=m.root_id)
        for m in scored
        if m.scores.negativity >= 0.8 and m.scores.reach_tier in (ReachTier.MACRO, ReachTier.MEGA)
    }
    assert large == feed.must_page
    assert len(large) >= 3


@pytest.fixture
def work_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def shared(kafka_bootstrap: str, postgres_url: str, work_dir: Path) -> Iterator[Cluster]:
    """The pipeline on the session's broker and PostgreSQL, with its own topics, groups and
    database."""
    with cluster(work_dir=work_dir, bootstrap=kafka_bootstrap, postgres_url=postgres_url) as c:
        yield c


def _start_feed(c: Cluster, feed: Feed, *, between: Callable[[int], None] | None = None) -> Feeder:
    """Feed in CHUNKS ingest runs; return right after a chunk has been ingested once the
    pipeline is part-way through the feed (some mentions stored, more chunks to come)."""
    feeder = Feeder(cluster=c, chunks=feed.chunks(count=CHUNKS), between=between).start()
    threshold = len(feed.stored) // 10
    c.wait_until(
        f"at least {threshold} mentions stored",
        lambda: c.stored_count() >= threshold,
        timeout_s=180,
    )
    done = feeder.wait_for_chunk()
    assert done < CHUNKS, f"every chunk was ingested before the fault ({c.stored_count()} stored)"
    stored = c.stored_count()
    assert stored < len(feed.stored), f"all {stored} mentions were stored before the fault"
    print(f"fault after chunk {done}/{CHUNKS}, {stored}/{len(feed.stored)} stored")
    return feeder


def _finish(
    c: Cluster, feed: Feed, feeder: Feeder, *, restarted: dict[str, int] | None = None
) -> None:
    took = c.finish(feed=feed, feeder=feeder, restarted=restarted)
    print(f"quiescent after {took:.0f} s; {len(c.receiver.deliveries())} pages")


def _kill_and_restart(c: Cluster, name: str) -> None:
    feed = build_feed(total=MENTIONS)
    feeder = _start_feed(c, feed)
    c.kill(name)
    print(f"{name} killed; uncommitted records per group: {c.lags()}")
    feeder.wait_for_chunk()  # down while another chunk arrives
    print(f"{name} restarted, ready after {c.restart(name):.0f} s")
    _finish(c, feed, feeder, restarted={name: 1})


@pytest.mark.timeout(TEST_TIMEOUT_S)
def test_scorer_sigkill_mid_stream(shared: Cluster) -> None:
    _kill_and_restart(shared, "scorer")


@pytest.mark.timeout(TEST_TIMEOUT_S)
def test_alerts_sigkill_mid_stream(shared: Cluster) -> None:
    _kill_and_restart(shared, "alerts")


@pytest.mark.timeout(TEST_TIMEOUT_S)
def test_api_sigkill_mid_stream(shared: Cluster) -> None:
    _kill_and_restart(shared, "api")


def _restart_mid_stream(
    server: infra.Server, outage_s: float, *, hold_ingest: bool = False, **where: Any
) -> None:
    """A cluster on `where` (cluster()'s arguments); `server` stopped part-way through the
    feed and started again after `outage_s`; then the checks. `hold_ingest`: no ingest run
    while it is down (ingest is a one-shot client, not under test; the broker restart needs
    that). Without it, ingest goes on meanwhile."""
    with cluster(**where) as c:
        feed = build_feed(total=MENTIONS)
        feeder = _start_feed(c, feed)
        if hold_ingest:
            feeder.pause()
        server.stop()
        time.sleep(outage_s)  # the outage itself
        server.start()
        if hold_ingest:
            feeder.resume()
        _finish(c, feed, feeder)


@pytest.mark.timeout(TEST_TIMEOUT_S)
def test_broker_restart_mid_stream(postgres_url: str, work_dir: Path) -> None:
    with infra.kafka_server() as (bootstrap, server):
        where = {"bootstrap": bootstrap, "postgres_url": postgres_url, "kafka": server}
        _restart_mid_stream(server, BROKER_OUTAGE_S, hold_ingest=True, work_dir=work_dir, **where)


@pytest.mark.timeout(TEST_TIMEOUT_S)
def test_postgres_restart_mid_stream(kafka_bootstrap: str, work_dir: Path) -> None:
    with infra.postgres_server() as (url, server):
        where = {"bootstrap": kafka_bootstrap, "postgres_url": url, "postgres": server}
        _restart_mid_stream(server, POSTGRES_OUTAGE_S, work_dir=work_dir, **where)


@pytest.mark.timeout(TEST_TIMEOUT_S)
def test_receiver_down_pages_late_never_twice(shared: Cluster) -> None:
    c = shared
    feed = build_feed(total=MENTIONS, large_complaints=10)
    feeder = Feeder(cluster=c, chunks=feed.chunks(count=CHUNKS)).start()
    c.wait_until("a first page delivered", lambda: bool(c.receiver.deliveries()), timeout_s=180)
    c.receiver.down()
    before = len(c.receiver.deliveries())
    time.sleep(RECEIVER_OUTAGE_S)  # the outage itself
    back = time.monotonic()
    c.receiver.up()
    _finish(c, feed, feeder)
    late = [d for d in c.receiver.deliveries() if d.at >= back]
    assert late, f"no page was held back by the outage ({before} delivered before it)"
    retried = [row for row in c.outbox_rows() if row["attempts"] > 1]
    assert retried, "no outbox row was retried: the outage did not hit a delivery"


@pytest.mark.timeout(TEST_TIMEOUT_S)
def test_malformed_records_dead_lettered_good_ones_stored(shared: Cluster) -> None:
    c = shared
    feed = build_feed(total=MENTIONS, bad_every=25)
    producer = c.producer()
    raw_bad = list(bad_raw_records())
    scored_bad = list(bad_scored_records())

    def interleave(chunk: int) -> None:
        """After each ingest run, bad records straight onto the raw and scored topics."""
        for kind, value in raw_bad:
            producer.send(c.topics.raw, key=f"{kind}:{chunk}".encode(), value=value)
        for kind, value in scored_bad:
            producer.send(c.topics.scored, key=f"{kind}:{chunk}".encode(), value=value)
        producer.flush()

    try:
        feeder = _start_feed(c, feed, between=interleave)
        _finish(c, feed, feeder)
    finally:
        producer.close()

    chunks = feeder.chunks_done
    dlq = c.dlq_records()
    by_stage = Counter(d.stage for d in dlq)
    expected_stages = {
        "ingest": len(feed.bad),
        "scorer": len(raw_bad) * chunks,
        "alerts": len(scored_bad) * chunks,
        "api.projector": len(scored_bad) * chunks,
    }
    assert dict(by_stage) == expected_stages
    ingest_dlq = {dlq_payload(d): d for d in dlq if d.stage == "ingest"}
    for bad in feed.bad:
        record = ingest_dlq.get(bad.raw)
        assert record is not None, f"{bad.kind}: no DLQ record kept its bytes"
        assert bad.reason in record.error, f"{bad.kind}: reason {record.error!r}"
    stage_payloads = {
        stage: Counter(dlq_payload(d) for d in dlq if d.stage == stage)
        for stage in ("scorer", "alerts", "api.projector")
    }
    assert stage_payloads["scorer"] == Counter({v: chunks for _, v in raw_bad})
    for stage in ("alerts", "api.projector"):
        assert stage_payloads[stage] == Counter({v: chunks for _, v in scored_bad})
    assert all(d.error for d in dlq), [d for d in dlq if not d.error]
