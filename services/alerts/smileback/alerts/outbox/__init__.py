"""The persisted outbox: every notification is stored before it is sent, then delivered with
backoff by a sender that resumes after a restart; incident state and the recent complaints
the surge rule counts are persisted beside it."""

from smileback.alerts.outbox.complaints import ComplaintStore
from smileback.alerts.outbox.db import (
    ComplaintRow,
    IncidentStateRow,
    OutboxRow,
    PageOutcomeRow,
    WaitingRow,
    create_schema,
    make_engine,
)
from smileback.alerts.outbox.item import OutboxItem, Pending
from smileback.alerts.outbox.sender import OutboxSender, SendReport
from smileback.alerts.outbox.state import IncidentStore
from smileback.alerts.outbox.store import OutboxStore, RowStatus
from smileback.alerts.outbox.waiting import Overdue, WaitingStore

__all__ = [
    "ComplaintRow",
    "ComplaintStore",
    "IncidentStateRow",
    "IncidentStore",
    "OutboxItem",
    "OutboxRow",
    "OutboxSender",
    "OutboxStore",
    "Overdue",
    "PageOutcomeRow",
    "Pending",
    "RowStatus",
    "SendReport",
    "WaitingRow",
    "WaitingStore",
    "create_schema",
    "make_engine",
]
