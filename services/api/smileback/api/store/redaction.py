"""Pure redaction of stored JSON once a source post is deleted.

Incident context packets are redacted with the shared `redact_packet` and
`redacted_summary`, so the store removes exactly what the alerts service does.
"""

from __future__ import annotations

from typing import Any

from smileback.common.packet import ContextPacket
from smileback.common.redaction import REDACTED_TEXT, redact_packet, redacted_summary

__all__ = ["redact_incident_packet", "redact_mention_payload", "stored_packet"]


def redact_mention_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A ScoredMention JSON with the text, link and author's names removed."""
    author = {**payload.get("author", {}), "handle": "", "display_name": ""}
    return {**payload, "text": REDACTED_TEXT, "url": None, "author": author, "deleted": True}


def stored_packet(context: dict[str, Any]) -> ContextPacket | None:
    """The packet an incident row's `context` holds; None for `{}`, an incident without one."""
    return ContextPacket.model_validate(context) if context else None


def redact_incident_packet(
    *,
    packet: ContextPacket | None,
    summary: str,
    mention_id: str,
    severity: str,
    brand: str,
    mention_count: int | None,
) -> tuple[ContextPacket | None, str]:
    """An incident's packet and summary without the deleted mention's text, link or author.

    The summary quotes the packet's headline mention; when that is the deleted one, it is
    replaced by the redacted summary, in the packet too.
    """
    if packet is None:
        return None, summary
    redacted = redact_packet(packet, mention_id=mention_id)
    if packet.mention_id == mention_id:
        summary = redacted_summary(severity=severity, brand=brand, mentions=mention_count)
        redacted = redacted.model_copy(update={"summary": summary})
    return redacted, summary
