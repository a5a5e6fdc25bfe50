"""The alerts service: scored mentions and human actions in; incident events, queue items and
stored notifications out; a periodic tick for escalations, auto-resolve and dead letters.

Each batch runs the pure cores, publishes its events (flushed), then stores the changed
incidents, the changed recent complaints and the new outbox rows in one transaction; the
loop commits Kafka offsets only after that. A crash before the database commit replays the
batch from the state the last commit stored, so it makes the same decisions and yields the
same event ids; a crash after it finds every mention already counted, so nothing pages twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import cache, partial

import structlog
from prometheus_client import Histogram
from sqlalchemy import Engine

from smileback.alerts.digest import DIGEST_ID, plan_digest
from smileback.alerts.escalation import due_escalations, start_escalation
from smileback.alerts.incidents import (
    Incident,
    IncidentBook,
    RecentComplaints,
    Reopening,
    incident_event,
    post_ref,
)
from smileback.alerts.metrics import (
    ACK_LATENCY,
    AUTHOR_FOLLOWERS,
    BRAND_SURGE_RATIO,
    COMPLAINTS,
    DECISIONS,
    INCIDENTS_OPENED,
    MENTION_NEGATIVITY,
    OPEN_INCIDENTS,
    OTHER_BRAND,
    TRANSITIONS,
)
from smileback.alerts.notifiers import NotificationKind
from smileback.alerts.outbox import (
    ComplaintStore,
    IncidentStore,
    OutboxStore,
    WaitingStore,
    create_schema,
)
from smileback.alerts.paging import (
    Paging,
    TakeOver,
    plan_follow_ups,
    plan_level,
    plan_take_over,
)
from smileback.alerts.policy import Action, BrandVolume, brand_volume, classify
from smileback.alerts.writer import Batch, BatchWriter
from smileback.common.bus import Bus, Record
from smileback.common.clock import Clock
from smileback.common.dlq import dead_letter
from smileback.common.errors import SchemaError
from smileback.common.events import (
    IncidentEvent,
    IncidentEventType,
    QueueItem,
    ResponderAction,
    ScoredMention,
    Severity,
    decode,
)
from smileback.common.incident_status import IncidentStatus
from smileback.common.metrics import RECORDS, timed_batch
from smileback.common.topics import Topics

__all__ = ["NOTIFY_STAGE", "STAGE", "AlertsService"]

STAGE = "alerts"
NOTIFY_STAGE = "alerts.notify"
_HOUR = timedelta(hours=1)  # the scorer's brand volume window, and "similar in the last hour"

log = structlog.get_logger(__name__)


def _nothing() -> None:
    pass


@cache
def _distribution_series(label: str) -> tuple[Histogram, Histogram]:
    """A brand label's negativity and followers series, looked up once: looking them up for
    every mention was 2 % of the service. Labels are the configured brands and one other."""
    return MENTION_NEGATIVITY.labels(brand=label), AUTHOR_FOLLOWERS.labels(brand=label)


class AlertsService:
    """Holds the incident book and writes through to the alerts database."""

    def __init__(
        self,
        *,
        engine: Engine,
        bus: Bus,
        topics: Topics,
        clock: Clock,
        paging: Paging,
        book: IncidentBook,
        recent: RecentComplaints,
        outbox_written: Callable[[], None] = _nothing,
    ) -> None:
        """`outbox_written` is called once new outbox rows are committed (to wake a sender)."""
        self.bus, self.topics, self.clock, self.paging, self.book = bus, topics, clock, paging, book
        self.engine, self.recent = engine, recent
        # Labelled once: looking a label set up for every mention costs more than counting it.
        self._decided = {action: DECISIONS.labels(action=str(action)) for action in Action}
        self._brands = frozenset(paging.policy.brands)  # the only values of a brand label
        self.outbox = OutboxStore(engine)
        self.waiting = WaitingStore(engine)
        self.writer = BatchWriter(
            engine=engine,
            bus=bus,
            topics=topics,
            clock=clock,
            outbox=self.outbox,
            outbox_written=outbox_written,
        )

    @classmethod
    def start(
        cls,
        *,
        engine: Engine,
        bus: Bus,
        topics: Topics,
        clock: Clock,
        paging: Paging,
        outbox_written: Callable[[], None] = _nothing,
    ) -> AlertsService:
        """Create missing tables and restore the incidents and complaints a previous run left."""
        create_schema(engine)
        window = paging.policy.longest_reopen_window()
        incidents, resolved = IncidentStore(engine).load(
            closed_since=clock() - window if window is not None else None
        )
        book = IncidentBook(incidents, resolved=resolved)
        complaints = ComplaintStore(engine).load()
        log.info(
            "incidents restored",
            open=len(book),
            resolved=len(resolved),
            complaints=len(complaints),
        )
        service = cls(
            engine=engine,
            bus=bus,
            topics=topics,
            clock=clock,
            paging=paging,
            book=book,
            recent=RecentComplaints(complaints),
            outbox_written=outbox_written,
        )
        service._gauges()
        return service

    def handle(self, records: Sequence[Record]) -> None:
        """A batch from the scored-mentions, incidents and queues topics."""
        with timed_batch(STAGE, size=len(records)):
            out, ok = Batch(), 0
            for record in records:
                try:
                    if record.topic == self.topics.incidents:
                        self._human(decode(IncidentEvent, record.value), out)
                    elif record.topic == self.topics.queues:
                        out.waiting.append(decode(QueueItem, record.value))
                    else:
                        self._scored(decode(ScoredMention, record.value), out)
                except SchemaError as exc:
                    RECORDS.labels(stage=STAGE, outcome="dlq").inc()
                    dead_letter(
                        bus=self.bus,
                        topics=self.topics,
                        clock=self.clock,
                        stage=STAGE,
                        record=record,
                        error=str(exc),
                    )
                    continue
                ok += 1
                if out.items:
                    # A page (or a follow-up) is stored and sent now, not after the rest of
                    # the batch: committing here is what a batch ending at this record does.
                    self._commit(out)
                    out = Batch()
            self._commit(out)
            RECORDS.labels(stage=STAGE, outcome="ok").inc(ok)

    def tick(self) -> None:
        """Fire due escalation levels, announce held-back updates, resolve cooled threads,
        plan the smile-back digest when due, report dead letters and page outcomes."""
        now, out = self.clock(), Batch()
        for esc in due_escalations(
            states=self.book.escalations(),
            policies=self.paging.oncall.escalation_policies,
            now=now,
        ):
            inc = self.book.get(esc.incident_id)
            if inc is None:
                continue
            planned = plan_level(
                paging=self.paging, incident=inc, level=esc.level, seq=esc.seq, now=now
            )
            self.book.set_escalation(incident_id=inc.incident_id, state=esc.state)
            out.items += planned.items
            out.events.append(
                incident_event(
                    inc,
                    IncidentEventType.ESCALATED,
                    mention_id=inc.summary_mention_id,
                    now=now,
                    event_id=f"{inc.incident_id}:escalated:{esc.seq}",
                    level=esc.level + 1,
                    paged=planned.paged,
                    next_escalation_at=esc.state.next_at,
                )
            )
            log.info("escalated", incident_id=inc.incident_id, level=esc.level + 1, round=esc.round)
            TRANSITIONS.labels(state="escalated").inc()
        out.events += self.book.due_updates(now=now)
        for inc in self.book.cooled(now=now, quiet_for=self._quiet_for):
            self._close(
                inc, responder="smileback: the thread went quiet", now=now, out=out, own=True
            )
        if self.paging.digest is not None:
            out.items += plan_digest(
                rule=self.paging.digest,
                overdue=self.waiting.overdue(queued_before=now - self.paging.digest.after),
                last=self.outbox.last_step(incident_id=DIGEST_ID),
                now=now,
                link_base=self.paging.link_base,
            )
        window = self.paging.policy.longest_reopen_window()
        self.book.forget_closed(before=now - window if window is not None else now)
        self._commit(out)
        self.writer.report_dead_letters(stage=NOTIFY_STAGE)
        self.writer.report_pages(find=self.book.find)

    def _scored(self, mention: ScoredMention, out: Batch) -> None:
        now, brand = self.clock(), mention.brand
        if brand is not None and not mention.deleted:
            self._distributions(mention, brand=brand)
        policy = self.paging.policy.for_brand(brand or "")
        at = mention.created_at or now
        volume = None
        if brand is not None and mention.scores.is_negative and not mention.deleted:
            self.recent.add(brand=brand, root_id=mention.root_id, ref=post_ref(mention), at=at)
            negatives = self.recent.count(
                brand=brand, now=at, window=_HOUR, exclude_roots=self.book.open_roots(brand=brand)
            )
            volume = brand_volume(mention=mention, negatives=negatives)
            self._complaint(mention, brand=brand, volume=volume)
        decision = classify(mention=mention, policy=policy, volume=volume)
        self._decided[decision.action].inc()
        applied = self.book.apply(
            mention=mention,
            decision=decision,
            now=now,
            similar=partial(
                self.recent.similar,
                brand=brand or "",
                exclude_root=mention.root_id,
                now=at,
                window=_HOUR,
            ),
            surge_window=timedelta(minutes=policy.brand_surge.window_minutes),
            reopening=(
                Reopening(
                    within=timedelta(hours=policy.reopen_within_hours),
                    max_per_hour=policy.max_reopens_per_hour,
                )
                if policy.reopen_within_hours is not None
                else None
            ),
        )
        out.events += applied.events
        for event in applied.events:
            if event.type is IncidentEventType.OPENED:
                INCIDENTS_OPENED.labels(rule=event.rule, severity=str(event.severity)).inc()
                TRANSITIONS.labels(state="opened").inc()
            elif event.type is IncidentEventType.REOPENED:
                log.info("reopened", incident_id=event.incident_id, note=event.note)
                TRANSITIONS.labels(state="reopened").inc()
        if mention.deleted:
            self.recent.forget(mention_id=mention.id)
            out.redacted.append(mention.id)
        if applied.paged and applied.incident is not None:
            self._page(applied.incident, mention=mention, now=now, out=out)
        if decision.queue is not None:
            out.queue.append(
                QueueItem(
                    mention_id=mention.id,
                    brand=brand,
                    queue=decision.queue,
                    reason=decision.reason,
                    at=now,
                )
            )

    def _brand_label(self, brand: str) -> str:
        """The brand as a metric label: configured brands by name, the rest as one."""
        return brand if brand in self._brands else OTHER_BRAND

    def _distributions(self, mention: ScoredMention, *, brand: str) -> None:
        """The mention's negativity and its author's reach, by configured brand."""
        negativity, followers = _distribution_series(self._brand_label(brand))
        negativity.observe(mention.scores.negativity)
        followers.observe(mention.author.followers)

    def _complaint(self, mention: ScoredMention, *, brand: str, volume: BrandVolume | None) -> None:
        """A complaint by its author's reach tier, and the brand's surge ratio it read."""
        label = self._brand_label(brand)
        COMPLAINTS.labels(brand=label, tier=str(mention.scores.reach_tier)).inc()
        if volume is not None and label != OTHER_BRAND:  # one brand per series
            BRAND_SURGE_RATIO.labels(brand=label).set(volume.ratio)

    def _page(self, inc: Incident, *, mention: ScoredMention, now: datetime, out: Batch) -> None:
        name, policy = self.paging.escalation_for(inc.brand)
        seq = inc.escalation.seq + 1 if inc.escalation is not None else 0
        planned = plan_level(
            paging=self.paging,
            incident=inc,
            level=0,
            seq=seq,
            now=now,
            ingested_at=mention.ingested_at,
        )
        state = start_escalation(policy_name=name, policy=policy, now=now, seq=seq)
        # A claimed incident whose severity rises is paged again, but not escalated.
        if inc.status is IncidentStatus.ACKNOWLEDGED:
            state = state.stopped()
        inc.page_count += 1
        inc.paged_ingested_at = mention.ingested_at
        if inc.paged_at is None:
            inc.paged_at = now
        TRANSITIONS.labels(state="paged").inc()
        self.book.set_escalation(incident_id=inc.incident_id, state=state)
        out.items += planned.items
        out.events.append(
            incident_event(
                inc,
                IncidentEventType.PAGED,
                mention_id=mention.id,
                now=now,
                # Keyed by the page's sequence, not the mention that tipped it: a batch replayed
                # after a crash may reach the same page through another mention (a surge counts
                # whichever arrives twentieth), and must announce it under the same id.
                event_id=f"{inc.incident_id}:paged:{seq}",
                level=1,
                paged=planned.paged,
                next_escalation_at=state.next_at,
            )
        )

    def _human(self, event: IncidentEvent, out: Batch) -> None:
        """Acknowledge, resolve, assign or take over, as published by the API; our own events
        pass by."""
        now = self.clock()
        if event.type is IncidentEventType.ACKNOWLEDGED:
            responder = event.responder or event.owner or "unknown"
            inc = self.book.acknowledge(incident_id=event.incident_id, responder=responder)
            if inc is not None:
                log.info("acknowledged", incident_id=inc.incident_id, by=responder)
                TRANSITIONS.labels(state="acknowledged").inc()
                if inc.paged_at is not None:
                    ACK_LATENCY.observe(max(0.0, (event.at - inc.paged_at).total_seconds()))
                self._follow_up(
                    inc, kind=NotificationKind.ACKNOWLEDGE, responder=responder, now=now, out=out
                )
        elif event.type is IncidentEventType.RESOLVED:
            inc = self.book.get(event.incident_id)
            if inc is not None:
                self._close(inc, responder=event.responder, now=now, out=out, own=False)
        elif event.type is IncidentEventType.UPDATED and event.responder:
            action = event.action
            owner = event.owner or (action.owner if action is not None else None)
            inc = self.book.assign(incident_id=event.incident_id, owner=owner) if owner else None
            if inc is not None and action is not None and action.kind == "take_over":
                self._taken_over(inc, event=event, action=action, out=out)

    def _taken_over(
        self, inc: Incident, *, event: IncidentEvent, action: ResponderAction, out: Batch
    ) -> None:
        """Tell the previous owner, and only them, who took their incident over and why."""
        previous = self.paging.responder(action.previous_owner)
        if previous is None:
            log.warning(
                "taken over from someone not in the on-call file: nobody told",
                incident_id=inc.incident_id,
                previous_owner=action.previous_owner,
            )
            return
        kind = NotificationKind.TAKEN_OVER
        earlier = self.outbox.planned(incident_id=inc.incident_id, kind=kind) + [
            (item.step, item.notification)
            for item in out.items
            if item.incident_id == inc.incident_id and item.kind is kind
        ]
        items = plan_take_over(
            paging=self.paging,
            incident=inc,
            take_over=TakeOver(
                event_id=event.event_id, action=action, previous=previous, at=event.at
            ),
            earlier=earlier,
        )
        log.info(
            "taken over",
            incident_id=inc.incident_id,
            by=action.owner,
            previous_owner=previous.id,
            notices=len(items),
        )
        out.items += items

    def _close(
        self, inc: Incident, *, responder: str | None, now: datetime, out: Batch, own: bool
    ) -> None:
        self.book.resolve(incident_id=inc.incident_id, now=now)
        TRANSITIONS.labels(state="resolved").inc()
        if own:
            out.events.append(
                incident_event(
                    inc,
                    IncidentEventType.RESOLVED,
                    mention_id=inc.summary_mention_id,
                    now=now,
                    event_id=f"{inc.incident_id}:resolved:quiet"
                    + (f":r{inc.reopenings}" if inc.reopenings else ""),
                    responder=responder,
                )
            )
        log.info("resolved", incident_id=inc.incident_id, by=responder)
        self._follow_up(inc, kind=NotificationKind.RESOLVE, responder=responder, now=now, out=out)

    def _follow_up(
        self,
        inc: Incident,
        *,
        kind: NotificationKind,
        responder: str | None,
        now: datetime,
        out: Batch,
    ) -> None:
        """Tell every target a trigger reached (stored, or stored by this batch)."""
        found = {t[0]: t for t in self.outbox.triggered(incident_id=inc.incident_id)}
        for item in out.items:
            if item.incident_id == inc.incident_id and item.kind is NotificationKind.TRIGGER:
                found.setdefault(
                    item.target, (item.target, item.notifier, item.notification.recipient)
                )
        out.items += plan_follow_ups(
            paging=self.paging,
            incident=inc,
            kind=kind,
            responder=responder,
            triggered=list(found.values()),
            now=now,
        )

    def _quiet_for(self, brand: str) -> timedelta | None:
        minutes = self.paging.policy.for_brand(brand).resolve_after_quiet_minutes
        return timedelta(minutes=minutes) if minutes is not None else None

    def _commit(self, out: Batch) -> None:
        self.writer.commit(
            out, incidents=self.book.take_dirty(), complaints=self.recent.take_changes()
        )
        self._gauges()

    def _gauges(self) -> None:
        counts = dict.fromkeys(Severity, 0)
        for inc in self.book.open_incidents():
            counts[inc.severity] += 1
        for severity, n in counts.items():
            OPEN_INCIDENTS.labels(severity=str(severity)).set(n)
