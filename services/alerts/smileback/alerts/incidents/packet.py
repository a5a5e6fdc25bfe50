"""The context packet a page carries, and its one-line summary. Pure: values in, a packet out.

Sections (`smileback.common.packet`): who (the author), what (the post), why (the rule and
the scores), thread (root, reply count, latest replies), similar (other complaints about
the brand in the last hour) and guide (how to answer like a person). The summary fits
PagerDuty's 1,024 characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from smileback.alerts.incidents.model import Incident
from smileback.alerts.policy import (
    RULE_BRAND_SURGE,
    RULE_LARGE_AUDIENCE_COMPLAINT,
    RULE_PILE_ON,
    Decision,
)
from smileback.common.events import ScoredMention, Severity
from smileback.common.packet import (
    MAX_SUMMARY_CHARS,
    SUMMARY_FIELD_CHARS,
    ContextPacket,
    PostRef,
    SimilarSection,
    ThreadSection,
    WhatSection,
    WhoSection,
    WhySection,
    clip,
)

__all__ = [
    "GUIDE",
    "SIMILAR_WINDOW_MINUTES",
    "build_packet",
    "post_ref",
    "summarize",
    "thread_section",
]

SIMILAR_WINDOW_MINUTES = 60
_MAX_SIMILAR = 5
_EXCERPT_CHARS = 280
_POST_TEXT_CHARS = 280  # a reference's text, cut to a tweet's length

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
) -> ContextPacket:
    """Everything a responder needs to answer `mention` well."""
    author, scores = mention.author, mention.scores
    age_days = (now - author.created_at).days if author.created_at is not None else None
    rule_guide = [_RULE_GUIDE[incident.rule]] if incident.rule in _RULE_GUIDE else []
    return ContextPacket(
        incident_id=incident.incident_id,
        brand=incident.brand,
        rule=incident.rule,
        severity=incident.severity,
        mention_id=mention.id,
        summary=incident.summary,
        who=WhoSection(
            handle=author.handle,
            display_name=author.display_name,
            followers=author.followers,
            verified=author.verified,
            bot=author.bot,
            account_age_days=age_days,
            platform=mention.platform,
        ),
        what=WhatSection(
            text=mention.text, url=mention.url, lang=mention.lang, created_at=mention.created_at
        ),
        why=WhySection(
            rule=decision.rule or incident.rule,
            reason=decision.reason,
            negativity=round(scores.negativity, 3),
            top_terms=tuple(scores.explanation),
            reach_tier=scores.reach_tier,
            reach=round(scores.reach, 3),
            est_impressions=scores.est_impressions,
            thread_velocity=round(scores.thread_velocity, 3),
            peak_velocity=round(incident.peak_velocity, 3),
            pile_on_risk=round(scores.pile_on_risk, 3),
        ),
        thread=thread_section(incident),
        similar=SimilarSection(
            window_minutes=SIMILAR_WINDOW_MINUTES,
            count=len(similar),
            items=tuple(similar[-_MAX_SIMILAR:]),
        ),
        guide=(*GUIDE, *rule_guide),
        redacted_mention_ids=tuple(sorted(incident.redacted)),
    )


def thread_section(incident: Incident) -> ThreadSection:
    """The thread part of a packet: root post, reply count and the latest replies."""
    return ThreadSection(
        root_id=incident.thread_root_id,
        root=incident.root,
        reply_count=max(incident.mention_count - (incident.root is not None), 0),
        latest_replies=tuple(reversed(incident.latest)),
    )


def post_ref(mention: ScoredMention) -> PostRef:
    """The reference to a scored mention, its text cut to a tweet's length."""
    return PostRef(
        mention_id=mention.id,
        handle=mention.author.handle,
        text=clip(mention.text, _POST_TEXT_CHARS),
        url=mention.url,
        negativity=round(mention.scores.negativity, 3),
        at=mention.created_at,
    )


def summarize(*, mention: ScoredMention, severity: Severity, rule: str, reason: str) -> str:
    """One line of at most 1,024 chars: what kind of page, who, what and why."""
    author = mention.author
    handle = clip(author.handle.lstrip("@"), SUMMARY_FIELD_CHARS)
    flags = "".join([", verified" if author.verified else "", ", bot" if author.bot else ""])
    who = f"@{handle}" if handle else "unknown author"
    excerpt = clip(mention.text, _EXCERPT_CHARS)
    headline = _HEADLINES.get(rule, "")
    line = (
        f"[{severity}] {clip(mention.brand or '', SUMMARY_FIELD_CHARS)}: "
        f"{headline + ', ' if headline else ''}"
        f'{who} ({author.followers:,} followers{flags}): "{excerpt}" - {reason}'
    )
    return clip(line, MAX_SUMMARY_CHARS)
