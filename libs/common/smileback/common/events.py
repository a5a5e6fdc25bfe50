"""Event schemas: the one definition every service reads and writes.

Each event is a pydantic model that refuses unknown fields, carries
`schema_version`, and round-trips through JSON bytes with `encode` / `decode`.
Every event is at version 1 except `IncidentEvent`, at version 2 (it reads version 1 too).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AliasChoices,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from smileback.common.errors import SchemaError
from smileback.common.grades import ReachTier, Severity
from smileback.common.packet import ContextPacket

__all__ = [
    "MAX_TEXT_CHARS",
    "SCHEMA_VERSION",
    "Author",
    "BrandRuleEvent",
    "Count",
    "DlqRecord",
    "Event",
    "IncidentEvent",
    "IncidentEventType",
    "Mention",
    "MentionMetrics",
    "PageDelivery",
    "PageOutcome",
    "Probability",
    "QueueItem",
    "QueueName",
    "ReachTier",
    "ResponderAction",
    "ScoredMention",
    "Scores",
    "Sentiment",
    "Severity",
    "Thread",
    "decode",
    "encode",
    "incident_id_for",
    "incident_of_dedup_key",
    "page_dedup_key",
]

SCHEMA_VERSION = 1  # of every event but IncidentEvent, which is at version 2
MAX_TEXT_CHARS = 10_000

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Count = Annotated[int, Field(ge=0)]


class Event(BaseModel):
    """Base of every event: strict about unknown fields, frozen, versioned."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Author(_Part):
    id: str = ""
    handle: str = ""
    display_name: str = ""
    followers: Count = 0
    following: Count = 0
    verified: bool = False
    bot: bool = False
    created_at: AwareDatetime | None = None

    @property
    def identity(self) -> str:
        """Who the author is across mentions: the network's id, else the handle; "" when
        the post is anonymous."""
        return self.id or self.handle


class Thread(_Part):
    root_id: str | None = None
    parent_id: str | None = None


class MentionMetrics(_Part):
    replies: Count = 0
    reposts: Count = 0
    likes: Count = 0
    quotes: Count = 0


class Mention(Event):
    """A post that mentions a brand, normalised across platforms."""

    id: Annotated[str, Field(min_length=1, max_length=512)]
    text: Annotated[str, Field(max_length=MAX_TEXT_CHARS)]
    platform: str = "unknown"
    brand: str | None = None
    url: str | None = None
    lang: str | None = None
    created_at: AwareDatetime | None = None
    author: Author = Author()
    thread: Thread = Thread()
    metrics: MentionMetrics = MentionMetrics()
    ingested_at: AwareDatetime | None = None
    # A tombstone: the source post was deleted and must be redacted downstream.
    deleted: bool = False
    # The source's text was longer than MAX_TEXT_CHARS and `text` is its beginning: a
    # network's post is never refused for its length, and a responder must know it was cut.
    text_truncated: bool = False

    @property
    def author_identity(self) -> str:
        """The author's identity, or one of this mention's own when anonymous: an anonymous
        author is a different person on every mention."""
        return self.author.identity or f"#{self.id}"

    @property
    def root_id(self) -> str:
        """The thread root, which is the Kafka key: the post itself when it starts a thread."""
        return self.thread.root_id or self.id

    @property
    def is_reply(self) -> bool:
        """True when the mention answers or quotes another post."""
        return self.root_id != self.id


class Sentiment(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


# brand_surge_ratio: the surge ratio is computed by the alerts service's surge rule alone.
_RETIRED_SCORES = frozenset({"brand_surge_ratio"})


class Scores(_Part):
    negativity: Probability
    is_negative: bool
    sentiment: Sentiment
    reach: Probability = 0.0
    reach_tier: ReachTier = ReachTier.NONE
    est_impressions: Count = 0
    thread_velocity: Annotated[float, Field(ge=0.0)] = 0.0
    pile_on_risk: Probability = 0.0
    model_version: str
    explanation: list[str] = []
    # Thread, author and brand context (issue 4); the defaults mean "not computed", e.g. on
    # tombstones. Acceleration is in negative replies/min per minute, below 0 when cooling.
    thread_acceleration: float = 0.0
    author_mentions: Count = 0  # mentions of the brand by this author so far, this one included
    brand_negative_now: Count = 0  # the brand's negative mentions in the last hour
    brand_negative_baseline: Annotated[float, Field(ge=0.0)] = 0.0  # per hour, prior 12 hours

    @model_validator(mode="before")
    @classmethod
    def _drop_retired(cls, data: Any) -> Any:
        """Accept and drop fields older scorers wrote, so their records on the topics still
        decode; every other unknown field is still refused."""
        if isinstance(data, dict) and not _RETIRED_SCORES.isdisjoint(data):
            return {key: value for key, value in data.items() if key not in _RETIRED_SCORES}
        return data


class ScoredMention(Mention):
    """A Mention with its scores."""

    scores: Scores

    @classmethod
    def of(cls, mention: Mention, scores: Scores) -> ScoredMention:
        """Attach scores to a mention.

        Both parts are validated models already, so their fields are taken as they are:
        validating the mention again was a tenth of the scorer's time."""
        return cls.model_construct(
            _fields_set={*mention.model_fields_set, "scores"}, **mention.__dict__, scores=scores
        )


class IncidentEventType(StrEnum):
    OPENED = "opened"
    UPDATED = "updated"
    PAGED = "paged"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    # An unacknowledged page went on to the next escalation level (`level`, `paged`).
    ESCALATED = "escalated"
    # How one page to one target went (`delivery`): the alerts service's outbox reports it.
    NOTIFIED = "notified"
    # A resolved incident's thread flared up: it is open again, unclaimed (`note` says why
    # it stays open when the flapping guard held back its page).
    REOPENED = "reopened"


class PageOutcome(StrEnum):
    """How a page's delivery went: delivered, failed once (retrying), or given up on."""

    DELIVERED = "delivered"
    FAILED = "failed"
    DEAD_LETTERED = "dead_lettered"


class PageDelivery(_Part):
    """One page to one target: who it was for, through which notifier, and its outcome."""

    notifier: str
    target: str
    responders: list[str] = []  # responder ids the page named
    level: Annotated[int, Field(ge=1)] | None = None
    outcome: PageOutcome
    at: AwareDatetime  # when the outcome happened


class ResponderAction(_Part):
    """What a responder's `updated` event did: gave the incident to `owner`, added `note`, or
    took the incident over (`take_over`: from `previous_owner`, to `owner`, for `reason`;
    the previous owner is told)."""

    kind: Literal["assign", "note", "take_over"]
    owner: str | None = None
    note: str | None = None
    previous_owner: str | None = None
    reason: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> ResponderAction:
        if self.kind == "assign" and not self.owner:
            raise ValueError("an assignment names its owner")
        if self.kind == "take_over" and not (self.owner and self.previous_owner and self.reason):
            raise ValueError("a take-over names its owner, the previous owner and its reason")
        if self.kind == "note" and self.note is None:
            raise ValueError("a note carries its text")
        return self


class IncidentEvent(Event):
    """A change to an incident: one per (brand, thread root), keyed by incident id.

    Schema version 2. The alerts service's events carry the incident's context `packet`.
    A responder's events (published by the API) carry who acted in `responder` (the
    responder of the credential, never a name from a request body) and the credential in
    `key_id`, and an `updated` one also its `action`: an assignment or a take-over (the
    owner is in `owner` too) or a note. No event carries both a packet and an action.

    People are named alike everywhere: `responder` is who acted, `owner` who holds the
    incident after the event (an acknowledgement, an assignment or a take-over), `paged`
    whom a `paged` or `escalated` event notified. Records written before these names are
    read too: `actor` as `responder`, and `assignee` as `paged` on a page or escalation
    (its comma-separated ids split) and as `owner` on any other event.

    Version 1 had one `context` object instead, holding the packet or, for a responder's
    update, `{"action": "assign", "owner": ...}` / `{"action": "note", "note": ...}`.
    Version-1 records are read as version 2: a context with an `action` key becomes
    `action` (`action` naming its `kind`), any other non-empty context becomes `packet`.
    """

    schema_version: Literal[2] = 2  # type: ignore[assignment]  # the other events stay at 1
    event_id: str
    type: IncidentEventType
    incident_id: str
    brand: str
    thread_root_id: str
    rule: str
    severity: Severity
    at: AwareDatetime
    mention_id: str
    mention_count: Count = 1
    peak_velocity: Annotated[float, Field(ge=0.0)] = 0.0
    summary: Annotated[str, Field(max_length=1024)] = ""
    responder: str | None = Field(default=None, validation_alias=AliasChoices("responder", "actor"))
    packet: ContextPacket | None = None
    action: ResponderAction | None = None
    # Escalation level (1 = first) that a paged/escalated event notified.
    level: Annotated[int, Field(ge=1)] | None = None
    # Who holds the incident after an acknowledgement, an assignment or a take-over.
    owner: str | None = None
    # The responder ids a `paged` or `escalated` event notified.
    paged: list[str] = []
    # A `notified` event's page and its outcome.
    delivery: PageDelivery | None = None
    # When the next escalation level fires, on `paged` and `escalated` events (None: never).
    next_escalation_at: AwareDatetime | None = None
    # What the alerts service says about its own event, e.g. "kept open: flapping".
    note: Annotated[str, Field(max_length=200)] | None = None
    # The API key a responder's event was taken with (`responder` is the key's responder).
    key_id: str | None = None
    # Set when an admin key acted for `responder` (then equal to it) rather than
    # that responder's own key: the event was taken on their behalf, with `key_id`.
    on_behalf_of: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _read_assignee(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "assignee" not in data:
            return data
        if "owner" in data or "paged" in data:
            raise ValueError("`assignee` is the old name of `owner` and `paged`: send one of them")
        read = {k: v for k, v in data.items() if k != "assignee"}
        assignee = data["assignee"]
        if assignee is None:
            return read
        if not isinstance(assignee, str):
            raise ValueError("assignee: an old record's assignee is a string")
        if data.get("type") in (IncidentEventType.PAGED, IncidentEventType.ESCALATED):
            read["paged"] = [p.strip() for p in assignee.split(",") if p.strip()]
        else:
            read["owner"] = assignee
        return read

    @model_validator(mode="before")
    @classmethod
    def _upgrade_v1(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("schema_version") != 1:
            return data
        if "packet" in data or "action" in data:
            raise ValueError("`packet` and `action` are not fields of schema version 1")
        upgraded = {k: v for k, v in data.items() if k != "context"}
        upgraded["schema_version"] = 2
        context = data.get("context") or {}
        if not isinstance(context, dict):
            raise ValueError("context: a version-1 context is an object")
        if "action" in context:
            upgraded["action"] = {"kind" if k == "action" else k: v for k, v in context.items()}
        elif context:
            upgraded["packet"] = context
        return upgraded

    @model_validator(mode="after")
    def _packet_or_action(self) -> IncidentEvent:
        if self.action is not None and self.packet is not None:
            raise ValueError("an event carries a context packet or a responder's action, not both")
        if self.action is not None and self.type is not IncidentEventType.UPDATED:
            raise ValueError("only an `updated` event carries a responder's action")
        return self


class QueueName(StrEnum):
    TRIAGE = "triage"
    SMILE_BACK = "smile_back"


class QueueItem(Event):
    """A mention placed in a human queue that does not page: triage or smile-back."""

    mention_id: str
    brand: str | None
    queue: QueueName
    reason: str
    at: AwareDatetime
    # Set by the API once a responder answered or dismissed it: it waits no longer.
    closed: Literal["answered", "dismissed"] | None = None


class BrandRuleEvent(Event):
    """The state of one brand rule after the API changed it, keyed by `rule_id` on the
    compacted brand-rules topic, so the topic's latest record per key is the current rule.

    A deletion is a record with `deleted` set (and the last query), not a tombstone: the bus
    carries bytes, and a reader from the start then needs no special case for empty values.
    """

    rule_id: str
    brand: str
    query: str
    enabled: bool = True
    deleted: bool = False
    at: AwareDatetime


class DlqRecord(Event):
    """A record a stage could not process, with the raw bytes kept for replay."""

    stage: str
    error: str
    source_id: str | None = None
    topic: str | None = None
    raw_b64: str
    at: AwareDatetime

    @classmethod
    def of(
        cls,
        *,
        stage: str,
        error: str,
        raw: bytes,
        at: datetime,
        source_id: str | None = None,
        topic: str | None = None,
    ) -> DlqRecord:
        """Build a DLQ record around the raw bytes that failed."""
        return cls(
            stage=stage,
            error=error[:2000],
            raw_b64=base64.b64encode(raw).decode("ascii"),
            at=at,
            source_id=source_id,
            topic=topic,
        )

    @property
    def raw(self) -> bytes:
        """The original bytes."""
        return base64.b64decode(self.raw_b64)

    @model_validator(mode="after")
    def _raw_is_base64(self) -> DlqRecord:
        base64.b64decode(self.raw_b64, validate=True)
        return self


E = TypeVar("E", bound=Event)


# encode and decode run once per record in every service. They call pydantic's serializer and
# validator on the bytes themselves: `model_dump_json` would hand back a str to encode again,
# and `model_validate_json` adds Python-level argument handling; either doubled the cost of a
# small event. The output and the validation are those of the two methods.


def encode(event: Event) -> bytes:
    """Serialise an event to compact UTF-8 JSON."""
    return event.__pydantic_serializer__.to_json(event)


def decode(model: type[E], raw: bytes) -> E:
    """Parse bytes into `model`, raising SchemaError with a readable reason."""
    try:
        event: E = model.__pydantic_validator__.validate_json(raw)
    except ValidationError as exc:
        # Invalid UTF-8 is never valid JSON; say which byte rather than pydantic's "invalid
        # unicode code point".
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise SchemaError(f"invalid UTF-8 at byte {bad.start}") from bad
        raise SchemaError(_describe(exc)) from exc
    return event


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False)[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "record"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def incident_id_for(*, brand: str, thread_root_id: str) -> str:
    """The stable incident id of a (brand, thread root): also the first page's dedup key."""
    digest = hashlib.sha256(f"{brand}\x00{thread_root_id}".encode()).hexdigest()[:20]
    return f"inc_{digest}"


def page_dedup_key(*, incident_id: str, reopenings: int) -> str:
    """The key receivers de-duplicate an incident's pages by: the incident id, and after the
    n-th reopening `<id>#r<n>` (PagerDuty ignores acknowledge and resolve for a key once it
    was resolved, so a flare-up needs a key of its own)."""
    return f"{incident_id}#r{reopenings}" if reopenings else incident_id


def incident_of_dedup_key(key: str) -> str:
    """The incident id a page's dedup key (as a receiver echoes it back) belongs to."""
    incident_id, _, _ = key.partition("#r")
    return incident_id
