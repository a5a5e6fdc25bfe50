"""The smile-back queue."""

from __future__ import annotations

from datetime import datetime

from smileback.api.schemas.base import In, Name, Out, Prose
from smileback.api.schemas.mentions import MentionOut

__all__ = ["AnsweredIn", "DismissIn", "SmileBackItem"]


class SmileBackItem(Out):
    """A kind mention waiting for a genuine reply, with the mention when it is still stored."""

    mention_id: str
    brand: str | None
    reason: str
    at: datetime
    answered: bool
    answered_by: str | None
    answered_at: datetime | None
    # How long it has waited for a reply (until answered): the queue's service level.
    waiting_s: float
    dismissed: bool = False
    dismissed_by: str | None = None
    dismissed_at: datetime | None = None
    dismissed_reason: str | None = None
    mention: MentionOut | None


class AnsweredIn(In):
    """Who answered comes from the API key; `responder`, if sent, must be the key's own, and
    `on_behalf_of` lets an admin key mark it for a responder."""

    responder: Name | None = None
    on_behalf_of: Name | None = None


class DismissIn(In):
    """ "Not for us": why the mention needs no reply. Who dismissed it comes from the API
    key, as for `AnsweredIn`."""

    reason: Prose
    responder: Name | None = None
    on_behalf_of: Name | None = None
