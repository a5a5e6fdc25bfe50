"""Redaction of a deleted post from an incident's state and packet. Pure."""

from __future__ import annotations

from smileback.alerts.incidents.model import Incident
from smileback.common.redaction import redact_packet, redact_ref, redacted_summary

__all__ = ["redact_incident"]


def redact_incident(inc: Incident, *, mention_id: str) -> bool:
    """Remove a deleted post's text, link and author from `inc`; False if it held none."""
    packet = redact_packet(inc.packet, mention_id=mention_id) if inc.packet is not None else None
    quoted = packet != inc.packet or inc.counted_recently(mention_id)
    if not quoted or mention_id in inc.redacted:
        return False
    inc.redacted.add(mention_id)
    if inc.root is not None and inc.root.mention_id == mention_id:
        inc.root = redact_ref(inc.root)
    inc.latest = [redact_ref(r) if r.mention_id == mention_id else r for r in inc.latest]
    if inc.summary_mention_id == mention_id:
        inc.summary = redacted_summary(
            severity=inc.severity, brand=inc.brand, mentions=inc.mention_count
        )
    if packet is not None:
        inc.packet = packet.model_copy(update={"summary": inc.summary})
    return True
