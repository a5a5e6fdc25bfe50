"""Turn one raw JSON line into a Mention, or say exactly why it cannot be one."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smileback.common.events import MAX_TEXT_CHARS, Mention, decode

__all__ = [
    "CleanText",
    "clean_mention",
    "clean_record_text",
    "clean_text",
    "parse_mention",
    "source_id_of",
]

# Longer ids are not Mention ids; keep them out of DLQ keys.
_MAX_ID_CHARS = 512
# Unicode category Cc (C0, DEL, C1) but for tab and newline; carriage returns are made
# newlines first. Format characters (Cf) such as the zero-width joiner build emoji and
# scripts, so they stay.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def parse_mention(*, raw: bytes, now: datetime) -> Mention:
    """Parse one line into a Mention (SchemaError on bad input) and fill its missing times."""
    mention = decode(Mention, raw)
    return mention.model_copy(
        update={
            "created_at": mention.created_at or now,
            "ingested_at": mention.ingested_at or now,
        }
    )


def source_id_of(raw: bytes) -> str | None:
    """The line's "id" when it parses as a JSON object with a string id, else None."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    if not isinstance(data, dict):
        return None
    value = data.get("id")
    if isinstance(value, str) and 0 < len(value) <= _MAX_ID_CHARS:
        return value
    return None


@dataclass(frozen=True)
class CleanText:
    """A source's text made fit for a Mention, and whether it had to be cut."""

    text: str
    truncated: bool


def clean_text(text: str) -> CleanText:
    """NFC, line ends as "\\n", control characters other than newline and tab removed, and at
    most MAX_TEXT_CHARS characters (cut at the limit: a long complaint still pages)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text)
    if len(text) <= MAX_TEXT_CHARS:
        return CleanText(text=text, truncated=False)
    return CleanText(text=text[:MAX_TEXT_CHARS], truncated=True)


def clean_mention(mention: Mention) -> Mention:
    """`mention` with its text cleaned as `clean_text` does; itself when already clean, as
    nearly every mention is. Every source's mentions pass here before they are kept."""
    clean = clean_text(mention.text)
    if clean.text == mention.text:
        return mention
    truncated = mention.text_truncated or clean.truncated  # NFC may lengthen a text
    return mention.model_copy(update={"text": clean.text, "text_truncated": truncated})


def clean_record_text(record: dict[str, Any]) -> dict[str, Any]:
    """A foreign record (a `replay --map` row) with its text cleaned and cut to fit a
    Mention, flagged `text_truncated` when cut: a post another system accepted is kept,
    where a Mention line over the limit is refused."""
    text = record.get("text")
    if not isinstance(text, str):
        return record  # the Mention's validation names the problem
    clean = clean_text(text)
    if clean.truncated:
        return {**record, "text": clean.text, "text_truncated": True}
    return {**record, "text": clean.text}
