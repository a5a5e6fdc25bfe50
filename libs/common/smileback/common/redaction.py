"""Redaction of a deleted post from a context packet and its summary. Pure.

The alerts service redacts its incidents and stored notifications, the API its stored
incidents and events, with these same functions, so both remove exactly the same things.
"""

from __future__ import annotations

from smileback.common.grades import Severity
from smileback.common.packet import (
    MAX_SUMMARY_CHARS,
    SUMMARY_FIELD_CHARS,
    ContextPacket,
    PostRef,
    clip,
)

__all__ = ["REDACTED_TEXT", "redact_packet", "redact_ref", "redacted_summary"]

REDACTED_TEXT = "[deleted]"


def redact_ref(ref: PostRef) -> PostRef:
    """The same reference with the deleted post's text, link and handle removed."""
    return ref.model_copy(update={"text": REDACTED_TEXT, "url": None, "handle": ""})


def redact_packet(packet: ContextPacket, *, mention_id: str) -> ContextPacket:
    """`packet` with every trace of a deleted post's text, link and author removed; the
    same packet when it does not quote that post (or already had it redacted)."""

    def ref(r: PostRef) -> PostRef:
        return redact_ref(r) if r.mention_id == mention_id else r

    thread, similar = packet.thread, packet.similar
    out = packet.model_copy(
        update={
            "thread": thread.model_copy(
                update={
                    "root": ref(thread.root) if thread.root is not None else None,
                    "latest_replies": tuple(map(ref, thread.latest_replies)),
                }
            ),
            "similar": similar.model_copy(update={"items": tuple(map(ref, similar.items))}),
        }
    )
    if packet.mention_id == mention_id:
        out = out.model_copy(
            update={
                "who": out.who.model_copy(update={"handle": "", "display_name": ""}),
                "what": out.what.model_copy(update={"text": REDACTED_TEXT, "url": None}),
            }
        )
    if out == packet:
        return packet
    redacted = tuple(sorted({*packet.redacted_mention_ids, mention_id}))
    return out.model_copy(update={"redacted_mention_ids": redacted})


def redacted_summary(*, severity: Severity | str, brand: str, mentions: int | None) -> str:
    """The summary once its headline post is deleted: nothing of the post remains."""
    count = f"; {mentions} mention(s) in the thread" if mentions is not None else ""
    return clip(
        f"[{severity}] {clip(brand, SUMMARY_FIELD_CHARS)}: source post deleted and redacted{count}",
        MAX_SUMMARY_CHARS,
    )
