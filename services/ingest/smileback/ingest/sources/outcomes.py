"""What a source's mapper makes of one event: a mention, a reason to drop it, or a reason to
dead-letter it. A mapper returns one of these and never raises, so one bad event never ends
a stream."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from smileback.common.events import Mention

__all__ = ["Mapped", "Outcome", "Rejected", "Skipped", "invalid_mention"]


@dataclass(frozen=True)
class Mapped:
    """An event that became a Mention (a post, or the tombstone of a deleted one).

    `author_counts_known`: False when the source does not carry the author's follower counts
    (Bluesky), so `followers` and `following` are 0 because unknown, not because small,
    until a profile lookup fills them.
    `mentioned`: the author ids of the accounts the post mentions (a handle in the text can
    change; the id does not). `links`: the full URLs the post links to, where the text may
    show them shortened.
    """

    mention: Mention
    author_counts_known: bool = True
    mentioned: tuple[str, ...] = ()
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rejected:
    """An event that cannot be read: the caller dead-letters its raw bytes with `reason`."""

    reason: str


@dataclass(frozen=True)
class Skipped:
    """A well-formed event that is not a mention (a like, a boost, a notification)."""

    reason: str


Outcome = Mapped | Rejected | Skipped


def invalid_mention(exc: ValidationError, *, what: str) -> Rejected:
    """Why a mapped event still failed Mention's own validation: its first error.

    A mapper's reads keep every field in range, so this is the last guard of its promise
    never to raise."""
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "mention"
    return Rejected(reason=f"{what}: not a valid Mention: {where}: {first['msg']}")
