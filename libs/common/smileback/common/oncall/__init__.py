"""The on-call file: responders, schedules and escalation policies, and who is on call.

Shared by the alerts service (who a page goes to, how it escalates) and the API ("who is
on call now"):

    config = load_oncall(settings.oncall_file)       # ConfigError: file, line and reason
    who_is_on_call(config=config, at=utc_now())      # {schedule name: Responder | None}
    on_call_at(schedule=config.schedules["social"], at=some_aware_datetime)

Everything here is pure apart from `load_oncall` reading its file.
"""

from smileback.common.oncall.model import (
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
from smileback.common.oncall.schedule import on_call_at, who_is_on_call

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
