"""The four services as separate processes on the real broker and PostgreSQL: 1,000 mentions in,
each stored scored exactly once, one page for the one large-audience complaint."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from kafka import KafkaConsumer

from smileback.cli.demo.scenario import generate, scenario_facts
from smileback.common.events import DlqRecord, ScoredMention, decode, incident_id_for
from smileback.common.topics import Topics
from tests.support.infra import ensure_topics, free_ports, fresh_database
from tests.support.pipeline_env import AUTH, page_receiver, service_env
from tests.support.processes import ServiceProcess
from tests.support.receivers import Receiver


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    with page_receiver() as receiver:
        yield receiver


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    with fresh_database(postgres_url, prefix="e2e") as url:
        yield url


def _all_mentions(api: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 500}
        if cursor:
            params["cursor"] = cursor
        response = httpx.get(f"{api}/v1/mentions", params=params, headers=AUTH)
        response.raise_for_status()
        body = response.json()
        items.extend(body["items"])
        cursor = body.get("next_cursor")
        if not cursor:
            return items


def _read_topic(bootstrap: str, topic: str, *, expect: int, timeout_s: float) -> list[bytes]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=3000,
    )
    values: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=1000).values():
                values.extend(r.value for r in batch)
            if len(values) >= expect:
                time.sleep(2)  # a duplicate would show up right behind
                for batch in consumer.poll(timeout_ms=1000).values():
                    values.extend(r.value for r in batch)
                break
    finally:
        consumer.close()
    return values


def test_thousand_mentions_stored_once_and_one_page(kafka_bootstrap, database, webhook, tmp_path):
    receiver = webhook
    lines = generate(start=datetime(2026, 11, 1, 9, 0, tzinfo=UTC), seed=11, total=1000)
    facts = scenario_facts(lines)
    assert facts.valid_mentions == 1000
    scenario = tmp_path / "mentions.jsonl"
    scenario.write_bytes(b"\n".join(lines) + b"\n")

    prefix = f"e2e{uuid.uuid4().hex[:8]}."
    topics = Topics(prefix=prefix)
    ensure_topics(bootstrap=kafka_bootstrap, prefix=prefix)
    api_port, *metrics_ports = free_ports(count=4)
    env = service_env(
        bootstrap=kafka_bootstrap,
        database=database,
        api_port=api_port,
        webhook_url=receiver.url,
        brands={"acme": ["acme coffee", "@acmecoffee", "#acmecoffee"]},
        prefix=prefix,
    )
    services = [
        ServiceProcess(
            args=[name],
            env={**env, "SMILEBACK_METRICS_PORT": str(port)},
            log_path=tmp_path / f"{name}.log",
        )
        for name, port in zip(["scorer", "alerts", "api"], metrics_ports, strict=True)
    ]
    api = f"http://127.0.0.1:{api_port}"
    try:
        for service in services:
            service.__enter__()
        ingest = ServiceProcess(
            args=["ingest", "replay", "--input", str(scenario)],
            env=env,
            log_path=tmp_path / "ingest.log",
        )
        with ingest:
            assert ingest.proc is not None
            assert ingest.proc.wait(120) == 0, ingest.tail()

        deadline = time.monotonic() + 240
        stored: list[dict[str, object]] = []
        while time.monotonic() < deadline:
            assert all(s.alive() for s in services), "\n".join(s.tail() for s in services)
            try:
                stored = _all_mentions(api)
            except httpx.HTTPError:
                stored = []
            if len(stored) >= facts.unique_ids and receiver.pages():
                break
            time.sleep(2)
        time.sleep(3)  # let any duplicate page arrive before counting
        stored = _all_mentions(api)

        ids = [m["id"] for m in stored]
        assert len(ids) == len(set(ids)) == facts.unique_ids, "\n".join(s.tail() for s in services)
        assert all(m["negativity"] is not None for m in stored)
        scored = [
            decode(ScoredMention, v)
            for v in _read_topic(
                kafka_bootstrap, topics.scored, expect=facts.published, timeout_s=30
            )
        ]
        # Each mention scored exactly once; a deletion passes through as a second record.
        assert Counter(m.id for m in scored) == Counter(ids) + Counter(facts.deleted_ids)

        expected = incident_id_for(brand="acme", thread_root_id=facts.complaint_root_id)
        assert receiver.rejected() == []
        assert [p["dedup_key"] for p in receiver.pages()] == [expected]

        dlq = [
            decode(DlqRecord, v)
            for v in _read_topic(kafka_bootstrap, topics.dlq, expect=facts.bad_lines, timeout_s=15)
        ]
        assert len(dlq) == facts.bad_lines
        assert {d.stage for d in dlq} == {"ingest"}
    finally:
        for service in services:
            service.stop()
