"""Incident grouping: one incident per (brand, thread root), paged once unless severity rises.

Pure and in memory: the book holds the open incidents of the partitions this worker
reads (Kafka keys by thread root, so a thread never spans workers). Event ids are
deterministic, so a replayed mention yields the same ids and consumers dedupe.
Resolution after a thread cools, acknowledgement and escalation come in later issues.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from smileback.alerts.policy import Action, Decision
from smileback.common.events import (
    IncidentEvent,
    IncidentEventType,
    ScoredMention,
    Severity,
    incident_id_for,
)

__all__ = ["MAX_SUMMARY_CHARS", "IncidentBook", "IncidentState", "incident_context", "summarize"]

MAX_SUMMARY_CHARS = 1024  # PagerDuty's limit for a summary
_EXCERPT_CHARS = 280
_FIELD_CHARS = 64

_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


@dataclass(frozen=True)
class IncidentState:
    """A read-only view of one open incident."""

    incident_id: str
    brand: str
    thread_root_id: str
    rule: str
    severity: Severity
    mention_count: int
    peak_velocity: float
    summary: str
    redacted_mention_ids: frozenset[str]


@dataclass
class _Incident:
    incident_id: str
    brand: str
    thread_root_id: str
    rule: str
    severity: Severity
    summary: str
    summary_mention_id: str
    peak_velocity: float
    mention_ids: set[str] = field(default_factory=set)
    redacted: set[str] = field(default_factory=set)


class IncidentBook:
    """Open incidents keyed by incident id; `apply` turns a decided mention into events."""

    def __init__(self) -> None:
        self._open: dict[str, _Incident] = {}

    def __len__(self) -> int:
        return len(self._open)

    def get(self, incident_id: str) -> IncidentState | None:
        """The open incident with this id, if any."""
        inc = self._open.get(incident_id)
        if inc is None:
            return None
        return IncidentState(
            incident_id=inc.incident_id,
            brand=inc.brand,
            thread_root_id=inc.thread_root_id,
            rule=inc.rule,
            severity=inc.severity,
            mention_count=len(inc.mention_ids),
            peak_velocity=inc.peak_velocity,
            summary=inc.summary,
            redacted_mention_ids=frozenset(inc.redacted),
        )

    def apply(
        self, *, mention: ScoredMention, decision: Decision, now: datetime
    ) -> list[IncidentEvent]:
        """Open, update, re-page or redact the incident of the mention's thread."""
        if mention.brand is None:
            return []
        incident_id = incident_id_for(brand=mention.brand, thread_root_id=mention.root_id)
        inc = self._open.get(incident_id)
        if mention.deleted:
            return self._redact(inc, mention=mention, now=now) if inc else []
        if inc is None:
            if decision.action is not Action.PAGE or decision.severity is None:
                return []
            inc = _Incident(
                incident_id=incident_id,
                brand=mention.brand,
                thread_root_id=mention.root_id,
                rule=decision.rule,
                severity=decision.severity,
                summary=summarize(mention=mention, severity=decision.severity),
                summary_mention_id=mention.id,
                peak_velocity=mention.scores.thread_velocity,
                mention_ids={mention.id},
            )
            self._open[incident_id] = inc
            return [
                _event(inc, IncidentEventType.OPENED, mention=mention, now=now),
                _event(inc, IncidentEventType.PAGED, mention=mention, now=now),
            ]
        if mention.id in inc.mention_ids:
            return []  # a redelivered mention: already counted, already paged
        inc.mention_ids.add(mention.id)
        inc.peak_velocity = max(inc.peak_velocity, mention.scores.thread_velocity)
        higher = _higher_severity(decision, than=inc.severity)
        if higher is None:
            return [_event(inc, IncidentEventType.UPDATED, mention=mention, now=now)]
        inc.severity = higher
        inc.rule = decision.rule
        inc.summary = summarize(mention=mention, severity=higher)
        inc.summary_mention_id = mention.id
        return [
            _event(inc, IncidentEventType.UPDATED, mention=mention, now=now),
            _event(inc, IncidentEventType.PAGED, mention=mention, now=now),
        ]

    def _redact(
        self, inc: _Incident, *, mention: ScoredMention, now: datetime
    ) -> list[IncidentEvent]:
        if mention.id not in inc.mention_ids or mention.id in inc.redacted:
            return []
        inc.redacted.add(mention.id)
        if inc.summary_mention_id == mention.id:
            inc.summary = _clip(
                f"[{inc.severity}] {_clip(inc.brand, _FIELD_CHARS)}: source post deleted "
                f"and redacted; {len(inc.mention_ids)} mention(s) in the thread",
                MAX_SUMMARY_CHARS,
            )
        return [
            IncidentEvent(
                # Not ":updated:" - that id already names the update this mention caused.
                event_id=f"{inc.incident_id}:redacted:{mention.id}",
                type=IncidentEventType.UPDATED,
                incident_id=inc.incident_id,
                brand=inc.brand,
                thread_root_id=inc.thread_root_id,
                rule=inc.rule,
                severity=inc.severity,
                at=now,
                mention_id=mention.id,
                mention_count=len(inc.mention_ids),
                peak_velocity=inc.peak_velocity,
                summary=inc.summary,
                context={"redacted": True, "redacted_mention_id": mention.id},
            )
        ]


def _higher_severity(decision: Decision, *, than: Severity) -> Severity | None:
    """The decision's severity when it pages above `than`; None otherwise."""
    severity = decision.severity
    if decision.action is Action.PAGE and severity is not None and _RANK[severity] > _RANK[than]:
        return severity
    return None


def _event(
    inc: _Incident, kind: IncidentEventType, *, mention: ScoredMention, now: datetime
) -> IncidentEvent:
    return IncidentEvent(
        event_id=f"{inc.incident_id}:{kind}:{mention.id}",
        type=kind,
        incident_id=inc.incident_id,
        brand=inc.brand,
        thread_root_id=inc.thread_root_id,
        rule=inc.rule,
        severity=inc.severity,
        at=now,
        mention_id=mention.id,
        mention_count=len(inc.mention_ids),
        peak_velocity=inc.peak_velocity,
        summary=inc.summary,
        context=incident_context(mention=mention),
    )


def incident_context(*, mention: ScoredMention) -> dict[str, Any]:
    """The small context packet a responder needs: who, what and why."""
    author, scores = mention.author, mention.scores
    return {
        "brand": mention.brand,
        "mention_id": mention.id,
        "author_handle": author.handle,
        "followers": author.followers,
        "verified": author.verified,
        "bot": author.bot,
        "text": mention.text,
        "url": mention.url,
        "negativity": scores.negativity,
        "explanation": list(scores.explanation),
        "reach_tier": str(scores.reach_tier),
        "thread_velocity": scores.thread_velocity,
        "pile_on_risk": scores.pile_on_risk,
    }


def summarize(*, mention: ScoredMention, severity: Severity) -> str:
    """One line of at most 1,024 chars: who, what and why."""
    author, scores = mention.author, mention.scores
    handle = _clip(author.handle.lstrip("@"), _FIELD_CHARS)
    flags = "".join([", verified" if author.verified else "", ", bot" if author.bot else ""])
    who = f"@{handle}" if handle else "unknown author"
    excerpt = _clip(" ".join(mention.text.split()), _EXCERPT_CHARS)
    line = (
        f"[{severity}] {_clip(mention.brand or '', _FIELD_CHARS)}: "
        f'{who} ({author.followers:,} followers{flags}): "{excerpt}" '
        f"- negativity {scores.negativity:.2f}, reach {scores.reach_tier}"
    )
    return _clip(line, MAX_SUMMARY_CHARS)


def _clip(text: str, limit: int) -> str:
    """Cut to `limit` chars, marking the cut with an ellipsis."""
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"
