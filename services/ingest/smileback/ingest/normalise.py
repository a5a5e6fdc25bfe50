"""Turn one raw JSON line into a Mention, or say exactly why it cannot be one."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from smileback.common.events import MAX_TEXT_CHARS, Mention, decode

__all__ = ["CleanText", "clean_text", "parse_mention", "source_id_of"]

# Longer ids are not Mention ids; keep them out of DLQ keys.
_MAX_ID_CHARS = 512


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
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    # Cc only: format characters (Cf) such as the zero-width joiner build emoji and scripts.
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")
    if len(text) <= MAX_TEXT_CHARS:
        return CleanText(text=text, truncated=False)
    return CleanText(text=text[:MAX_TEXT_CHARS], truncated=True)
