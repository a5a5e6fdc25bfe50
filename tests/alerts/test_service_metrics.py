"""What the alerts service counts: incidents by rule and severity, their transitions, the
time to acknowledge, the negativity and reach of scored mentions by configured brand,
complaints by reach tier and the brand's surge ratio; and its /metrics as promtool reads it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from smileback.alerts.policy import Policy
from smileback.common.events import (
    IncidentEvent,
    IncidentEventType,
    ReachTier,
    Severity,
    encode,
    incident_id_for,
)
from smileback.common.health import Health
from smileback.common.oncall import (
    EscalationLevel,
    EscalationPolicy,
    OnCallConfig,
    Responder,
    Target,
)
from tests.alerts.harness import Harness
from tests.support.builders import scored_tiered as scored
from tests.support.clock import FakeClock
from tests.support.promtool import promtool_problems, scrape_worker

T0 = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _transitions() -> dict[str, float]:
    states = ("opened", "paged", "escalated", "acknowledged", "resolved")
    return {s: _sample("smileback_incident_transitions_total", state=s) for s in states}


def _moved(before: dict[str, float]) -> dict[str, float]:
    return {state: n - before[state] for state, n in _transitions().items() if n != before[state]}


def _human(
    kind: IncidentEventType, *, root: str, at: datetime, responder: str = "ana"
) -> IncidentEvent:
    return IncidentEvent(
        event_id=f"{root}:{kind}:test",
        type=kind,
        incident_id=incident_id_for(brand="acme", thread_root_id=root),
        brand="acme",
        thread_root_id=root,
        rule="large_audience_complaint",
        severity=Severity.CRITICAL,
        at=at,
        mention_id=root,
        responder=responder,
    )


def test_an_opened_incident_counts_by_rule_and_severity(tmp_path: Path, clock: FakeClock) -> None:
    h = Harness(tmp_path, clock)
    labels = {"rule": "large_audience_complaint", "severity": "critical"}
    opened_before, before = _sample("smileback_incidents_opened_total", **labels), _transitions()
    h.feed(encode(scored("metrics-open")), key="metrics-open")
    h.feed(encode(scored("metrics-open-r1", root_id="metrics-open")), key="metrics-open")
    assert _sample("smileback_incidents_opened_total", **labels) - opened_before == 1
    assert _moved(before) == {"opened": 1, "paged": 1}  # the reply updates it, no more


def test_the_time_to_acknowledge_runs_from_the_first_page(tmp_path: Path, clock: FakeClock) -> None:
    h = Harness(tmp_path, clock)
    h.feed(encode(scored("metrics-ack")), key="metrics-ack")
    count, total = (_sample(f"smileback_ack_latency_seconds_{s}") for s in ("count", "sum"))
    before = _transitions()
    clock.advance(minutes=7)
    h.human(_human(IncidentEventType.ACKNOWLEDGED, root="metrics-ack", at=clock.now))
    # A second acknowledgement claims nothing and measures nothing.
    later = _human(
        IncidentEventType.ACKNOWLEDGED, root="metrics-ack", at=clock.now, responder="ben"
    )
    h.human(later.model_copy(update={"event_id": "again"}))
    assert _sample("smileback_ack_latency_seconds_count") - count == 1
    assert _sample("smileback_ack_latency_seconds_sum") - total == pytest.approx(420.0)
    assert _moved(before) == {"acknowledged": 1}
    h.human(_human(IncidentEventType.RESOLVED, root="metrics-ack", at=clock.now))
    assert _moved(before) == {"acknowledged": 1, "resolved": 1}


def test_an_escalation_and_a_quiet_resolve_are_transitions(
    tmp_path: Path, clock: FakeClock
) -> None:
    ana = Responder(id="ana", email="ana@example.com")
    two_levels = OnCallConfig(
        responders={"ana": ana},
        escalation_policies={
            "default": EscalationPolicy(
                levels=(
                    EscalationLevel(
                        targets=(Target(user="ana"),), notify=("webhook",), escalate_after_minutes=5
                    ),
                    EscalationLevel(targets=(Target(user="ana"),), notify=("webhook",)),
                )
            )
        },
    )
    h = Harness(tmp_path, clock, oncall=two_levels)
    h.feed(encode(scored("metrics-esc")), key="metrics-esc")
    before = _transitions()
    clock.advance(minutes=5)
    h.service.tick()
    assert _moved(before) == {"escalated": 1}
    clock.advance(hours=2)  # the thread went quiet
    h.service.tick()
    assert _moved(before) == {"escalated": 1, "resolved": 1}


def test_distributions_are_labelled_by_configured_brands_only(
    tmp_path: Path, clock: FakeClock
) -> None:
    h = Harness(tmp_path, clock, policy=Policy().with_handles({"acme": ()}))
    negativity = {
        b: _sample("smileback_mention_negativity_count", brand=b) for b in ("acme", "other")
    }
    h.feed(
        encode(scored("metrics-d1", negativity=0.95, tier=ReachTier.MACRO)),
        encode(scored("metrics-d2", negativity=0.2, brand="someone-else")),
        encode(scored("metrics-d3", brand=None)),  # unmatched: no brand, no sample
        encode(scored("metrics-d4", deleted=True)),  # a tombstone has no score to show
    )
    assert _sample("smileback_mention_negativity_count", brand="acme") - negativity["acme"] == 1
    assert _sample("smileback_mention_negativity_count", brand="other") - negativity["other"] == 1
    assert _sample("smileback_mention_negativity_count", brand="someone-else") == 0
    assert _sample("smileback_author_followers_bucket", brand="acme", le="1e+07") >= 1


def test_complaints_count_by_reach_tier_and_set_the_brands_surge_ratio(
    tmp_path: Path, clock: FakeClock
) -> None:
    h = Harness(tmp_path, clock, policy=Policy().with_handles({"acme": ()}))
    tiers = {
        t: _sample("smileback_complaints_total", brand="acme", tier=t) for t in ("mega", "micro")
    }
    other = _sample("smileback_complaints_total", brand="other", tier="micro")
    h.feed(
        # The brand's usual hour is 2 negatives; this one is the first of the hour here.
        encode(scored("metrics-c1", tier=ReachTier.MEGA, brand_now=1, brand_baseline=2.0)),
        encode(scored("metrics-c2", tier=ReachTier.MICRO, brand_now=2, brand_baseline=2.0)),
        encode(scored("metrics-c3", negativity=0.1, tier=ReachTier.MICRO)),  # not a complaint
        encode(scored("metrics-c4", tier=ReachTier.MICRO, brand="someone-else", brand_now=1)),
        encode(scored("metrics-c5", tier=ReachTier.MEGA, deleted=True)),  # a tombstone
    )
    moved = {
        t: _sample("smileback_complaints_total", brand="acme", tier=t) - n for t, n in tiers.items()
    }
    assert moved == {"mega": 1, "micro": 1}
    assert _sample("smileback_complaints_total", brand="other", tier="micro") - other == 1
    # The mega complaint paged, so its thread is left out of the surge count: one complaint
    # in the hour against acme's usual 2.
    assert _sample("smileback_brand_surge_ratio", brand="acme") == pytest.approx(0.5)
    assert REGISTRY.get_sample_value("smileback_brand_surge_ratio", {"brand": "other"}) is None


def test_promtool_finds_no_problem_in_the_alerts_metrics(tmp_path: Path, clock: FakeClock) -> None:
    h = Harness(tmp_path, clock)
    h.feed(encode(scored("metrics-prom")), key="metrics-prom")
    h.deliver()
    h.human(_human(IncidentEventType.ACKNOWLEDGED, root="metrics-prom", at=clock.now))
    health = Health(needs=[])
    body = scrape_worker(health)
    for name in (
        "smileback_pages_total",
        "smileback_ack_latency_seconds",
        "smileback_outbox_depth",
    ):
        assert f"# TYPE {name}" in body
    assert promtool_problems(body) == []
