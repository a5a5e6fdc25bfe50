"""Redaction of a deleted post from an incident's state and packet. Pure."""

from __future__ import annotations

from smileback.alerts.incidents.model import Incident
from smileback.alerts.incidents.packet import redact_packet, redacted_summary

__all__ = ["redact_incident"]


def redact_incident(inc: Incident, *, mention_id: str) -> bool:
    """Remove a deleted post's text, link and author from `inc`; False if it held none."""
    packet = redact_packet(inc.packet, mention_id=mention_id)
    quoted = packet != inc.packet or mention_id in inc.mention_ids
    if not quoted or mention_id in inc.redacted:
        return False
    inc.redacted.add(mention_id)
    if inc.root is not None and inc.root.mention_id == mention_id:
        inc.root = inc.root.redacted()
    inc.latest = [r.redacted() if r.mention_id == mention_id else r for r in inc.latest]
    if inc.summary_mention_id == mention_id:
        inc.summary = redacted_summary(
            severity=inc.severity, brand=inc.brand, mentions=len(inc.mention_ids)
        )
    inc.packet = {**packet, "summary": inc.summary} if packet else packet
    return True
