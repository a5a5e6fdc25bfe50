"""The API's SQL store: tables, migrations, engines, idempotent writes, keys, retention."""

from smileback.api.store.engine import create_schema, make_engine
from smileback.api.store.keys import ApiKey, create_key, find_key, list_keys, revoke_key
from smileback.api.store.models import (
    ApiKeyRow,
    BrandRow,
    BrandRuleRow,
    IncidentEventRow,
    IncidentRow,
    MentionLabelRow,
    MentionRow,
    QueueItemRow,
)
from smileback.api.store.retention import PurgeReport, purge_before, retention_cutoff
from smileback.api.store.writes import (
    apply_incident_event,
    compare_and_set_owner,
    upsert_mentions,
    upsert_queue_items,
)

__all__ = [
    "ApiKey",
    "ApiKeyRow",
    "BrandRow",
    "BrandRuleRow",
    "IncidentEventRow",
    "IncidentRow",
    "MentionLabelRow",
    "MentionRow",
    "PurgeReport",
    "QueueItemRow",
    "apply_incident_event",
    "compare_and_set_owner",
    "create_key",
    "create_schema",
    "find_key",
    "list_keys",
    "make_engine",
    "purge_before",
    "retention_cutoff",
    "revoke_key",
    "upsert_mentions",
    "upsert_queue_items",
]
