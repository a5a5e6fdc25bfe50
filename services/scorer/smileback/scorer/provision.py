"""Prepare Kafka before a Faust worker starts: the scorer's own topics and its group's offsets.

Faust declares internal topics itself, but only just before it subscribes: a topic created
that late can be missing from the metadata the group's assignment is computed from, and
then its partitions go to nobody ("Ignoring missing topic"). Creating them up front and
waiting for their leaders removes that race, so the app runs with topic declaration off.
Changelogs are compacted, as Faust would make them; every topic gets the raw topic's
partition count so tables stay co-partitioned with the streams that write them.

Offsets: after every rebalance Faust seeks each partition back to its committed offset,
which also undoes records it fetched and discarded while the rebalance was under way. A
partition that has never had an offset committed is not sought back, so such records are
skipped until the next restart (faust-streaming 0.15.3; seen when a worker is killed
before its first commit). `seed_offsets` commits the start of every partition that has no
committed offset yet, while the group is still empty, so there is always a point to go
back to. aiokafka does not seek to a committed offset of 0 either; the scorer's consumer
seeks those itself (commits.py).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import faust
import structlog
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

from smileback.common.errors import BusError, ConfigError
from smileback.common.kafka_security import (
    KafkaSecuritySettings,
    cannot_connect,
    kafka_client_options,
)

__all__ = [
    "COMPACTED",
    "TopicSpec",
    "by_brand_topic",
    "ensure_topics",
    "own_topics",
    "seed_offsets",
]

log = structlog.get_logger(__name__)

COMPACTED: Mapping[str, str] = {"cleanup.policy": "compact"}
TopicSpec = tuple[int, Mapping[str, str]]  # (partitions, topic config)


def by_brand_topic(app_id: str) -> str:
    """The scorer's own topic of thread-stepped mentions keyed by brand."""
    return f"{app_id}-mentions-by-brand"


def ensure_topics(
    *,
    bootstrap: str,
    topics: Mapping[str, TopicSpec],
    replicas: int,
    timeout_s: float = 30.0,
    security: KafkaSecuritySettings | None = None,
) -> None:
    """Create the missing `topics`, check the partition counts, wait until all have leaders."""
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            client_id="smileback-scorer-setup",
            **kafka_client_options(security),
        )
    except KafkaError as exc:
        raise cannot_connect(bootstrap, security, exc) from exc
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(
                name=name,
                num_partitions=partitions,
                replication_factor=replicas,
                topic_configs=dict(config),
            )
            for name, (partitions, config) in topics.items()
            if name not in existing
        ]
        for topic in missing:
            try:
                admin.create_topics([topic])
                log.info("topic created", topic=topic.name, partitions=topic.num_partitions)
            except TopicAlreadyExistsError:
                pass  # another worker created it first
        deadline = time.monotonic() + timeout_s
        while not _ready(admin, topics):
            if time.monotonic() > deadline:
                raise BusError(f"topics without leaders after {timeout_s:.0f} s: {sorted(topics)}")
            time.sleep(0.2)
    except KafkaError as exc:
        raise BusError(f"cannot create the scorer's topics: {exc}") from exc
    finally:
        admin.close()


def _ready(admin: KafkaAdminClient, topics: Mapping[str, TopicSpec]) -> bool:
    """True when every topic has all its partitions led; a wrong partition count is fatal."""
    for topic in admin.describe_topics(list(topics)):
        name = topic["name"]
        parts = topic["partitions"]
        if topic["error_code"] != 0 or not parts:
            return False
        wanted = topics[name][0]
        if len(parts) != wanted:
            raise ConfigError(
                f"topic {name} has {len(parts)} partitions, the scorer needs {wanted}"
            )
        if any(p["error_code"] != 0 or p["leader_id"] < 0 for p in parts):
            return False
    return True


def own_topics(app: faust.App) -> dict[str, TopicSpec]:
    """The scorer's own topics: by-brand, and a compacted changelog per table."""
    partitions = app.conf.topic_partitions
    own: dict[str, TopicSpec] = {by_brand_topic(app.conf.id): (partitions, {})}
    for table in app.tables.values():
        own[table.changelog_topic.get_topic_name()] = (partitions, COMPACTED)
    return own


def seed_offsets(
    *,
    bootstrap: str,
    group: str,
    topics: Mapping[str, int],
    security: KafkaSecuritySettings | None = None,
) -> int:
    """Commit the start of each partition that `group` has no offset for; how many it did."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        **kafka_client_options(security),
    )
    try:
        parts = [TopicPartition(topic, p) for topic, count in topics.items() for p in range(count)]
        missing = [tp for tp in parts if consumer.committed(tp) is None]
        if not missing:
            return 0
        starts = consumer.beginning_offsets(missing)
        consumer.commit({tp: OffsetAndMetadata(starts[tp], "", -1) for tp in missing})
    except KafkaError as exc:
        # A running group refuses commits from outside it; its first worker seeded it already.
        log.info("offsets not seeded", group=group, reason=str(exc))
        return 0
    finally:
        consumer.close()
    log.info("offsets seeded", group=group, partitions=len(missing))
    return len(missing)
