"""Pure redaction of stored JSON once a source post is deleted."""

from __future__ import annotations

from typing import Any

from smileback.api.store.models import REDACTED_TEXT

__all__ = ["quoted_mention_id", "redact_mention_payload", "redact_quote"]

_PROBE_CHARS = 16  # enough of the text to find a clipped quote of it in a summary


def redact_mention_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A ScoredMention JSON with the text, link and author's names removed."""
    author = {**payload.get("author", {}), "handle": "", "display_name": ""}
    return {**payload, "text": REDACTED_TEXT, "url": None, "author": author, "deleted": True}


def quoted_mention_id(context: dict[str, Any]) -> str | None:
    """The mention an incident context quotes, if it names one."""
    value = context.get("mention_id")
    return value if isinstance(value, str) else None


def redact_quote(*, context: dict[str, Any], summary: str) -> tuple[dict[str, Any], str]:
    """Remove the quoted mention's text, link and handle from a context and its summary."""
    text = context.get("text")
    handle = context.get("author_handle")
    if isinstance(text, str):
        summary = _scrub(summary, quote=" ".join(text.split()))
    if isinstance(handle, str) and handle.lstrip("@"):
        summary = summary.replace(f"@{handle.lstrip('@')}", f"@{REDACTED_TEXT}")
    redacted = {**context, "text": REDACTED_TEXT}
    if "url" in context:
        redacted["url"] = None
    if "author_handle" in context:
        redacted["author_handle"] = ""
    return redacted, summary


def _scrub(summary: str, *, quote: str) -> str:
    """Replace the longest (possibly clipped) quote of `quote` in `summary`."""
    if not quote or quote == REDACTED_TEXT:
        return summary
    probe = quote[:_PROBE_CHARS]
    best_start, best_end = -1, -1
    start = summary.find(probe)
    while start >= 0:
        end = start + len(probe)
        while (
            end < len(summary) and end - start < len(quote) and summary[end] == quote[end - start]
        ):
            end += 1
        if end - start > best_end - best_start:
            best_start, best_end = start, end
        start = summary.find(probe, start + 1)
    if best_start < 0:
        return summary
    if summary[best_end : best_end + 1] == "…":  # the summary clipped the quote
        best_end += 1
    return summary[:best_start] + REDACTED_TEXT + summary[best_end:]
