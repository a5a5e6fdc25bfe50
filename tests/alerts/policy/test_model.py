"""Loading the alert policy: defaults from DESIGN.md, per-brand overrides, refused files."""

from __future__ import annotations

from pathlib import Path

import pytest

from smileback.alerts.policy import BrandPolicy, Policy, brand_handles, load_policy
from smileback.common.errors import ConfigError
from smileback.common.events import ReachTier, Severity

REPO = Path(__file__).resolve().parents[3]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


def test_defaults_follow_the_design() -> None:
    p = BrandPolicy()
    assert p.large_audience_complaint.min_negativity == 0.8
    assert p.large_audience_complaint.tiers == {ReachTier.MACRO, ReachTier.MEGA}
    assert p.large_audience_complaint.severity is Severity.CRITICAL
    assert p.brand_surge.severity is Severity.WARNING
    assert p.triage.enabled
    assert p.smile_back.enabled
    assert p.resolve_after_quiet_minutes == 60
    assert p.pagerduty_severity[Severity.CRITICAL] == "critical"


def test_brand_overrides_merge_key_by_key(tmp_path: Path) -> None:
    policy = load_policy(
        write(
            tmp_path,
            """
defaults:
  pile_on: {min_velocity: 2.0, severity: critical}
  resolve_after_quiet_minutes: 30
brands:
  acme:
    handles: [acmehelp, "@AcmeUK"]
    pile_on: {min_risk: 0.7}
    pagerduty_severity: {critical: critical, warning: error, info: info}
  globex:
""",
        )
    )
    acme = policy.for_brand("acme")
    assert acme.pile_on.min_velocity == 2.0  # from the defaults
    assert acme.pile_on.min_risk == 0.7  # the brand's own
    assert acme.pile_on.severity is Severity.CRITICAL
    assert acme.handles == ("@acmehelp", "@AcmeUK")
    assert acme.pagerduty_severity[Severity.WARNING] == "error"
    assert policy.for_brand("globex").resolve_after_quiet_minutes == 30
    assert policy.for_brand("unknown") == policy.defaults


def test_shipped_example_loads() -> None:
    policy = load_policy(REPO / "deploy" / "config" / "policy.example.yaml")
    assert "acme" in policy.brands


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        pytest.param(
            "defaults:\n  pile_on:\n    min_risk: 1.5\n", 3, "less than or equal to 1", id="range"
        ),
        pytest.param(
            "defaults:\n  large_audience_complaint:\n    tiers: [huge]\n", 3, "tiers", id="enum"
        ),
        pytest.param(
            "brands:\n  acme:\n    pile_on:\n      speed: 3\n", 4, "Extra inputs", id="unknown-key"
        ),
        pytest.param("defaults:\n  severity_map: {}\n", 2, "Extra inputs", id="unknown-top"),
        pytest.param(
            "brands:\n  acme:\n    pagerduty_severity: {critical: critical}\n",
            3,
            "needs a PagerDuty",
            id="map",
        ),
        pytest.param(
            "brands:\n  acme:\n    handles: ['two words']\n", 3, "single words", id="handles"
        ),
        pytest.param(
            "brands:\n  acme:\n    handles: ['@acme.']\n", 3, "not '@acme.'", id="not-a-handle"
        ),
        pytest.param("version: 2\n", 1, "version", id="version"),
        pytest.param("- just\n- a list\n", 1, "dictionary", id="not-a-mapping"),
    ],
)
def test_invalid_policy_is_refused_with_file_line_and_reason(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert reason in message


def test_an_error_in_the_defaults_is_reported_at_the_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "defaults:\n  brand_surge:\n    min_ratio: 0.5\nbrands:\n  acme: {}\n")
    with pytest.raises(ConfigError, match=r"policy.yaml:3: defaults.brand_surge.min_ratio"):
        load_policy(path)


def test_handles_from_brand_terms_are_added() -> None:
    handles = brand_handles(
        {"acme": ["acme", "@acmehelp", "#acmefail", "@", "@-x"], "globex": ["globex"]}
    )
    assert handles == {"acme": ("@acmehelp",), "globex": ()}
    policy = Policy().with_handles(handles)
    assert policy.for_brand("acme").handles == ("@acmehelp",)
    assert policy.escalation_policy_names() == {"default"}
