"""Kafka clients over SASL_SSL on a real broker that authorises with the Strimzi users' ACLs:
the right credentials produce and consume, a wrong password or an unknown CA is a clear
BusError, only alerts and the API may write `incidents`, and the Faust scorer runs as its
own principal."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from smileback.common.errors import BusError
from smileback.common.events import ScoredMention, decode, encode
from smileback.common.kafka_bus import KafkaBus
from smileback.common.probes import KafkaProbe
from smileback.common.topics import Topics
from tests.support.builders import mention
from tests.support.kafka_tls import SecureKafka, make_ca, secure_kafka
from tests.support.scorer_cluster import Cluster

TOPICS = Topics()  # the Strimzi users' ACLs name the default prefix's topics


@pytest.fixture(scope="module")
def kafka() -> Iterator[SecureKafka]:
    with secure_kafka() as running:
        yield running


def _bus(
    kafka: SecureKafka, user: str, *, password: str | None = None, ca_file: Path | None = None
) -> KafkaBus:
    return KafkaBus(
        kafka.bootstrap,
        client_id=user,
        bootstrap_timeout_s=10,
        max_block_s=10,
        security=kafka.security(user, password=password, ca_file=ca_file),
    )


def _received(bus: KafkaBus, topic: str, *, group: str, value: bytes) -> bool:
    """Whether the consumer group `group` reads `value` from `topic` within 30 s."""
    consumer = bus.consumer([topic], group=group)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if any(r.value == value for r in consumer.poll(max_records=500, timeout_s=0.5)):
                consumer.commit()
                return True
        return False
    finally:
        consumer.close()


@pytest.mark.parametrize(
    ("user", "group"),
    [("smileback-alerts", "smileback-alerts"), ("smileback-api", "smileback-api-projector")],
)
def test_alerts_and_the_api_write_and_read_incidents_over_sasl_ssl(kafka, user, group):
    value = f"incident-{uuid.uuid4().hex}".encode()
    bus = _bus(kafka, user)
    try:
        bus.publish(TOPICS.incidents, key="inc_1", value=value)
        bus.flush(timeout_s=30)
        assert _received(bus, TOPICS.incidents, group=group, value=value)
    finally:
        bus.close()


def test_the_scorer_may_not_write_incidents(kafka):
    bus = _bus(kafka, "smileback-scorer")
    try:
        bus.publish(TOPICS.incidents, key="inc_1", value=b"acknowledged")
        with pytest.raises(BusError, match="TopicAuthorizationFailed"):
            bus.flush(timeout_s=30)
    finally:
        bus.close()


def test_a_wrong_password_is_a_clear_bus_error_that_does_not_show_it(kafka):
    wrong = f"wrong-{uuid.uuid4().hex}"
    with pytest.raises(BusError) as failed:
        _bus(kafka, "smileback-alerts", password=wrong)
    assert "refused the SASL login of 'smileback-alerts'" in str(failed.value)
    assert wrong not in str(failed.value)
    assert kafka.passwords["smileback-alerts"] not in str(failed.value)


def test_a_client_that_does_not_trust_the_brokers_ca_is_refused(kafka, tmp_path: Path):
    other_ca, _ = make_ca(tmp_path, name="other-ca")
    with pytest.raises(BusError) as failed:
        _bus(kafka, "smileback-alerts", ca_file=other_ca)
    assert "the broker's certificate is not trusted" in str(failed.value)


def test_the_readiness_probe_sees_only_what_the_principal_may_describe(kafka):
    needed = [TOPICS.scored, TOPICS.incidents]
    alerts = KafkaProbe(
        bootstrap=kafka.bootstrap,
        topics=needed,
        client_id="alerts-probe",
        timeout_s=10,
        security=kafka.security("smileback-alerts"),
    )
    ingest = KafkaProbe(
        bootstrap=kafka.bootstrap,
        topics=needed,
        client_id="ingest-probe",
        timeout_s=10,
        security=kafka.security("smileback-ingest"),
    )
    try:
        assert alerts() is None
        assert ingest() == f"missing topics {TOPICS.incidents}, {TOPICS.scored}"
    finally:
        alerts.close()
        ingest.close()


def test_the_faust_scorer_scores_over_sasl_ssl_as_its_own_principal(kafka, tmp_path: Path):
    cluster = Cluster(bootstrap=kafka.bootstrap, topics=TOPICS, tmp_path=tmp_path)
    env = kafka.environment("smileback-scorer") | {"SMILEBACK_SCORER_APP_ID": "smileback.scorer"}
    try:
        worker = cluster.start("scorer", env=env)
        cluster.wait_ready([worker], timeout_s=120)
        mid = f"tls:{uuid.uuid4().hex}"
        ingest = _bus(kafka, "smileback-ingest")
        try:
            ingest.publish(TOPICS.raw, key=mid, value=encode(mention(mid, "this is awful")))
            ingest.flush(timeout_s=30)
        finally:
            ingest.close()
        alerts = _bus(kafka, "smileback-alerts")
        try:
            assert _scored(alerts, mid), cluster.tails()
        finally:
            alerts.close()
    finally:
        cluster.stop()


def _scored(bus: KafkaBus, mention_id: str) -> bool:
    consumer = bus.consumer([TOPICS.scored], group="smileback-alerts")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for record in consumer.poll(max_records=500, timeout_s=0.5):
                if decode(ScoredMention, record.value).id == mention_id:
                    return True
        return False
    finally:
        consumer.close()
