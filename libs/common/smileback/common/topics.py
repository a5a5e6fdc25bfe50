"""Topic names and partition counts."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COMPACTED", "PARTITIONS", "Topics"]

# Suffix -> partitions. Keyed by thread root, so partitions bound scorer parallelism.
PARTITIONS: dict[str, int] = {
    "mentions.raw": 4,
    "mentions.scored": 4,
    "incidents": 4,
    "queues": 4,
    "dlq": 1,
    "ingest.positions": 1,
    # Keyed by rule id and compacted: a reader from the start sees every live rule's latest
    # state. One partition, so a reader knows it is caught up from a single end offset.
    "brand.rules": 1,
}

# Suffixes of the topics created with cleanup.policy=compact: state read back from the start
# (resume positions, live brand rules), not a stream of events. The policy cannot be added
# later without an admin call, so every place that creates topics reads it from here.
COMPACTED: frozenset[str] = frozenset({"ingest.positions", "brand.rules"})


@dataclass(frozen=True)
class Topics:
    """The full topic names under one prefix."""

    prefix: str = "smileback."

    @property
    def raw(self) -> str:
        return f"{self.prefix}mentions.raw"

    @property
    def scored(self) -> str:
        return f"{self.prefix}mentions.scored"

    @property
    def incidents(self) -> str:
        return f"{self.prefix}incidents"

    @property
    def queues(self) -> str:
        return f"{self.prefix}queues"

    @property
    def dlq(self) -> str:
        return f"{self.prefix}dlq"

    @property
    def positions(self) -> str:
        """Where each streaming source's resume position lives, keyed by the source."""
        return f"{self.prefix}ingest.positions"

    @property
    def brand_rules(self) -> str:
        return f"{self.prefix}brand.rules"

    def all(self) -> dict[str, int]:
        """Every topic with its partition count."""
        return {f"{self.prefix}{suffix}": n for suffix, n in PARTITIONS.items()}

    def configs(self, name: str) -> dict[str, str]:
        """The topic-level configuration a topic is created with."""
        suffix = name.removeprefix(self.prefix)
        return {"cleanup.policy": "compact"} if suffix in COMPACTED else {}
