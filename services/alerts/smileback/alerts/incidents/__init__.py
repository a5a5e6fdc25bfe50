"""Incidents: grouping mentions (the book), their state, and the context packet."""

from smileback.alerts.incidents.book import Applied, IncidentBook
from smileback.alerts.incidents.events import incident_event, surge_root_id
from smileback.alerts.incidents.model import REDACTED_TEXT, Incident, PostRef, Status
from smileback.alerts.incidents.packet import (
    GUIDE,
    MAX_SUMMARY_CHARS,
    build_packet,
    clip,
    redact_packet,
    redacted_summary,
    summarize,
    thread_section,
)
from smileback.alerts.incidents.recent import RecentComplaints
from smileback.alerts.incidents.redaction import redact_incident

__all__ = [
    "GUIDE",
    "MAX_SUMMARY_CHARS",
    "REDACTED_TEXT",
    "Applied",
    "Incident",
    "IncidentBook",
    "PostRef",
    "RecentComplaints",
    "Status",
    "build_packet",
    "clip",
    "incident_event",
    "redact_incident",
    "redact_packet",
    "redacted_summary",
    "summarize",
    "surge_root_id",
    "thread_section",
]
