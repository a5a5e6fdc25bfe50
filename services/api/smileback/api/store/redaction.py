"""Pure redaction of stored JSON once a source post is deleted.

Incident context packets are the alerts service's format, so their redaction is the
alerts package's (`redact_packet`, `redacted_summary`): both sides redact alike.
"""

from __future__ import annotations

from typing import Any

from smileback.alerts.incidents import redact_packet, redacted_summary
from smileback.api.store.models import REDACTED_TEXT

__all__ = ["mention_ids_in", "redact_incident_json", "redact_mention_payload"]


def redact_mention_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A ScoredMention JSON with the text, link and author's names removed."""
    author = {**payload.get("author", {}), "handle": "", "display_name": ""}
    return {**payload, "text": REDACTED_TEXT, "url": None, "author": author, "deleted": True}


def mention_ids_in(value: Any) -> set[str]:
    """Every mention id a context packet names, at any depth."""
    if isinstance(value, dict):
        found = {value["mention_id"]} if isinstance(value.get("mention_id"), str) else set()
        return found.union(*(mention_ids_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(mention_ids_in(v) for v in value))
    return set()


def redact_incident_json(
    *,
    context: dict[str, Any],
    summary: str,
    mention_id: str,
    severity: str,
    brand: str,
    mention_count: int | None,
) -> tuple[dict[str, Any], str]:
    """An incident's context and summary without the deleted mention's text, link or author.

    The summary quotes the packet's headline mention; when that is the deleted one, it is
    replaced by the alerts service's redacted summary.
    """
    redacted = redact_packet(context, mention_id=mention_id)
    if context.get("mention_id") == mention_id:
        summary = redacted_summary(severity=severity, brand=brand, mentions=mention_count)
        if "summary" in redacted:
            redacted = {**redacted, "summary": summary}
    return redacted, summary
