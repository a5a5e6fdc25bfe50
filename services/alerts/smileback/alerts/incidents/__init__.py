"""Incidents: grouping mentions (the book), their state, and building the context packet."""

from smileback.alerts.incidents.book import FLAPPING, Applied, IncidentBook, Reopening
from smileback.alerts.incidents.events import incident_event, surge_root_id
from smileback.alerts.incidents.model import Incident
from smileback.alerts.incidents.packet import (
    GUIDE,
    build_packet,
    post_ref,
    summarize,
    thread_section,
)
from smileback.alerts.incidents.recent import Complaint, ComplaintChanges, RecentComplaints
from smileback.alerts.incidents.redaction import redact_incident

__all__ = [
    "FLAPPING",
    "GUIDE",
    "Applied",
    "Complaint",
    "ComplaintChanges",
    "Incident",
    "IncidentBook",
    "RecentComplaints",
    "Reopening",
    "build_packet",
    "incident_event",
    "post_ref",
    "redact_incident",
    "summarize",
    "surge_root_id",
    "thread_section",
]
