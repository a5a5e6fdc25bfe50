"""What the demo tells as the pipeline works: its milestones, read from what the stages publish.

Pure: `Story.tell` takes the events one step of the replay produced and returns the lines
to say. A milestone is what the pipeline did (an incident opened, a page went out, a thread
piled on, a mention queued, a line dead-lettered), never a fact copied from the scenario, so
the story stays true to what the services do with it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from smileback.alerts.policy import RULE_BRAND_SURGE, RULE_LARGE_AUDIENCE_COMPLAINT, RULE_PILE_ON
from smileback.common.events import (
    DlqRecord,
    IncidentEvent,
    IncidentEventType,
    QueueItem,
    QueueName,
    ScoredMention,
)

__all__ = ["PILE_ON_STEPS", "SMILE_BACK_STEP", "Story", "count"]

# The pile-on is told at its first reply and again as it grows past each of these.
PILE_ON_STEPS = (1, 10, 20, 30)
# Every this-many kind mentions, the smile-back queue's size is told again.
SMILE_BACK_STEP = 20
_QUOTE_CHARS = 90

_HEADLINES = {
    RULE_LARGE_AUDIENCE_COMPLAINT: "the big complaint",
    RULE_PILE_ON: "a pile-on",
    RULE_BRAND_SURGE: "a surge of complaints",
}


def count(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun, singular for one: "1 incident", "2 incidents", "0 pages"."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


@dataclass
class Story:
    """The milestones told so far, so each is told once, in the order it happened."""

    _mentions: dict[str, ScoredMention] = field(default_factory=dict)
    _incident_roots: dict[str, str] = field(default_factory=dict)  # thread root -> incident
    _piled: Counter[str] = field(default_factory=Counter)  # thread root -> negative replies
    _queued: Counter[QueueName] = field(default_factory=Counter)
    _dead: list[DlqRecord] = field(default_factory=list)
    _clock: datetime | None = None  # the scenario's time: its latest mention

    def tell(
        self,
        *,
        scored: Sequence[ScoredMention] = (),
        incidents: Sequence[IncidentEvent] = (),
        queued: Sequence[QueueItem] = (),
        dead: Sequence[DlqRecord] = (),
    ) -> list[str]:
        """The lines one step's events make; a step's mentions come before what they caused."""
        lines: list[str] = []
        for record in dead:
            self._dead.append(record)
            lines.append(
                self._stamp(f"a bad line went to the DLQ: {record.stage} says {record.error!r}")
            )
        for mention in scored:
            lines += self._scored(mention)
        for event in incidents:
            lines += self._incident(event)
        for item in queued:
            lines += self._queue(item)
        return lines

    def explain_dlq(self) -> list[str]:
        """What the DLQ holds and why, for the end of the run."""
        if not self._dead:
            return ["dlq: 0, every line could be read"]
        reasons = "; ".join(f"{r.stage}: {r.error}" for r in self._dead)
        return [
            f"dlq: {len(self._dead)} = the scenario's deliberately bad "
            f"{'line' if len(self._dead) == 1 else 'lines'} ({reasons}).",
            "  Each went to the smileback.dlq topic with its stage, reason and raw bytes, to "
            "fix and replay; the stream went on without it.",
        ]

    def _scored(self, mention: ScoredMention) -> list[str]:
        self._mentions[mention.id] = mention
        if mention.created_at is not None:
            self._clock = max(self._clock or mention.created_at, mention.created_at)
        root = mention.root_id
        if not (mention.is_reply and mention.scores.is_negative and root in self._incident_roots):
            return []
        self._piled[root] += 1
        n = self._piled[root]
        if n not in PILE_ON_STEPS:
            return []
        incident = self._incident_roots[root]
        head = self._mentions.get(root)
        whose = f"{head.author.handle}'s thread" if head is not None else "the thread"
        if n == 1:
            return [
                self._stamp(
                    f"the pile-on is forming: {mention.author.handle} joins {whose}: "
                    f"{_quote(mention.text)}"
                )
            ]
        since = ""
        if head is not None and head.created_at and mention.created_at:
            minutes = max(1, round((mention.created_at - head.created_at).total_seconds() / 60))
            since = f" within {count(minutes, 'minute')}"
        return [
            self._stamp(
                f"the pile-on grows: {count(n, 'negative reply', 'negative replies')} and "
                f"quotes in {whose}{since} (velocity {mention.scores.thread_velocity:.1f}/min, "
                f"pile-on risk {mention.scores.pile_on_risk:.2f}); they update incident "
                f"{incident}, no new page"
            )
        ]

    def _incident(self, event: IncidentEvent) -> list[str]:
        if event.type is IncidentEventType.OPENED:
            self._incident_roots[event.thread_root_id] = event.incident_id
            head = self._mentions.get(event.mention_id)
            if head is None:
                return [self._stamp(f"incident {event.incident_id} opened: {event.summary}")]
            author = head.author
            who = [count(author.followers, "follower"), *(["verified"] if author.verified else [])]
            return [
                self._stamp(
                    f"{_HEADLINES.get(event.rule, event.rule.replace('_', ' '))}: "
                    f"{author.handle} ({', '.join(who)}) on {head.platform}: {_quote(head.text)} "
                    f"(negativity {head.scores.negativity:.2f}, reach {head.scores.reach_tier})"
                )
            ]
        if event.type is IncidentEventType.PAGED:
            return [
                self._stamp(
                    f"PAGE: incident {event.incident_id} ({event.severity}) pages the one "
                    "responder on call; this thread will not page again unless it gets worse"
                )
            ]
        if event.type is IncidentEventType.ESCALATED:
            return [
                self._stamp(
                    f"incident {event.incident_id} is still unacknowledged: escalated to "
                    f"level {event.level}"
                )
            ]
        if event.type in (IncidentEventType.ACKNOWLEDGED, IncidentEventType.RESOLVED):
            by = f" by {event.responder}" if event.responder else ""
            return [self._stamp(f"incident {event.incident_id} {event.type}{by}")]
        return []

    def _queue(self, item: QueueItem) -> list[str]:
        self._queued[item.queue] += 1
        n = self._queued[item.queue]
        mention = self._mentions.get(item.mention_id)
        said = f"{mention.author.handle}: {_quote(mention.text)}" if mention is not None else ""
        if item.queue is QueueName.SMILE_BACK:
            if n == 1:
                return [
                    self._stamp(
                        f"smile back: {said} ({item.reason}) goes to the smile-back queue, "
                        "for a person to answer in their own words; no page, no bot"
                    )
                ]
            if n % SMILE_BACK_STEP == 0:
                return [
                    self._stamp(f"smile back: {count(n, 'kind mention')} waiting to be answered")
                ]
        elif n == 1:
            return [
                self._stamp(
                    f"triage: {said} ({item.reason}) is negative but small: the triage queue, "
                    "no page"
                )
            ]
        return []

    def _stamp(self, line: str) -> str:
        return f"{self._clock:%H:%M} {line}" if self._clock is not None else line


def _quote(text: str) -> str:
    short = " ".join(text.split())
    if len(short) > _QUOTE_CHARS:
        short = short[: _QUOTE_CHARS - 1].rstrip() + "…"
    return f'"{short}"'
