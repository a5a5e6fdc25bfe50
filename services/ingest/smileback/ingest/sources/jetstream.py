"""Bluesky Jetstream events as Mentions and signals, and where to resume after a reconnect.

Jetstream sends JSON: `{"did", "time_us", "kind", ...}`, `kind` one of `commit` (with a
`commit` object: `operation` create/update/delete, `collection`, `rkey`, `record`),
`identity` (a handle change) and `account` (hosting status). Jetstream v2 adds `cursor`,
its own sequence number (a JSON integer, local to one Jetstream instance); its extended
wire's `sync` events are skipped. A reconnect passes one `?cursor=`: below 10^15 the
server reads a sequence number, above it a `time_us`.

Decisions:
- A post's id is its `at://<did>/app.bsky.feed.post/<rkey>` URI, so the tombstone of a
  commit `delete` carries the id of the post it deletes; its URL is the bsky.app page.
  An `update` (the protocol allows one; the app does not) maps like a create, same id.
- Thread: `reply.root` and `reply.parent`. A quote post (`app.bsky.embed.record`, or
  `recordWithMedia`) that replies to nothing has the quoted post as root and parent: a
  quote pile-on then lands in the quoted post's partition, as its replies do.
- Facets: the text already shows each mention as `@handle` and each tag as `#tag`, so the
  text is kept as written. A mention's DID goes to `Mapped.mentioned`; a link's full URI
  to `Mapped.links`, since the text often shows a link shortened.
- Reach: Jetstream carries no follower counts. The author has `followers=0` with
  `Mapped.author_counts_known=False` until an `app.bsky.actor.getProfiles` lookup fills it;
  the handle comes from the caller's handle cache (`handles`), else it is left empty.
- `identity` becomes `HandleChanged`, for that cache.
- `account` becomes `AccountChanged` and deletes nothing: deactivation is reversible and a
  takedown is the network's moderation, neither a deletion by the author. A `deleted`
  account's posts are gone for good (`AccountChanged.erased`), but Jetstream sends no
  per-post deletes for them, and a tombstone names one post: redacting every post of an
  author needs an author-level tombstone the event schema does not have yet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import ValidationError

from smileback.common.events import Author, Mention, Thread
from smileback.ingest.normalise import clean_text
from smileback.ingest.sources.outcomes import (
    Mapped,
    Outcome,
    Rejected,
    Skipped,
    invalid_mention,
)
from smileback.ingest.sources.payload import Fields, PayloadError, decode_json_object

__all__ = [
    "PLATFORM",
    "POST_COLLECTION",
    "REWIND",
    "AccountChanged",
    "HandleChanged",
    "JetstreamOutcome",
    "Position",
    "Received",
    "Resume",
    "map_event",
    "post_uri",
    "post_url",
    "resume_from",
]

PLATFORM = "bluesky"
POST_COLLECTION = "app.bsky.feed.post"
# How far back a resume by `time_us` starts: events in flight when the link dropped are
# received again (de-duplicated downstream) rather than lost.
REWIND = timedelta(seconds=5)

_DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]{1,200}")
_RKEY = re.compile(r"[A-Za-z0-9._:~-]{1,255}")
# Where a quote embed keeps the quoted post's strong ref.
_QUOTES: dict[str, tuple[str, ...]] = {
    "app.bsky.embed.record": ("record",),
    "app.bsky.embed.recordWithMedia": ("record", "record"),
}
# The last microsecond datetime can show (year 9999): a time_us past it is no time.
_MAX_TIME_US = 253_402_300_799_999_999
# A root or parent is the id of another mention, and a Mention id is at most 512 chars.
_MAX_URI_CHARS = 512
_MENTION = "app.bsky.richtext.facet#mention"
_LINK = "app.bsky.richtext.facet#link"


@dataclass(frozen=True)
class HandleChanged:
    """An `identity` event: `did` is now known as `handle` (None: no valid handle)."""

    did: str
    handle: str | None


@dataclass(frozen=True)
class AccountChanged:
    """An `account` event: the account's hosting status (`status` when not active)."""

    did: str
    active: bool
    status: str | None

    @property
    def erased(self) -> bool:
        """The account was deleted: its posts will not come back."""
        return not self.active and self.status == "deleted"


JetstreamOutcome = Outcome | HandleChanged | AccountChanged


@dataclass(frozen=True)
class Position:
    """Where an event sits in the stream: `time_us` always, v2's `cursor` when sent."""

    time_us: int
    cursor: int | None = None


@dataclass(frozen=True)
class Received:
    """One Jetstream message: what it means, and its position when it has a readable one
    (a rejected event may still have one, and the stream has moved past it)."""

    outcome: JetstreamOutcome
    position: Position | None


@dataclass(frozen=True)
class Resume:
    """The `cursor` query parameter to reconnect with, and what kind of position it is."""

    cursor: int
    kind: Literal["cursor", "time_us"]


def resume_from(
    last: Position, *, rewind: timedelta = REWIND, same_instance: bool = True
) -> Resume:
    """Where to reconnect after `last`, the last event whose outcome is safely handled.

    A v2 `cursor` is a sequence number and inclusive (replay starts at that event), so it
    is used as it is: nothing after it is missed and it is received once more. It means
    nothing to another instance (`same_instance=False`, e.g. after the URL changed): there,
    as on v1, `time_us` is used, rewound by `rewind`, since it is a time.
    """
    if last.cursor is not None and same_instance:
        return Resume(cursor=last.cursor, kind="cursor")
    back = int(rewind / timedelta(microseconds=1))
    return Resume(cursor=max(last.time_us - back, 0), kind="time_us")


def post_uri(*, did: str, rkey: str) -> str:
    """The at:// URI of a post: its Mention id."""
    return f"at://{did}/{POST_COLLECTION}/{rkey}"


def post_url(*, did: str, rkey: str) -> str:
    """The post's page on bsky.app."""
    return f"https://bsky.app/profile/{did}/post/{rkey}"


def map_event(raw: bytes, *, now: datetime, handles: Mapping[str, str] | None = None) -> Received:
    """One Jetstream message (already decompressed) as a mention, a signal, or why not."""
    try:
        event = decode_json_object(raw, what="event")
    except PayloadError as exc:
        return Received(outcome=Rejected(reason=str(exc)), position=None)
    try:
        position = _position(event)
    except PayloadError as exc:
        return Received(outcome=Rejected(reason=str(exc)), position=None)
    try:
        outcome = _outcome(event, position=position, now=now, handles=handles or {})
    except PayloadError as exc:
        outcome = Rejected(reason=str(exc))
    except ValidationError as exc:
        outcome = invalid_mention(exc, what="event")
    return Received(outcome=outcome, position=position)


def _position(event: Fields) -> Position:
    time_us = event.integer("time_us")
    if not 0 <= time_us <= _MAX_TIME_US:
        raise PayloadError(f"event.time_us: expected a time, got {time_us}")
    cursor: int | None = None
    if event.has("cursor"):
        cursor = event.integer("cursor")
        if cursor < 0:
            raise PayloadError(f"event.cursor: expected a sequence number, got {cursor}")
    return Position(time_us=time_us, cursor=cursor)


def _outcome(
    event: Fields, *, position: Position, now: datetime, handles: Mapping[str, str]
) -> JetstreamOutcome:
    did = _did(event.string("did"), path="event.did")
    kind = event.string("kind")
    if kind == "identity":
        identity = event.obj("identity")
        return HandleChanged(did=did, handle=identity.opt_string("handle"))
    if kind == "account":
        account = event.obj("account")
        active = account.boolean("active", default=True)
        return AccountChanged(did=did, active=active, status=account.opt_string("status"))
    if kind != "commit":
        return Skipped(reason=f"event kind {kind!r} is not handled")
    commit = event.obj("commit")
    collection = commit.string("collection")
    if collection != POST_COLLECTION:
        return Skipped(reason=f"collection {collection!r} is not posts")
    rkey = commit.string("rkey")
    if not _RKEY.fullmatch(rkey):
        raise PayloadError(f"event.commit.rkey: expected a record key, got {rkey[:40]!r}")
    operation = commit.string("operation")
    if operation == "delete":
        tombstone = Mention(
            id=post_uri(did=did, rkey=rkey),
            text="",
            platform=PLATFORM,
            author=Author(id=did),
            deleted=True,
            ingested_at=now,
        )
        return Mapped(mention=tombstone)
    if operation not in ("create", "update"):
        return Skipped(reason=f"commit operation {operation!r} is not handled")
    return _post(
        commit.obj("record"), did=did, rkey=rkey, position=position, now=now, handles=handles
    )


def _post(
    record: Fields,
    *,
    did: str,
    rkey: str,
    position: Position,
    now: datetime,
    handles: Mapping[str, str],
) -> Mapped:
    clean = clean_text(record.string("text"))
    langs = record.strings("langs")
    handle = handles.get(did)
    mentioned, links = _facets(record)
    mention = Mention(
        id=post_uri(did=did, rkey=rkey),
        text=clean.text,
        text_truncated=clean.truncated,
        platform=PLATFORM,
        url=post_url(did=did, rkey=rkey),
        lang=langs[0] if langs else None,
        created_at=_created_at(record, seen=position.time_us),
        author=Author(id=did, handle=f"@{handle}" if handle else ""),
        thread=_thread(record),
        ingested_at=now,
    )
    return Mapped(
        mention=mention,
        author_counts_known=False,
        mentioned=mentioned,
        links=links,
    )


def _created_at(record: Fields, *, seen: int) -> datetime:
    # `createdAt` is the author's client clock: kept unless unreadable or after the moment
    # Jetstream saw the post, which bounds it.
    seen_at = datetime.fromtimestamp(seen / 1_000_000, tz=UTC)
    written = record.opt_string("createdAt")
    try:
        created = datetime.fromisoformat(written) if written else None
    except ValueError:
        created = None
    if created is None or created.tzinfo is None:
        return seen_at
    return min(created, seen_at)


def _thread(record: Fields) -> Thread:
    reply = record.opt_obj("reply")
    if reply is not None:
        return Thread(
            root_id=_post_ref(reply.obj("root")), parent_id=_post_ref(reply.obj("parent"))
        )
    embed = record.opt_obj("embed")
    path = _QUOTES.get(embed.opt_string("$type") or "") if embed is not None else None
    if embed is None or path is None:
        return Thread()
    quoted = embed
    for key in path:
        quoted = quoted.obj(key)
    uri = _post_ref(quoted)
    return Thread(root_id=uri, parent_id=uri)


def _post_ref(ref: Fields) -> str:
    uri = ref.string("uri")
    if not uri.startswith("at://") or len(uri) > _MAX_URI_CHARS:
        raise PayloadError(f"{ref.path}.uri: expected an at:// URI, got {uri[:40]!r}")
    return uri


def _facets(record: Fields) -> tuple[tuple[str, ...], tuple[str, ...]]:
    mentioned: list[str] = []
    links: list[str] = []
    for facet in record.objects("facets"):
        for feature in facet.objects("features"):
            kind = feature.opt_string("$type")
            if kind == _MENTION:
                mentioned.append(_did(feature.string("did"), path=f"{feature.path}.did"))
            elif kind == _LINK:
                links.append(feature.string("uri"))
    # Tags (`#tag` features) are in the text as written; nothing to add.
    return tuple(dict.fromkeys(mentioned)), tuple(dict.fromkeys(links))


def _did(value: str, *, path: str) -> str:
    if not _DID.fullmatch(value):
        raise PayloadError(f"{path}: expected a DID, got {value[:40]!r}")
    return value
