"""The local infrastructure works: topics, keyed produce/consume in order, PostgreSQL."""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from typing import Any

import pytest
import sqlalchemy
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.structs import TopicPartition

from tests.support import infra

pytestmark = pytest.mark.integration

RAW_TOPIC = infra.TOPIC_PREFIX + "mentions.raw"


def test_all_topics_exist_with_their_partition_counts(kafka_bootstrap: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="smileback-tests-admin")
    try:
        expected = infra.topic_names()
        described = admin.describe_topics(list(expected))
    finally:
        admin.close()
    # kafka-python 3 names the field "name"; 2.x called it "topic".
    actual = {
        topic.get("name") or topic["topic"]: len(topic["partitions"])
        for topic in described
        if topic["error_code"] == 0
    }
    assert actual == expected


def test_keyed_messages_come_back_in_order_per_key(kafka_bootstrap: str) -> None:
    run = uuid.uuid4().hex
    keys = [f"thread-{run}-{i}" for i in range(3)]
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", linger_ms=5)
    sent: dict[str, list[int]] = defaultdict(list)
    placed: dict[str, set[int]] = defaultdict(set)
    last_offset: dict[int, int] = {}
    try:
        futures = []
        for seq in range(10):
            key = keys[seq % len(keys)]
            value = json.dumps({"run": run, "seq": seq}).encode()
            futures.append((key, producer.send(RAW_TOPIC, key=key.encode(), value=value)))
            sent[key].append(seq)
        producer.flush(timeout=30)
        for key, future in futures:
            meta = future.get(timeout=30)
            placed[key].add(meta.partition)
            last_offset[meta.partition] = max(meta.offset, last_offset.get(meta.partition, -1))
    finally:
        producer.close(timeout=10)
    # Keying by thread root keeps a thread in one partition.
    assert all(len(partitions) == 1 for partitions in placed.values()), placed

    group = f"smileback-tests-{run}"
    consumer = KafkaConsumer(
        RAW_TOPIC,
        bootstrap_servers=kafka_bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    received: dict[str, list[int]] = defaultdict(list)
    try:
        deadline = time.monotonic() + 60
        while sum(map(len, received.values())) < 10 and time.monotonic() < deadline:
            batches: dict[TopicPartition, list[Any]] = consumer.poll(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    value = json.loads(record.value)
                    # On a reused broker the topic holds older runs: count only this run's records.
                    if isinstance(value, dict) and value.get("run") == run:
                        received[record.key.decode()].append(value["seq"])
        consumer.commit()
        committed = {tp: consumer.committed(tp) for tp in consumer.assignment()}
    finally:
        consumer.close()

    assert dict(received) == dict(sent)
    # The group's offsets were stored past our records: the offsets topic works on a single node.
    for partition, offset in last_offset.items():
        assert (committed[TopicPartition(RAW_TOPIC, partition)] or 0) > offset, partition


def test_postgres_select_one(postgres_url: str) -> None:
    engine = sqlalchemy.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("select 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_postgres_create_insert_select_round_trip(postgres_url: str) -> None:
    table = f"infra_check_{uuid.uuid4().hex[:12]}"
    rows = [
        {"id": f"mastodon:{i}", "text": f"mention {i} ✓", "negativity": i / 10} for i in range(3)
    ]
    engine = sqlalchemy.create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sqlalchemy.text(
                    f"create table {table}"
                    " (id text primary key, text text not null, negativity real)"
                )
            )
            conn.execute(
                sqlalchemy.text(f"insert into {table} values (:id, :text, :negativity)"), rows
            )
        with engine.connect() as conn:
            back = conn.execute(
                sqlalchemy.text(f"select id, text, negativity from {table} order by id")
            ).mappings()
            assert [dict(row) for row in back] == [
                {**row, "negativity": pytest.approx(row["negativity"])} for row in rows
            ]
    finally:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(f"drop table if exists {table}"))
        engine.dispose()


def test_a_broker_restarts_on_its_own_data() -> None:
    # A broker of its own: restarting the session's broker would disturb other tests.
    with infra.kafka_server() as (bootstrap, server):
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
        try:
            meta = producer.send(RAW_TOPIC, key=b"before", value=b"kept").get(timeout=30)
        finally:
            producer.close(timeout=10)
        server.stop()
        out = server.start()
        assert "reusing the data" in out
        consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        try:
            tp = TopicPartition(RAW_TOPIC, meta.partition)
            consumer.assign([tp])
            consumer.seek(tp, meta.offset)
            got = consumer.poll(timeout_ms=30_000, max_records=1).get(tp, [])
        finally:
            consumer.close()
        assert [(r.key, r.value) for r in got] == [(b"before", b"kept")]
