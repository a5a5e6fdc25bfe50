"""The human queues: smile-back and triage."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from smileback.api.schemas.base import CountedPage, In, Name, Out, Prose
from smileback.api.schemas.mentions import MentionOut

__all__ = [
    "AnsweredIn",
    "DismissIn",
    "QueueEntry",
    "QueuePage",
    "QueueSort",
    "SmileBackItem",
    "TriageItem",
]

T = TypeVar("T")


class QueueSort(StrEnum):
    """The order of a queue's listing."""

    NEWEST = "newest"  # queued last first
    WAITING = "waiting"  # queued first first: the longest wait on top
    AUDIENCE = "audience"  # the author's followers, largest first (purged mentions last)


class QueueEntry(Out):
    """A mention in a human queue, with the mention when it is still stored."""

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


class SmileBackItem(QueueEntry):
    """A kind mention waiting for a genuine reply."""


class TriageItem(QueueEntry):
    """A negative mention that paged nobody, waiting for a human to look at it."""


class QueuePage(CountedPage[T], Generic[T]):
    """One page of a queue; `total` counts every entry the filters match, on all pages."""


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
