"""On-call: who is on call at an instant, and how an unacknowledged page escalates.

The public surface other services use (the API's "who is on call now" endpoint):

    config = load_oncall(settings.oncall_file)       # ConfigError: file, line and reason
    who_is_on_call(config=config, at=utc_now())      # {schedule name: Responder | None}
    on_call_at(schedule=config.schedules["social"], at=some_aware_datetime)

Everything here is pure apart from `load_oncall` reading its file.
"""

from smileback.alerts.oncall.model import (
    NOTIFIER_NAMES,
    EscalationLevel,
    EscalationPolicy,
    Layer,
    NotifierName,
    OnCallConfig,
    Override,
    Responder,
    Restriction,
    Schedule,
    Target,
    default_oncall,
    load_oncall,
)
from smileback.alerts.oncall.schedule import on_call_at, who_is_on_call

__all__ = [
    "NOTIFIER_NAMES",
    "EscalationLevel",
    "EscalationPolicy",
    "Layer",
    "NotifierName",
    "OnCallConfig",
    "Override",
    "Responder",
    "Restriction",
    "Schedule",
    "Target",
    "default_oncall",
    "load_oncall",
    "on_call_at",
    "who_is_on_call",
]
