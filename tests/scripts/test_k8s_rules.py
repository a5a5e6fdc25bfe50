"""The PrometheusRule of deploy/k8s is the alerting rules of deploy/prometheus, rendered;
drift fails here."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from tests.support.deploy import ROOT, load_script

SCRIPT = ROOT / "scripts" / "k8s_rules.py"

_LAG = """\
groups:
  - name: smileback-lag
    rules:
      - alert: SmilebackConsumerLagGrowing
        expr: |
          sum by (topic) (smileback_consumer_lag)
            > 1000
        for: 10m
        labels:
          severity: warning
        annotations:
          summary: "Consumer lag on {{ $labels.topic }} keeps growing"
"""
_OUTBOX = """\
groups:
  - name: smileback-outbox
    rules:
      - alert: SmilebackOutboxBacklog
        expr: smileback_outbox_depth > 100
        for: 5m
        labels:
          severity: critical
"""


@pytest.fixture(scope="module")
def k8s_rules() -> ModuleType:
    return load_script(SCRIPT)


def test_the_committed_prometheus_rule_has_not_drifted_from_the_rules() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout


def test_every_group_of_every_rules_file_is_carried_in_file_order(k8s_rules, tmp_path):
    (tmp_path / "b_outbox.yml").write_text(_OUTBOX)
    (tmp_path / "a_lag.yml").write_text(_LAG)
    (tmp_path / "notes.txt").write_text("not a rules file")
    rule = yaml.safe_load(k8s_rules.render(tmp_path))
    assert (rule["apiVersion"], rule["kind"]) == ("monitoring.coreos.com/v1", "PrometheusRule")
    expected = yaml.safe_load(_LAG)["groups"] + yaml.safe_load(_OUTBOX)["groups"]
    assert rule["spec"]["groups"] == expected


def test_no_rules_directory_gives_no_groups(k8s_rules, tmp_path):
    rule = yaml.safe_load(k8s_rules.render(tmp_path / "absent"))
    assert rule["spec"]["groups"] == []


def test_the_rendered_groups_pass_promtool(k8s_rules, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "lag.yml").write_text(_LAG)
    (rules / "outbox.yml").write_text(_OUTBOX)
    spec = yaml.safe_load(k8s_rules.render(rules))["spec"]
    (tmp_path / "from-k8s.yml").write_text(yaml.safe_dump(spec))
    promtool = shutil.which("promtool")
    assert promtool, "promtool comes with Debian's prometheus package (scripts/test.sh)"
    done = subprocess.run(
        [promtool, "check", "rules", str(tmp_path / "from-k8s.yml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 2 rules found" in done.stdout


def test_a_group_name_used_twice_or_a_file_that_is_no_rules_file_is_refused(k8s_rules, tmp_path):
    (tmp_path / "a.yml").write_text(_LAG)
    (tmp_path / "b.yml").write_text(_LAG)
    with pytest.raises(ValueError, match=r"b\.yml: group .smileback-lag. is also in a\.yml"):
        k8s_rules.render(tmp_path)
    (tmp_path / "b.yml").write_text("rule_files: [a.yml]\ntests: []\n")
    with pytest.raises(ValueError, match=r"b\.yml: not a Prometheus rules file"):
        k8s_rules.render(tmp_path)


def test_check_fails_on_drift_and_a_rewrite_mends_it(k8s_rules, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "lag.yml").write_text(_LAG)
    output = tmp_path / "prometheus-rules.yaml"
    args = ["--rules", str(rules), "--output", str(output)]
    assert k8s_rules.main([*args, "--check"]) == 1
    assert not output.exists()
    assert k8s_rules.main(args) == 0
    assert k8s_rules.main([*args, "--check"]) == 0
    (rules / "outbox.yml").write_text(_OUTBOX)
    assert k8s_rules.main([*args, "--check"]) == 1
    # The PromQL keeps its lines: a multi-line expression is a literal block.
    assert "expr: |\n" in output.read_text()


def test_the_base_kustomization_includes_the_rendered_rule() -> None:
    kustomization = yaml.safe_load((ROOT / "deploy/k8s/base/kustomization.yaml").read_text())
    assert "prometheus-rules.yaml" in kustomization["resources"]
    assert Path(ROOT / "deploy/k8s/base/prometheus-rules.yaml").is_file()
