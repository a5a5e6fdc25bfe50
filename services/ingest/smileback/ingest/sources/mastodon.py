"""Mastodon streaming events as Mentions.

`update` and `status.update` carry a whole Status; `delete` carries only the status id, as
plain text. Everything else on a stream (`notification`, `conversation`, `announcement`,
`filters_changed`, ...) is skipped.

Decisions:
- Ids. Status and account ids are local to the instance that serves them, and a `delete`
  names only that local id, so a mention's id is `mastodon:<instance host>:<status id>`:
  the tombstone then carries the same id as the post it deletes. The author's id is
  `mastodon:<user>@<domain>`, the same wherever the account is seen.
- Thread. A Status has `in_reply_to_id` but not its conversation's root (the root needs a
  `/api/v1/statuses/:id/context` call). The root is the parent's root when the caller knows
  it (`roots`: Mention id to root id, of statuses already mapped), else the parent; a
  post that answers nothing is its own root. A deep reply to a post never seen is keyed by
  its parent, not the true root: one conversation may then span two keys.
- Boosts. A boost (`reblog` set) has no text of its own and its author is not the one
  speaking: it maps to the boosted status, the original author's own mention. On the user
  and list streams a boost can be the only time the original is seen; when it was seen,
  de-duplication by id drops the copy. The booster's audience is not added to reach.
  Undoing a boost sends a `delete` of the boost's own id: its tombstone matches no mention
  and redacts nothing, as it should.
- Content warning. `spoiler_text` is text the author wrote (often the complaint's summary:
  "CW: rant about Acme"), so it comes first, a blank line before the content.
- Edits. `status.update` maps like `update`, with the same id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlsplit

from pydantic import ValidationError

from smileback.common.events import Author, Mention, MentionMetrics, Thread
from smileback.ingest.normalise import clean_text
from smileback.ingest.sources.html_text import html_to_text
from smileback.ingest.sources.outcomes import (
    Mapped,
    Outcome,
    Rejected,
    Skipped,
    invalid_mention,
)
from smileback.ingest.sources.payload import Fields, PayloadError, decode_json_object
from smileback.ingest.sources.sse import SseEvent

__all__ = ["PLATFORM", "STATUS_EVENTS", "instance_host", "map_event", "map_status", "mention_id"]

PLATFORM = "mastodon"
STATUS_EVENTS = frozenset({"update", "status.update"})
# Mastodon's ids are decimal; other servers speaking its API use short alphanumeric ones.
_STATUS_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def instance_host(instance: str) -> str:
    """The host an instance URL names (`https://Mastodon.Example/` -> `mastodon.example`)."""
    host = urlsplit(instance if "//" in instance else f"//{instance}").hostname
    if not host:
        raise ValueError(f"not an instance URL: {instance!r}")
    return host


def mention_id(*, host: str, status_id: str) -> str:
    """The Mention id of a status of the instance at `host`."""
    return f"{PLATFORM}:{host}:{status_id}"


def map_event(
    event: SseEvent, *, host: str, now: datetime, roots: Mapping[str, str] | None = None
) -> Outcome:
    """One streaming event of the instance at `host` as a Mention, a tombstone, or why not."""
    if event.event in STATUS_EVENTS:
        try:
            status = decode_json_object(event.data, what="status")
        except PayloadError as exc:
            return Rejected(reason=f"{event.event}: {exc}")
        return map_status(status, host=host, now=now, roots=roots)
    if event.event == "delete":
        return _tombstone(event.data, host=host, now=now)
    return Skipped(reason=f"event {event.event!r} is not a status")


def map_status(
    status: Fields, *, host: str, now: datetime, roots: Mapping[str, str] | None = None
) -> Outcome:
    """A Status (from the stream or the REST timelines) as a Mention."""
    try:
        boosted = status.opt_obj("reblog")
        return _mapped(boosted or status, host=host, now=now, roots=roots or {})
    except PayloadError as exc:
        return Rejected(reason=str(exc))
    except ValidationError as exc:
        return invalid_mention(exc, what="status")


def _mapped(status: Fields, *, host: str, now: datetime, roots: Mapping[str, str]) -> Mapped:
    own_id = mention_id(host=host, status_id=_status_id(status.string("id"), path=status.path))
    text = html_to_text(status.string("content"))
    spoiler = status.opt_string("spoiler_text")
    if spoiler:
        text = f"{spoiler}\n\n{text}" if text else spoiler
    clean = clean_text(text)
    mention = Mention(
        id=own_id,
        text=clean.text,
        text_truncated=clean.truncated,
        platform=PLATFORM,
        url=status.opt_string("url") or status.opt_string("uri"),
        lang=status.opt_string("language"),
        created_at=status.time("created_at"),
        author=_author(status.obj("account"), host=host),
        thread=_thread(status, host=host, roots=roots),
        metrics=MentionMetrics(
            replies=status.count("replies_count"),
            reposts=status.count("reblogs_count"),
            likes=status.count("favourites_count"),
            quotes=status.count("quotes_count"),
        ),
        ingested_at=now,
    )
    mentioned = tuple(
        f"{PLATFORM}:{_full_acct(m.string('acct'), host=host)}" for m in status.objects("mentions")
    )
    return Mapped(mention=mention, mentioned=mentioned)


def _author(account: Fields, *, host: str) -> Author:
    acct = _full_acct(account.string("acct"), host=host)
    return Author(
        id=f"{PLATFORM}:{acct}",
        handle=f"@{acct}",
        display_name=clean_text(account.opt_string("display_name") or "").text,
        followers=account.count("followers_count"),
        following=account.count("following_count"),
        bot=account.boolean("bot", default=False),
        created_at=account.opt_time("created_at"),
    )


def _thread(status: Fields, *, host: str, roots: Mapping[str, str]) -> Thread:
    parent = status.opt_string("in_reply_to_id")
    if parent is None:
        return Thread()
    parent_id = mention_id(host=host, status_id=_status_id(parent, path=status.path))
    return Thread(root_id=roots.get(parent_id, parent_id), parent_id=parent_id)


def _tombstone(data: bytes, *, host: str, now: datetime) -> Outcome:
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        return Rejected(reason=f"delete: invalid UTF-8 at byte {exc.start}")
    if text.startswith('"'):
        # Some servers quote the id as a JSON string; Mastodon sends it bare.
        try:
            text = str(json.loads(text))
        except ValueError:
            return Rejected(reason="delete: invalid JSON string")
    try:
        status_id = _status_id(text, path="delete")
    except PayloadError as exc:
        return Rejected(reason=str(exc))
    return Mapped(
        mention=Mention(
            id=mention_id(host=host, status_id=status_id),
            text="",
            platform=PLATFORM,
            deleted=True,
            ingested_at=now,
        )
    )


def _status_id(value: str, *, path: str) -> str:
    if not _STATUS_ID.fullmatch(value):
        raise PayloadError(f"{path}: expected a status id, got {value[:40]!r}")
    return value


def _full_acct(acct: str, *, host: str) -> str:
    # A local account's acct is its bare username; the instance completes it.
    return acct if "@" in acct else f"{acct}@{host}"
