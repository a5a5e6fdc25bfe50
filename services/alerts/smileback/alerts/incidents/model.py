"""An incident's state as data: JSON round-trips, so it persists across restarts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, PrivateAttr, model_validator

from smileback.alerts.escalation import EscalationState
from smileback.common.events import Severity
from smileback.common.incident_status import IncidentStatus
from smileback.common.packet import ContextPacket, PostRef

__all__ = ["RECENT_IDS", "Incident"]

# Mention ids an incident remembers to drop a redelivered mention. A redelivery replays at
# most the uncommitted batch (alerts commits after every batch of at most 500), so the
# newest 1,000 are enough; keeping every id made each save of a hot thread grow with it.
RECENT_IDS = 1_000


class Incident(BaseModel):
    """One incident: per (brand, thread root), or per (brand, window) for a surge."""

    model_config = ConfigDict(extra="forbid")

    incident_id: str
    brand: str
    thread_root_id: str
    rule: str
    severity: Severity
    status: IncidentStatus = IncidentStatus.OPEN
    opened_at: AwareDatetime
    last_activity_at: AwareDatetime
    summary: str
    summary_mention_id: str
    peak_velocity: float = 0.0
    mention_count: int = 0  # distinct mentions counted
    recent_ids: list[str] = []  # the newest RECENT_IDS of them, oldest first
    redacted: set[str] = set()
    root: PostRef | None = None
    latest: list[PostRef] = []  # the newest replies, newest last
    packet: ContextPacket | None = None  # what its pages carry; set when it opens
    escalation: EscalationState | None = None
    owner: str | None = None  # who claimed it (acknowledged) or was assigned it
    page_count: int = 0
    # When the mention behind the latest page was ingested: page latency is measured from it.
    paged_ingested_at: AwareDatetime | None = None
    # When it first paged: the time to acknowledge is measured from it.
    paged_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    # Times a flare-up reopened it (each one a new generation with its own dedup key), and
    # the reopenings of the last hour, which the flapping guard counts.
    reopenings: int = 0
    reopened_at: list[AwareDatetime] = []
    # The flapping guard held back a reopening's page: it stays open until a human resolves it.
    kept_open: bool = False
    # Coalesced `updated` events: when the last one went out, and the newest mention not yet
    # announced by one (IncidentBook.due_updates announces it).
    update_sent_at: AwareDatetime | None = None
    update_pending: str | None = None
    # `recent_ids` as a set: a mention's membership test runs for every mention of the thread.
    _recent: set[str] = PrivateAttr(default_factory=set)

    @model_validator(mode="before")
    @classmethod
    def _from_every_id(cls, data: Any) -> Any:
        """State saved before `recent_ids`: a set of every mention id."""
        if isinstance(data, dict) and "mention_ids" in data:
            data = dict(data)
            ids = list(data.pop("mention_ids"))
            data.setdefault("mention_count", len(ids))
            data.setdefault("recent_ids", ids[-RECENT_IDS:])
        return data

    def model_post_init(self, context: Any, /) -> None:
        """Index the recent ids read or given."""
        self._recent = set(self.recent_ids)

    def count(self, mention_id: str) -> bool:
        """Count `mention_id` once: False when it is among the recent ones already."""
        if mention_id in self._recent:
            return False
        self.mention_count += 1
        self.recent_ids.append(mention_id)
        self._recent.add(mention_id)
        if len(self.recent_ids) > RECENT_IDS:
            self._recent.discard(self.recent_ids.pop(0))
        return True

    def counted_recently(self, mention_id: str) -> bool:
        """Whether `mention_id` is among the recent ids."""
        return mention_id in self._recent

    @property
    def is_open(self) -> bool:
        """Not resolved yet."""
        return self.status is not IncidentStatus.RESOLVED

    def touch(self, now: datetime) -> None:
        """Note activity at `now` (never moves back)."""
        self.last_activity_at = max(self.last_activity_at, now)
