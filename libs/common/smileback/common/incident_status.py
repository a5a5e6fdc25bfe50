"""Where an incident stands: the alerts service's state and the API's `status` alike."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["IncidentStatus"]


class IncidentStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
