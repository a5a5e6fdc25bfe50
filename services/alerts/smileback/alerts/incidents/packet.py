"""The context packet a page carries, and its one-line summary. Pure: values in, JSON out.

Sections: who (the author), what (the post), why (the rule and the scores), thread (root,
reply count, latest replies), similar (other complaints about the brand in the last hour)
and guide (how to answer like a person). The summary fits PagerDuty's 1,024 characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from smileback.alerts.incidents.model import REDACTED_TEXT, Incident, PostRef
from smileback.alerts.policy import (
    RULE_BRAND_SURGE,
    RULE_LARGE_AUDIENCE_COMPLAINT,
    RULE_PILE_ON,
    Decision,
)
from smileback.common.events import ScoredMention, Severity

__all__ = [
    "GUIDE",
    "MAX_SUMMARY_CHARS",
    "SIMILAR_WINDOW_MINUTES",
    "build_packet",
    "clip",
    "redact_packet",
    "redacted_summary",
    "summarize",
    "thread_section",
]

MAX_SUMMARY_CHARS = 1024  # PagerDuty's limit for payload.summary
SIMILAR_WINDOW_MINUTES = 60
_MAX_SIMILAR = 5
_EXCERPT_CHARS = 280
_FIELD_CHARS = 64

GUIDE = (
    "Answer personally and soon: a named person, in your own words, within the hour.",
    "Acknowledge the problem first; do not argue, blame or paste boilerplate.",
    "One voice: only the responder who acknowledged this page replies in the thread.",
    "Offer to take it to a direct conversation, then reply there yourself.",
    "No automated DMs and no copy-paste replies to the people joining in.",
)
_RULE_GUIDE = {
    RULE_PILE_ON: "Reply once, to the root post, rather than to each reply.",
    RULE_BRAND_SURGE: "Many people at once: check for an outage, then post one status update.",
}
_HEADLINES = {
    RULE_LARGE_AUDIENCE_COMPLAINT: "large-audience complaint",
    RULE_PILE_ON: "pile-on forming",
    RULE_BRAND_SURGE: "brand surge",
}


def build_packet(
    *,
    incident: Incident,
    mention: ScoredMention,
    decision: Decision,
    similar: Sequence[PostRef],
    now: datetime,
) -> dict[str, Any]:
    """Everything a responder needs to answer `mention` well, as JSON-ready data."""
    author, scores = mention.author, mention.scores
    age_days = (now - author.created_at).days if author.created_at is not None else None
    return {
        "incident_id": incident.incident_id,
        "brand": incident.brand,
        "rule": incident.rule,
        "severity": str(incident.severity),
        "mention_id": mention.id,
        "summary": incident.summary,
        "who": {
            "handle": author.handle,
            "display_name": author.display_name,
            "followers": author.followers,
            "verified": author.verified,
            "bot": author.bot,
            "account_age_days": age_days,
            "platform": mention.platform,
        },
        "what": {
            "text": mention.text,
            "url": mention.url,
            "lang": mention.lang,
            "created_at": mention.created_at.isoformat() if mention.created_at else None,
        },
        "why": {
            "rule": decision.rule or incident.rule,
            "reason": decision.reason,
            "negativity": round(scores.negativity, 3),
            "top_terms": list(scores.explanation),
            "reach_tier": str(scores.reach_tier),
            "reach": round(scores.reach, 3),
            "est_impressions": scores.est_impressions,
            "thread_velocity": round(scores.thread_velocity, 3),
            "peak_velocity": round(incident.peak_velocity, 3),
            "pile_on_risk": round(scores.pile_on_risk, 3),
        },
        "thread": thread_section(incident),
        "similar": {
            "window_minutes": SIMILAR_WINDOW_MINUTES,
            "count": len(similar),
            "items": [_ref(s) for s in similar[-_MAX_SIMILAR:]],
        },
        "guide": [*GUIDE, *([_RULE_GUIDE[incident.rule]] if incident.rule in _RULE_GUIDE else [])],
        "redacted_mention_ids": sorted(incident.redacted),
    }


def thread_section(incident: Incident) -> dict[str, Any]:
    """The thread part of a packet: root post, reply count and the latest replies."""
    return {
        "root_id": incident.thread_root_id,
        "root": _ref(incident.root),
        "reply_count": max(len(incident.mention_ids) - (incident.root is not None), 0),
        "latest_replies": [_ref(r) for r in reversed(incident.latest)],
    }


def summarize(*, mention: ScoredMention, severity: Severity, rule: str, reason: str) -> str:
    """One line of at most 1,024 chars: what kind of page, who, what and why."""
    author = mention.author
    handle = clip(author.handle.lstrip("@"), _FIELD_CHARS)
    flags = "".join([", verified" if author.verified else "", ", bot" if author.bot else ""])
    who = f"@{handle}" if handle else "unknown author"
    excerpt = clip(mention.text, _EXCERPT_CHARS)
    headline = _HEADLINES.get(rule, "")
    line = (
        f"[{severity}] {clip(mention.brand or '', _FIELD_CHARS)}: "
        f"{headline + ', ' if headline else ''}"
        f'{who} ({author.followers:,} followers{flags}): "{excerpt}" - {reason}'
    )
    return clip(line, MAX_SUMMARY_CHARS)


def redacted_summary(*, severity: Severity | str, brand: str, mentions: int | None) -> str:
    """The summary once its headline post is deleted: nothing of the post remains."""
    count = f"; {mentions} mention(s) in the thread" if mentions is not None else ""
    return clip(
        f"[{severity}] {clip(brand, _FIELD_CHARS)}: source post deleted and redacted{count}",
        MAX_SUMMARY_CHARS,
    )


def redact_packet(packet: dict[str, Any], *, mention_id: str) -> dict[str, Any]:
    """A copy of `packet` with every trace of a deleted post's text, link and author removed."""
    out: dict[str, Any] = _redact_refs(packet, mention_id=mention_id)
    if packet.get("mention_id") == mention_id:
        out["who"] = {**out.get("who", {}), "handle": "", "display_name": ""}
        out["what"] = {**out.get("what", {}), "text": REDACTED_TEXT, "url": None}
    if out != packet:
        out["redacted_mention_ids"] = sorted({*packet.get("redacted_mention_ids", []), mention_id})
    return out


def clip(text: str, limit: int) -> str:
    """One line of at most `limit` chars, a cut marked with an ellipsis."""
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def _ref(ref: PostRef | None) -> dict[str, Any] | None:
    return ref.model_dump(mode="json") if ref is not None else None


def _redact_refs(value: Any, *, mention_id: str) -> Any:
    if isinstance(value, dict):
        out = {k: _redact_refs(v, mention_id=mention_id) for k, v in value.items()}
        if out.get("mention_id") == mention_id and "text" in out:
            out.update(text=REDACTED_TEXT, url=None, handle="")
        return out
    if isinstance(value, list):
        return [_redact_refs(v, mention_id=mention_id) for v in value]
    return value
