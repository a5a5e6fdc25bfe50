"""Request and response models of the REST API (its contract, distinct from the bus events)."""

from smileback.api.schemas.base import ErrorBody, ErrorDetail, In, Name, Out, Page, Prose
from smileback.api.schemas.brands import (
    BRAND_NAME_PATTERN,
    BrandIn,
    BrandOut,
    BrandUpdate,
    RuleCheckIn,
    RuleCheckOut,
    RuleIn,
    RuleOut,
)
from smileback.api.schemas.incidents import (
    AssignIn,
    IncidentDetail,
    IncidentEventOut,
    IncidentOut,
    NoteIn,
    ResponderIn,
    TakeOverIn,
)
from smileback.api.schemas.mentions import MentionOut
from smileback.api.schemas.queues import AnsweredIn, SmileBackItem
from smileback.api.schemas.system import (
    Interval,
    Liveness,
    OnCallNow,
    OnCallOut,
    OnCallResponder,
    Ping,
    Readiness,
    StatsOut,
    StatsPoint,
    StatsSeries,
)

__all__ = [
    "BRAND_NAME_PATTERN",
    "AnsweredIn",
    "AssignIn",
    "BrandIn",
    "BrandOut",
    "BrandUpdate",
    "ErrorBody",
    "ErrorDetail",
    "In",
    "IncidentDetail",
    "IncidentEventOut",
    "IncidentOut",
    "Interval",
    "Liveness",
    "MentionOut",
    "Name",
    "NoteIn",
    "OnCallNow",
    "OnCallOut",
    "OnCallResponder",
    "Out",
    "Page",
    "Ping",
    "Prose",
    "Readiness",
    "ResponderIn",
    "RuleCheckIn",
    "RuleCheckOut",
    "RuleIn",
    "RuleOut",
    "SmileBackItem",
    "StatsOut",
    "StatsPoint",
    "StatsSeries",
    "TakeOverIn",
]
