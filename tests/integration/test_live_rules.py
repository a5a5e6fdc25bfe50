"""Brand rules made through the API reach a running `smileback ingest webhook` and a running
`smileback ingest mastodon` within 5 s, on the real broker and PostgreSQL: a rule created
starts forwarding the mentions it matches, a rule deleted stops, an ingest started later
begins from the compacted topic, and an api started on an empty topic fills it with the
stored rules."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

from smileback.common.topics import Topics
from tests.support import infra
from tests.support.api_fixtures import TOKEN
from tests.support.kafka import unique_topics
from tests.support.mastodon_server import HANG, MastodonServer, Script, sse, status
from tests.support.processes import ServiceProcess
from tests.support.stream_ingest import ingest, on_topic, serving, wait
from tests.support.webhook_ingest import post, running_webhook

AUTH = {"Authorization": f"Bearer {TOKEN}"}
MASTODON_TOKEN = "user-token"
BOUND_S = 5.0  # docs/api.md's bound between an API answer and every ingest matching


@pytest.fixture
def topics(kafka_bootstrap: str) -> Topics:
    return unique_topics(kafka_bootstrap, stem="it-live-")


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    with infra.fresh_database(postgres_url, prefix="live_rules") as url:
        yield url


@contextlib.contextmanager
def _api(*, bootstrap: str, database: str, topics: Topics, log: Path) -> Iterator[str]:
    """The base URL of `smileback api` on `database` and `topics`, once it is ready."""
    (port,) = infra.free_ports(count=1)
    env = {
        "SMILEBACK_KAFKA_BOOTSTRAP": bootstrap,
        "SMILEBACK_TOPIC_PREFIX": topics.prefix,
        "SMILEBACK_DATABASE_URL": database,
        "SMILEBACK_API_TOKEN": TOKEN,
        "SMILEBACK_API_PORT": str(port),
        "SMILEBACK_API_PROJECTOR_GROUP": f"{topics.prefix}projector",
    }
    with ServiceProcess(args=["api"], env=env, log_path=log) as service:
        base = f"http://127.0.0.1:{port}"
        _until(lambda: _ready(base), what="the api ready", timeout_s=90, service=service)
        yield base
        assert service.alive(), service.tail()


@pytest.fixture
def api(kafka_bootstrap: str, database: str, topics: Topics, tmp_path: Path) -> Iterator[str]:
    with _api(
        bootstrap=kafka_bootstrap, database=database, topics=topics, log=tmp_path / "api.log"
    ) as base:
        yield base


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _until(check, *, what: str, timeout_s: float, service: ServiceProcess | None = None) -> float:
    """Seconds until `check()` held; fails past `timeout_s`."""
    start = time.monotonic()
    while not check():
        assert service is None or service.alive(), service.tail()
        assert time.monotonic() - start < timeout_s, f"{what}: not within {timeout_s} s"
        time.sleep(0.1)
    return time.monotonic() - start


def _forwarded(webhook: str, text: str) -> bool:
    """Whether the webhook forwards (rather than leaves unmatched) a new mention of `text`."""
    mention_id = uuid.uuid4().hex
    answer = post(webhook, {"id": mention_id, "text": text})
    assert answer.status_code == 202, answer.text
    return bool(answer.json()["accepted"] == [mention_id])


def test_rules_from_the_api_reach_a_running_ingest_and_a_restarted_one(
    api: str, kafka_bootstrap: str, database: str, topics: Topics, tmp_path: Path
) -> None:
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="it-live-rules")
    try:
        described = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topics.brand_rules)]
        )
    finally:
        admin.close()
    assert described["topic"][topics.brand_rules]["cleanup.policy"]["value"] == "compact"
    created = httpx.post(f"{api}/v1/brands", json={"name": "zeta"}, headers=AUTH, timeout=10)
    assert created.status_code == 201, created.text
    log = tmp_path / "ingest1.log"
    with running_webhook(bootstrap=kafka_bootstrap, topics=topics, log=log) as webhook:
        url = webhook.url
        assert _forwarded(url, "acme is late")  # the configured brand
        assert not _forwarded(url, "zeta beans are late")

        rule = httpx.post(
            f"{api}/v1/brands/zeta/rules", json={"query": "zeta AND beans"}, headers=AUTH
        )
        assert rule.status_code == 201, rule.text
        _until(
            lambda: _forwarded(url, "zeta beans are late"), what="rule created", timeout_s=BOUND_S
        )
        assert not _forwarded(url, "zeta tea")
        assert _forwarded(url, "acme is late")  # live rules add to the configured ones

        second = httpx.post(f"{api}/v1/brands/zeta/rules", json={"query": "espresso"}, headers=AUTH)
        assert second.status_code == 201, second.text
        gone = httpx.delete(f"{api}/v1/brands/zeta/rules/{rule.json()['id']}", headers=AUTH)
        assert gone.status_code == 204
        _until(lambda: not _forwarded(url, "zeta beans"), what="rule deleted", timeout_s=BOUND_S)
        _until(lambda: _forwarded(url, "an espresso"), what="second rule", timeout_s=BOUND_S)

    # A new ingest reads the whole topic before it answers: the state is there at once.
    log = tmp_path / "ingest2.log"
    with running_webhook(bootstrap=kafka_bootstrap, topics=topics, log=log) as webhook:
        assert _forwarded(webhook.url, "an espresso")
        assert not _forwarded(webhook.url, "zeta beans")

    # An api started on empty topics publishes the stored rules: the deleted one stays gone.
    fresh = unique_topics(kafka_bootstrap, stem="it-live-")
    log = tmp_path / "api2.log"
    with (
        _api(bootstrap=kafka_bootstrap, database=database, topics=fresh, log=log),
        running_webhook(
            bootstrap=kafka_bootstrap, topics=fresh, log=tmp_path / "ingest3.log"
        ) as webhook,
    ):
        assert _forwarded(webhook.url, "an espresso")
        assert not _forwarded(webhook.url, "zeta beans")


def test_a_rule_from_the_api_reaches_a_running_mastodon_ingest(
    api: str, kafka_bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    created = httpx.post(f"{api}/v1/brands", json={"name": "zeta"}, headers=AUTH, timeout=10)
    assert created.status_code == 201, created.text
    # The stream: a zeta status, an acme one, then a zeta status every 0.1 s for a minute.
    statuses = [status(1, "zeta beans are late"), status(2, "acme is late")]
    statuses += [status(n, "zeta beans are late") for n in range(3, 600)]
    script: Script = [sse("update", statuses[0]), sse("update", statuses[1])]
    script += [step for s in statuses[2:] for step in (0.1, sse("update", s))] + [HANG]
    env = {"SMILEBACK_MASTODON_TOKEN": MASTODON_TOKEN}
    log = tmp_path / "mastodon.log"

    def brands() -> dict[str, str | None]:
        return {m.id.rsplit(":", 1)[1]: m.brand for _, m in on_topic(kafka_bootstrap, topics)}

    with (
        serving(MastodonServer(token=MASTODON_TOKEN, scripts=[script])) as server,
        ingest(
            args=["mastodon", "--instance", server.url, "--stream", "public"],
            bootstrap=kafka_bootstrap,
            topics=topics,
            env=env,
            log=log,
        ),
    ):
        # The acme status is on the topic, so the zeta one before it was handled: unmatched.
        wait(lambda: "2" in brands(), "the acme status")
        assert "1" not in brands()

        rule = httpx.post(f"{api}/v1/brands/zeta/rules", json={"query": "zeta"}, headers=AUTH)
        assert rule.status_code == 201, rule.text
        _until(lambda: "zeta" in brands().values(), what="rule reached", timeout_s=BOUND_S)
    seen = brands()
    assert "1" not in seen  # matched no brand when it came, and was not written
    assert seen["2"] == "acme"
