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
}

# Suffixes of the topics that keep only the latest record per key (cleanup.policy=compact):
# state read back from the start, not a stream of events.
COMPACTED: frozenset[str] = frozenset({"ingest.positions"})


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

    def all(self) -> dict[str, int]:
        """Every topic with its partition count."""
        return {f"{self.prefix}{suffix}": n for suffix, n in PARTITIONS.items()}
