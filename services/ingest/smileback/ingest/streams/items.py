"""What a streaming client yields: one event's outcome with the bytes it came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["StreamItem"]

OutcomeT = TypeVar("OutcomeT")


@dataclass(frozen=True)
class StreamItem(Generic[OutcomeT]):
    """An outcome, and `raw`: the event's bytes, for the dead-letter record of a Rejected."""

    outcome: OutcomeT
    raw: bytes
