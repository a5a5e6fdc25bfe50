"""The outbox: stored before sent, one row per (incident, target, kind, step), delivered in
order with backoff and jitter, dead letters with reasons, and a restart that resumes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from smileback.alerts.metrics import OUTBOX_DEPTH, OUTBOX_OLDEST_AGE, PAGE_LATENCY
from smileback.alerts.notifiers import Notification, NotificationKind, Notifier, NotifyError
from smileback.alerts.notifiers.testing import RecordingNotifier
from smileback.alerts.outbox import (
    OutboxItem,
    OutboxRow,
    OutboxSender,
    OutboxStore,
    create_schema,
    make_engine,
)
from smileback.common.events import PageDelivery
from tests.alerts.factory import notification
from tests.support.clock import FakeClock

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'alerts.db'}")
    create_schema(engine)
    return engine


def item(
    kind: str = "trigger", *, target: str = "webhook", step: int = 0, incident: str = "inc_abc", **n
) -> OutboxItem:
    return OutboxItem(
        incident_id=incident,
        target=target,
        notifier=target.split(":")[0],
        kind=NotificationKind(kind),
        step=step,
        notification=notification(kind, incident_id=incident, **n),
        ingested_at=T0 - timedelta(seconds=30) if kind == "trigger" else None,
    )


def store_items(engine: Engine, *items: OutboxItem, now: datetime = T0) -> int:
    with Session(engine) as session, session.begin():
        return OutboxStore(engine).enqueue(session, items=items, now=now)


def rows(engine: Engine) -> list[OutboxRow]:
    with Session(engine) as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def sender(engine: Engine, clock: FakeClock, notifiers: dict[str, Notifier], **kw) -> OutboxSender:
    return OutboxSender(
        store=OutboxStore(engine), notifiers=notifiers, clock=clock, jitter=lambda: 0.5, **kw
    )


def test_enqueue_stores_each_row_once(engine: Engine) -> None:
    assert store_items(engine, item(), item("resolve")) == 2
    assert store_items(engine, item(), item("resolve")) == 0  # a replay
    assert store_items(engine, item(step=1), item(target="email:ana")) == 2
    assert [(r.target, r.kind, r.step, r.status) for r in rows(engine)] == [
        ("webhook", "trigger", 0, "pending"),
        ("webhook", "resolve", 0, "pending"),
        ("webhook", "trigger", 1, "pending"),
        ("email:ana", "trigger", 0, "pending"),
    ]


def test_the_database_refuses_a_second_row_for_the_same_key(engine: Engine) -> None:
    store_items(engine, item())
    (row,) = rows(engine)
    duplicate = OutboxRow(
        incident_id=row.incident_id,
        target=row.target,
        notifier="webhook",
        kind=row.kind,
        step=row.step,
        payload=row.payload,
        status="pending",
        attempts=0,
        created_at=0.0,
        next_attempt_at=0.0,
        reported=False,
    )
    with Session(engine) as session:
        session.add(duplicate)
        with pytest.raises(IntegrityError):
            session.commit()


def test_delivers_once_and_observes_latency(engine: Engine) -> None:
    clock = FakeClock(T0)
    hook = RecordingNotifier(name="webhook")
    store_items(engine, item())
    before = PAGE_LATENCY.labels(notifier="webhook")._sum.get()
    report = sender(engine, clock, {"webhook": hook}).run_once()
    assert (report.delivered, report.retried, report.dead) == (1, 0, 0)
    assert sender(engine, clock, {"webhook": hook}).run_once().tried == 0
    assert len(hook.sent) == 1
    assert hook.sent[0].incident_id == "inc_abc"
    assert PAGE_LATENCY.labels(notifier="webhook")._sum.get() == pytest.approx(before + 30.0)
    (row,) = rows(engine)
    assert (row.status, row.attempts, row.delivered_at) == ("delivered", 1, T0.timestamp())
    assert OutboxStore(engine).backlog().depth == 0


def test_the_backlog_gauges_show_the_oldest_row_waiting_and_zero_once_all_went(
    engine: Engine,
) -> None:
    clock = FakeClock(T0)
    hook = RecordingNotifier(name="webhook", fail_times=1)
    store_items(engine, item(), now=T0 - timedelta(seconds=90))
    store_items(engine, item(incident="inc_new"), now=T0)
    send = sender(engine, clock, {"webhook": hook}, backoff_s=60.0)
    assert send.run_once().retried == 1  # the old row failed once; it waits for its retry
    assert (OUTBOX_DEPTH._value.get(), OUTBOX_OLDEST_AGE._value.get()) == (1, 90.0)
    clock.advance(seconds=120)
    send.run_once()
    assert (OUTBOX_DEPTH._value.get(), OUTBOX_OLDEST_AGE._value.get()) == (0, 0.0)


def test_rows_of_one_target_go_in_order(engine: Engine) -> None:
    clock = FakeClock(T0)
    hook = RecordingNotifier(name="webhook", fail_times=1)
    mail = RecordingNotifier(name="email")
    store_items(engine, item(), item("resolve"), item(target="email:ana"))
    first = sender(engine, clock, {"webhook": hook, "email": mail}).run_once()
    # The webhook trigger failed, so its resolve waits; the email went at once.
    assert (first.delivered, first.retried) == (1, 1)
    assert [n.kind for n in mail.sent] == ["trigger"]
    clock.advance(seconds=5)
    sender(engine, clock, {"webhook": hook, "email": mail}).run_once()
    sender(engine, clock, {"webhook": hook, "email": mail}).run_once()
    assert [n.kind for n in hook.sent] == ["trigger", "resolve"]


class FlakyUntil(Notifier):
    """Fails until the clock reaches `up_at`; counts calls."""

    name = "webhook"

    def __init__(self, clock: FakeClock, up_at: datetime) -> None:
        self.clock, self.up_at = clock, up_at
        self.calls: list[datetime] = []
        self.delivered: list[Notification] = []

    def send(self, *, notification: Notification) -> None:
        self.calls.append(self.clock())
        if self.clock() < self.up_at:
            raise NotifyError("webhook: HTTP 503 Service Unavailable")
        self.delivered.append(notification)


def drive(
    engine: Engine, clock: FakeClock, notifiers: dict[str, Notifier], *, until: datetime
) -> None:
    """Run the sender, jumping the clock to each next due time, as a long-lived loop would."""
    store = OutboxStore(engine)
    while clock() < until:
        sender(engine, clock, notifiers).run_once()  # a fresh sender each pass: nothing in memory
        due = store.next_due()
        if due is None:
            return
        clock.now = max(due, clock() + timedelta(milliseconds=1))


def test_a_receiver_down_for_ten_minutes_delays_the_page_but_never_loses_or_repeats_it(
    engine: Engine,
) -> None:
    clock = FakeClock(T0)
    up_at = T0 + timedelta(minutes=10)
    flaky = FlakyUntil(clock, up_at)
    store_items(engine, item(), item("resolve"))
    drive(engine, clock, {"webhook": flaky}, until=T0 + timedelta(hours=2))
    assert [n.kind for n in flaky.delivered] == ["trigger", "resolve"]
    delivered_at = [t for t in flaky.calls if t >= up_at]
    assert len(delivered_at) == 2
    # Backoff capped at 300 s: delivered within one cap of the receiver coming back.
    assert delivered_at[0] - up_at <= timedelta(seconds=300)
    waits = [(b - a).total_seconds() for a, b in zip(flaky.calls, flaky.calls[1:], strict=False)]
    assert waits[:4] == [1.5, 3.0, 6.0, 12.0]  # 2 s doubling, jitter 0.5 -> three quarters
    assert len(flaky.calls) < 15  # backoff, not a busy loop
    assert {r.status for r in rows(engine)} == {"delivered"}


def test_a_restart_resumes_retries_and_a_lost_lease_comes_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    first = make_engine(url)
    create_schema(first)
    clock = FakeClock(T0)
    store_items(first, item(), item(target="slack"))
    # The first process fails the webhook once, and dies mid-send of the slack row.
    sender(first, clock, {"webhook": RecordingNotifier(name="webhook", fail_times=1)}).run_once(
        limit=1
    )
    OutboxStore(first).claim_due(now=clock(), lease_s=60, limit=5)  # leased, then killed
    first.dispose()

    second = make_engine(url)
    hook, slack = RecordingNotifier(name="webhook"), RecordingNotifier(name="slack")
    clock.advance(seconds=5)
    sender(second, clock, {"webhook": hook, "slack": slack}).run_once()
    assert (len(hook.sent), len(slack.sent)) == (1, 0)  # the slack row is still leased
    clock.advance(seconds=60)
    sender(second, clock, {"webhook": hook, "slack": slack}).run_once()
    sender(second, clock, {"webhook": hook, "slack": slack}).run_once()
    assert (len(hook.sent), len(slack.sent)) == (1, 1)


def test_permanent_failure_is_a_dead_letter_with_its_reason(engine: Engine) -> None:
    clock = FakeClock(T0)
    store_items(engine, item())
    report = sender(
        engine, clock, {"webhook": RecordingNotifier(name="webhook", fail_times=1, permanent=True)}
    ).run_once()
    assert report.dead == 1
    (row,) = rows(engine)
    assert (row.status, row.last_error) == ("dead", "webhook told to fail")
    store = OutboxStore(engine)
    ((row_id, incident_id, target, error, payload),) = store.unreported_dead()
    assert (incident_id, target, error) == ("inc_abc", "webhook", "webhook told to fail")
    assert Notification.model_validate_json(payload).incident_id == "inc_abc"
    store.mark_reported(row_ids=[row_id])
    assert store.unreported_dead() == []


def test_too_old_or_unroutable_rows_are_dead_letters(engine: Engine) -> None:
    clock = FakeClock(T0)
    store_items(engine, item(), item(target="pagerduty"))
    clock.advance(hours=2)
    failing = RecordingNotifier(name="webhook", fail_times=9)
    sender(engine, clock, {"webhook": failing}, max_age=timedelta(hours=1)).run_once()
    errors = {r.target: r.last_error for r in rows(engine) if r.status == "dead"}
    assert errors["webhook"].startswith("gave up after 1 attempts")
    assert errors["pagerduty"] == "notifier 'pagerduty' is not configured"


def test_retry_after_is_honoured(engine: Engine) -> None:
    class Limited(Notifier):
        name = "webhook"

        def send(self, *, notification: Notification) -> None:
            raise NotifyError("HTTP 429", retry_after_s=42)

    clock = FakeClock(T0)
    store_items(engine, item())
    sender(engine, clock, {"webhook": Limited()}).run_once()
    assert OutboxStore(engine).next_due() == T0 + timedelta(seconds=42)


def test_redaction_rewrites_stored_copies(engine: Engine) -> None:
    store_items(engine, item(), item(target="slack"), item(incident="inc_other"))
    with Session(engine) as session, session.begin():
        changed = OutboxStore(engine).redact(session, mention_id="root")
    assert changed == 3
    assert all("Lost my order" not in r.payload for r in rows(engine))


class _FlakyStore(OutboxStore):
    """Fails to record the first `failures` deliveries, as a database mid-restart would."""

    def __init__(self, engine: Engine, *, failures: int) -> None:
        super().__init__(engine)
        self.failures = failures

    def delivered(self, *, row_id: int, now: datetime, page: PageDelivery | None = None) -> None:
        if self.failures:
            self.failures -= 1
            raise OperationalError("UPDATE outbox", {}, ConnectionRefusedError("restarting"))
        super().delivered(row_id=row_id, now=now, page=page)


def test_a_delivery_is_recorded_once_the_database_is_back_and_never_sent_twice(
    engine: Engine,
) -> None:
    clock = FakeClock(T0)
    hook = RecordingNotifier(name="webhook")
    store_items(engine, item())
    waits: list[float] = []
    flaky = OutboxSender(
        store=_FlakyStore(engine, failures=3),
        notifiers={"webhook": hook},
        clock=clock,
        wait=lambda s: waits.append(s) or False,
    )
    assert flaky.run_once().delivered == 1
    assert len(waits) == 3  # it waited out the outage instead of leaving the row leased
    assert [r.status for r in rows(engine)] == ["delivered"]
    clock.advance(hours=1)  # long past any lease
    assert sender(engine, clock, {"webhook": hook}).run_once().tried == 0
    assert len(hook.sent) == 1


def test_a_stop_during_the_database_outage_leaves_the_row_to_its_lease(engine: Engine) -> None:
    hook = RecordingNotifier(name="webhook")
    store_items(engine, item())
    stopping = OutboxSender(
        store=_FlakyStore(engine, failures=100),
        notifiers={"webhook": hook},
        clock=FakeClock(T0),
        wait=lambda _s: True,
    )
    with pytest.raises(OperationalError):
        stopping.run_once()
