"""Labels on mentions: what a responder posts, and a label as listed."""

from __future__ import annotations

from datetime import datetime

from smileback.api.schemas.base import In, Name, Out
from smileback.common.mention_labels import MentionLabel

__all__ = ["LabelIn", "LabelOut"]


class LabelIn(In):
    """The label; who labels comes from the API key. `responder`, if sent, must be the key's
    own, and `on_behalf_of` lets an admin key label for a responder."""

    label: MentionLabel
    responder: Name | None = None
    on_behalf_of: Name | None = None


class LabelOut(Out):
    """A responder's label with the mention's brand and text (the export's line, plus its id
    and whether the text was redacted since)."""

    id: str
    mention_id: str
    brand: str | None
    text: str
    label: MentionLabel
    responder: str
    at: datetime
    redacted: bool
