"""Escalation of unacknowledged pages along an escalation policy. Pure: state and clock in.

A page fires level 1 at once. While nobody acknowledges, each level hands over to the
next after its `escalate_after_minutes`; after the last level the policy starts again
from level 1, `repeat` more times, then stops. `seq` counts every level fired for the
incident, so each firing has its own outbox key and a restart never fires one twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict

from smileback.common.oncall import EscalationPolicy

__all__ = ["Escalation", "EscalationState", "due_escalations", "start_escalation"]


class EscalationState(BaseModel):
    """Where one incident's escalation stands; persisted with the incident."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: str
    seq: int  # levels fired so far, over the incident's whole life
    level: int  # index of the level fired last
    round: int  # 0 on the first pass through the levels
    next_at: AwareDatetime | None  # when the next level is due; None once stopped

    def stopped(self) -> EscalationState:
        """The same state with no further level due (acknowledged, resolved or exhausted)."""
        return self.model_copy(update={"next_at": None})


@dataclass(frozen=True)
class Escalation:
    """One level to fire now, and the incident's state after firing it."""

    incident_id: str
    level: int  # index into the policy's levels
    round: int
    seq: int
    state: EscalationState


def start_escalation(
    *, policy_name: str, policy: EscalationPolicy, now: datetime, seq: int
) -> EscalationState:
    """The state right after level 1 fired at `now` as firing number `seq`."""
    return _fired(policy_name=policy_name, policy=policy, level=0, round_=0, seq=seq, now=now)


def due_escalations(
    *,
    states: Mapping[str, EscalationState],
    policies: Mapping[str, EscalationPolicy],
    now: datetime,
) -> list[Escalation]:
    """The levels due at `now`, by incident id; each fires once, timed from `now`."""
    due: list[Escalation] = []
    for incident_id, state in sorted(states.items()):
        policy = policies.get(state.policy)
        if state.next_at is None or state.next_at > now or policy is None:
            continue
        step = _next(policy=policy, level=state.level, round_=state.round)
        if step is None:
            continue
        level, round_ = step
        seq = state.seq + 1
        new = _fired(
            policy_name=state.policy, policy=policy, level=level, round_=round_, seq=seq, now=now
        )
        due.append(Escalation(incident_id, level=level, round=round_, seq=seq, state=new))
    return due


def _fired(
    *, policy_name: str, policy: EscalationPolicy, level: int, round_: int, seq: int, now: datetime
) -> EscalationState:
    after = timedelta(minutes=policy.levels[level].escalate_after_minutes)
    more = _next(policy=policy, level=level, round_=round_) is not None
    return EscalationState(
        policy=policy_name,
        seq=seq,
        level=level,
        round=round_,
        next_at=now + after if more else None,
    )


def _next(*, policy: EscalationPolicy, level: int, round_: int) -> tuple[int, int] | None:
    """The (level, round) after this one, or None when the policy is exhausted."""
    if level + 1 < len(policy.levels):
        return level + 1, round_
    if round_ < policy.repeat:
        return 0, round_ + 1
    return None
