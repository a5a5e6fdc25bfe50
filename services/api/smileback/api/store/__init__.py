"""The API's SQL store: tables, engines and idempotent writes."""

from smileback.api.store.engine import create_schema, make_engine
from smileback.api.store.models import (
    REDACTED_TEXT,
    IncidentEventRow,
    IncidentRow,
    IncidentStatus,
    MentionRow,
    QueueItemRow,
)
from smileback.api.store.writes import apply_incident_event, upsert_mention, upsert_queue_item

__all__ = [
    "REDACTED_TEXT",
    "IncidentEventRow",
    "IncidentRow",
    "IncidentStatus",
    "MentionRow",
    "QueueItemRow",
    "apply_incident_event",
    "create_schema",
    "make_engine",
    "upsert_mention",
    "upsert_queue_item",
]
