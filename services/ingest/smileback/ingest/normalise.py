"""Turn one raw JSON line into a Mention, or say exactly why it cannot be one."""

from __future__ import annotations

import json
from datetime import datetime

from smileback.common.events import Mention, decode

__all__ = ["parse_mention", "source_id_of"]

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
