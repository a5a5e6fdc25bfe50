"""Incident grouping. Pure and in memory; the service persists what `take_dirty` returns.

One incident per (brand, thread root), or per (brand, surge window) for the surge rule;
its id is the page dedup key. Later mentions update it and page again only when the
severity rises. Event ids are deterministic, so a replayed mention yields the same ids.
A resolved incident whose thread meets a paging rule again within its brand's reopening
window (a `Reopening`) flares up: it reopens, unclaimed, as a new generation whose pages
carry a new dedup key. Past the window, or without one, it stays resolved and later
mentions of its thread open nothing. The flapping guard lets a thread reopen with a page at
most `max_per_hour` times an hour; the next flare-up reopens it without one and keeps it
open (no auto-resolve) until a human resolves it.

`updated` events are coalesced: at most one per incident per UPDATE_EVERY, each carrying
the cumulative count and peak velocity. A mention inside that interval is announced by the
next one (from `due_updates`, which the service calls every tick); one that raises the
severity, and a redaction, are announced at once. A hot thread of a thousand replies is
then a handful of events for the API to store, not a thousand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from smileback.alerts.escalation import EscalationState
from smileback.alerts.incidents.events import incident_event, surge_root_id
from smileback.alerts.incidents.model import Incident
from smileback.alerts.incidents.packet import build_packet, post_ref, summarize, thread_section
from smileback.alerts.incidents.redaction import redact_incident
from smileback.alerts.policy import RULE_BRAND_SURGE, Action, Decision
from smileback.common.events import (
    IncidentEvent,
    IncidentEventType,
    ScoredMention,
    Severity,
    incident_id_for,
)
from smileback.common.incident_status import IncidentStatus
from smileback.common.packet import PostRef

__all__ = ["FLAPPING", "UPDATE_EVERY", "Applied", "IncidentBook", "Reopening"]

_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
_LATEST = 5
UPDATE_EVERY = timedelta(seconds=5)
FLAPPING = "kept open: flapping"
_FLAP_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Reopening:
    """How long after its resolve a thread's flare-up reopens it, and the flapping guard."""

    within: timedelta
    max_per_hour: int


@dataclass(frozen=True)
class Applied:
    """What one mention did: events to publish, and whether its incident pages now."""

    events: list[IncidentEvent] = field(default_factory=list)
    incident: Incident | None = None
    paged: bool = False


class IncidentBook:
    """Open incidents by id, the ids of resolved ones, and the resolved ones that may still
    reopen (`forget_closed` drops those past every reopening window)."""

    def __init__(self, incidents: Iterable[Incident] = (), *, resolved: Iterable[str] = ()) -> None:
        self._open: dict[str, Incident] = {}
        self._resolved: set[str] = set(resolved)
        self._closed: dict[str, Incident] = {}
        for inc in incidents:
            if inc.is_open:
                self._open[inc.incident_id] = inc
            else:
                self._resolved.add(inc.incident_id)
                self._closed[inc.incident_id] = inc
        self._dirty: dict[str, Incident] = {}
        # `open_roots` by brand, asked for every negative mention; dropped when it may change.
        self._roots: dict[str, frozenset[str]] | None = None

    def __len__(self) -> int:
        return len(self._open)

    def get(self, incident_id: str) -> Incident | None:
        """The open incident with this id, if any."""
        return self._open.get(incident_id)

    def find(self, incident_id: str) -> Incident | None:
        """The open incident with this id, or the resolved one the book still remembers."""
        return self._open.get(incident_id) or self._closed.get(incident_id)

    def open_incidents(self) -> list[Incident]:
        """Every open (or acknowledged) incident."""
        return list(self._open.values())

    def take_dirty(self) -> list[Incident]:
        """The incidents changed since the last call (to persist)."""
        dirty, self._dirty = list(self._dirty.values()), {}
        return dirty

    def apply(
        self,
        *,
        mention: ScoredMention,
        decision: Decision,
        now: datetime,
        similar: Callable[[], Sequence[PostRef]] = tuple,
        surge_window: timedelta = timedelta(hours=1),
        reopening: Reopening | None = None,
    ) -> Applied:
        """Open, update, re-page, reopen or redact the incident a decided mention belongs to.

        `similar` gives the other complaints a page's packet lists; it is called only when a
        packet is built (an incident opens, or its severity rises), not for every mention.
        """
        if mention.brand is None:
            return Applied()
        if mention.deleted:
            return self._redact(mention_id=mention.id, now=now)
        thread_id = incident_id_for(brand=mention.brand, thread_root_id=mention.root_id)
        if thread_id in self._resolved:
            return self._flare_up(
                thread_id,
                mention=mention,
                decision=decision,
                now=now,
                similar=similar,
                reopening=reopening,
            )
        inc = self._open.get(thread_id)
        root_id = mention.root_id
        if inc is None and decision.action is Action.PAGE and decision.rule == RULE_BRAND_SURGE:
            root_id = surge_root_id(at=mention.created_at or now, window=surge_window)
            surge_id = incident_id_for(brand=mention.brand, thread_root_id=root_id)
            if surge_id in self._resolved:
                return self._flare_up(
                    surge_id,
                    mention=mention,
                    decision=decision,
                    now=now,
                    similar=similar,
                    reopening=reopening,
                )
            inc = self._open.get(surge_id)
        if inc is None:
            if decision.action is not Action.PAGE or decision.severity is None:
                return Applied()
            return self._open_incident(
                mention=mention,
                brand=mention.brand,
                severity=decision.severity,
                decision=decision,
                root_id=root_id,
                now=now,
                similar=similar,
            )
        return self._update(inc, mention=mention, decision=decision, now=now, similar=similar)

    def due_updates(self, *, now: datetime) -> list[IncidentEvent]:
        """The `updated` events held back whose interval has passed by `now`."""
        events = []
        for inc in self._open.values():
            if inc.update_pending is not None and _interval_passed(inc, now=now):
                events.append(self._announce(inc, mention_id=inc.update_pending, now=now))
        return events

    def open_roots(self, *, brand: str) -> frozenset[str]:
        """Thread roots of the brand's open thread incidents (surges have no thread)."""
        if self._roots is None:
            roots: dict[str, set[str]] = {}
            for inc in self._open.values():
                if inc.rule != RULE_BRAND_SURGE:
                    roots.setdefault(inc.brand, set()).add(inc.thread_root_id)
            self._roots = {b: frozenset(r) for b, r in roots.items()}
        return self._roots.get(brand, frozenset())

    def escalations(self) -> dict[str, EscalationState]:
        """Escalation states of unacknowledged open incidents, by incident id."""
        return {
            inc.incident_id: inc.escalation
            for inc in self._open.values()
            if inc.status is IncidentStatus.OPEN and inc.escalation is not None
        }

    def set_escalation(self, *, incident_id: str, state: EscalationState) -> None:
        """Record where an incident's escalation stands."""
        inc = self._open.get(incident_id)
        if inc is not None:
            inc.escalation = state
            self._dirty[incident_id] = inc

    def acknowledge(self, *, incident_id: str, responder: str) -> Incident | None:
        """Claim an open incident for `responder`; None when unknown or already claimed."""
        inc = self._open.get(incident_id)
        if inc is None or inc.status is not IncidentStatus.OPEN:
            return None  # the first acknowledgement claims the thread; later ones change nothing
        inc.status, inc.owner = IncidentStatus.ACKNOWLEDGED, responder
        if inc.escalation is not None:
            inc.escalation = inc.escalation.stopped()
        self._dirty[incident_id] = inc
        return inc

    def assign(self, *, incident_id: str, owner: str) -> Incident | None:
        """Give an open incident to one owner."""
        inc = self._open.get(incident_id)
        if inc is not None:
            inc.owner = owner
            self._dirty[incident_id] = inc
        return inc

    def resolve(self, *, incident_id: str, now: datetime) -> Incident | None:
        """Close an incident; None when it is not open."""
        inc = self._open.pop(incident_id, None)
        if inc is None:
            return None
        self._roots = None
        inc.status, inc.resolved_at, inc.kept_open = IncidentStatus.RESOLVED, now, False
        if inc.escalation is not None:
            inc.escalation = inc.escalation.stopped()
        self._resolved.add(incident_id)
        self._closed[incident_id] = inc
        self._dirty[incident_id] = inc
        return inc

    def cooled(
        self, *, now: datetime, quiet_for: Callable[[str], timedelta | None]
    ) -> list[Incident]:
        """Open incidents whose thread has been quiet for its brand's `quiet_for` by `now`;
        one the flapping guard keeps open is not among them."""
        out = []
        for inc in self._open.values():
            quiet = None if inc.kept_open else quiet_for(inc.brand)
            if quiet is not None and inc.last_activity_at + quiet <= now:
                out.append(inc)
        return out

    def forget_closed(self, *, before: datetime) -> None:
        """Stop remembering the state of incidents resolved before `before` (their ids stay)."""
        for incident_id, inc in list(self._closed.items()):
            if inc.resolved_at is None or inc.resolved_at < before:
                del self._closed[incident_id]

    def _flare_up(
        self,
        incident_id: str,
        *,
        mention: ScoredMention,
        decision: Decision,
        now: datetime,
        similar: Callable[[], Sequence[PostRef]],
        reopening: Reopening | None,
    ) -> Applied:
        """Reopen a resolved incident whose thread pages again within its reopening window."""
        inc = self._closed.get(incident_id)
        if (
            inc is None
            or reopening is None
            or decision.action is not Action.PAGE
            or decision.severity is None
            or inc.resolved_at is None
            or now - inc.resolved_at > reopening.within
            or not inc.count(mention.id)
        ):
            return Applied()
        del self._closed[incident_id]
        self._resolved.discard(incident_id)
        inc.reopenings += 1
        inc.reopened_at = [t for t in inc.reopened_at if now - t < _FLAP_WINDOW] + [now]
        flapping = len(inc.reopened_at) > reopening.max_per_hour
        # Unclaimed again: whoever owned the earlier generation may be off shift by now; the
        # timeline still names them.
        inc.status, inc.owner, inc.resolved_at = IncidentStatus.OPEN, None, None
        inc.kept_open, inc.paged_at, inc.update_pending = flapping, None, None
        inc.severity, inc.rule = decision.severity, decision.rule
        self._add_mention(inc, mention=mention, now=now)
        self._headline(inc, mention=mention, decision=decision, now=now, similar=similar)
        inc.update_sent_at = now
        self._open[incident_id] = inc
        self._dirty[incident_id] = inc
        self._roots = None
        event = incident_event(
            inc,
            IncidentEventType.REOPENED,
            mention_id=mention.id,
            now=now,
            event_id=f"{incident_id}:reopened:{inc.reopenings}",
            note=FLAPPING if flapping else None,
        )
        return Applied(events=[event], incident=inc, paged=not flapping)

    def _open_incident(
        self,
        *,
        mention: ScoredMention,
        brand: str,
        severity: Severity,
        decision: Decision,
        root_id: str,
        now: datetime,
        similar: Callable[[], Sequence[PostRef]],
    ) -> Applied:
        inc = Incident(
            incident_id=incident_id_for(brand=brand, thread_root_id=root_id),
            brand=brand,
            thread_root_id=root_id,
            rule=decision.rule,
            severity=severity,
            opened_at=now,
            last_activity_at=now,
            summary="",
            summary_mention_id=mention.id,
            update_sent_at=now,  # `opened` carries the state an `updated` would
        )
        inc.count(mention.id)
        self._add_mention(inc, mention=mention, now=now)
        self._headline(inc, mention=mention, decision=decision, now=now, similar=similar)
        self._open[inc.incident_id] = inc
        self._dirty[inc.incident_id] = inc
        self._roots = None
        event = incident_event(inc, IncidentEventType.OPENED, mention_id=mention.id, now=now)
        return Applied(events=[event], incident=inc, paged=True)

    def _update(
        self,
        inc: Incident,
        *,
        mention: ScoredMention,
        decision: Decision,
        now: datetime,
        similar: Callable[[], Sequence[PostRef]],
    ) -> Applied:
        if not inc.count(mention.id):
            return Applied()  # a redelivered mention: already counted, already paged
        self._add_mention(inc, mention=mention, now=now)
        severity = decision.severity
        rises = (
            decision.action is Action.PAGE
            and severity is not None
            and _RANK[severity] > _RANK[inc.severity]
        )
        if rises and severity is not None:
            inc.severity, inc.rule = severity, decision.rule
            self._roots = None  # a thread incident that became a surge's is a thread no more
            self._headline(inc, mention=mention, decision=decision, now=now, similar=similar)
        else:
            if inc.packet is not None:
                why = inc.packet.why.model_copy(update={"peak_velocity": inc.peak_velocity})
                inc.packet = inc.packet.model_copy(
                    update={"thread": thread_section(inc), "why": why}
                )
        self._dirty[inc.incident_id] = inc
        if not rises and not _interval_passed(inc, now=now):
            inc.update_pending = mention.id
            return Applied(incident=inc)
        return Applied(
            events=[self._announce(inc, mention_id=mention.id, now=now)], incident=inc, paged=rises
        )

    def _announce(self, inc: Incident, *, mention_id: str, now: datetime) -> IncidentEvent:
        inc.update_sent_at, inc.update_pending = now, None
        self._dirty[inc.incident_id] = inc
        return incident_event(inc, IncidentEventType.UPDATED, mention_id=mention_id, now=now)

    def _add_mention(self, inc: Incident, *, mention: ScoredMention, now: datetime) -> None:
        """Fold a mention already counted (`Incident.count`) into the thread's state."""
        inc.peak_velocity = max(inc.peak_velocity, mention.scores.thread_velocity)
        inc.touch(now)
        ref = post_ref(mention)
        if not mention.is_reply and inc.root is None:
            inc.root = ref
        elif mention.is_reply:
            inc.latest = [*inc.latest, ref][-_LATEST:]

    def _headline(
        self,
        inc: Incident,
        *,
        mention: ScoredMention,
        decision: Decision,
        now: datetime,
        similar: Callable[[], Sequence[PostRef]],
    ) -> None:
        inc.summary = summarize(
            mention=mention, severity=inc.severity, rule=inc.rule, reason=decision.reason
        )
        inc.summary_mention_id = mention.id
        inc.packet = build_packet(
            incident=inc, mention=mention, decision=decision, similar=similar(), now=now
        )

    def _redact(self, *, mention_id: str, now: datetime) -> Applied:
        events = [
            incident_event(
                inc,
                IncidentEventType.UPDATED,
                mention_id=mention_id,
                now=now,
                # Not ":updated:": that id already names the update this mention caused.
                event_id=f"{inc.incident_id}:redacted:{mention_id}",
            )
            for inc in self._open.values()
            if redact_incident(inc, mention_id=mention_id)
        ]
        for event in events:
            self._dirty[event.incident_id] = self._open[event.incident_id]
        for inc in self._closed.values():  # what a reopening would bring back and store
            if redact_incident(inc, mention_id=mention_id):
                self._dirty[inc.incident_id] = inc
        return Applied(events=events)


def _interval_passed(inc: Incident, *, now: datetime) -> bool:
    return inc.update_sent_at is None or now - inc.update_sent_at >= UPDATE_EVERY
