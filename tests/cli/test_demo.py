import json
import os
import subprocess
import time

import httpx

from smileback.cli.demo.scenario import bundled_scenario_path, scenario_facts
from smileback.common.events import incident_id_for
from tests.support.infra import free_ports
from tests.support.processes import SMILEBACK, ServiceProcess


def _facts():
    return scenario_facts(bundled_scenario_path().read_bytes().splitlines())


def test_demo_once_prints_one_page_for_the_large_complaint():
    done = subprocess.run(
        [str(SMILEBACK), "demo", "--once"], capture_output=True, text=True, timeout=300, check=True
    )
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    facts = _facts()
    assert summary == {
        "mentions": facts.published,
        "scored": facts.published,
        "incidents": 1,
        "pages": 1,
        "smile_back": summary["smile_back"],
        "dlq": facts.bad_lines,
    }
    assert summary["smile_back"] >= 10
    assert facts.complaint_author in done.stdout  # the console page names who complained


DEMO_TOKEN = "demo-token-5c0e7a19b2d84f36a1c94"


def test_demo_serves_the_api_with_the_given_token(tmp_path):
    (port,) = free_ports(count=1)
    demo = ServiceProcess(
        args=["demo", "--port", str(port), "--speed", "600"],
        env={"SMILEBACK_DEMO_TOKEN": DEMO_TOKEN},
        log_path=tmp_path / "demo.log",
    )
    base = f"http://127.0.0.1:{port}"
    expected = incident_id_for(brand="acme", thread_root_id=_facts().complaint_root_id)
    with demo:
        deadline = time.monotonic() + 120
        incidents: list[dict[str, object]] = []
        while time.monotonic() < deadline and not incidents:
            assert demo.alive(), demo.tail()
            time.sleep(1)
            try:
                response = httpx.get(
                    f"{base}/v1/incidents", headers={"Authorization": f"Bearer {DEMO_TOKEN}"}
                )
            except httpx.TransportError:
                continue
            incidents = response.json()["items"]
        assert [i["id"] for i in incidents] == [expected], demo.tail()
        assert httpx.get(f"{base}/v1/incidents").status_code == 401
        wrong = httpx.get(f"{base}/v1/incidents", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
    assert DEMO_TOKEN in demo.log_path.read_text()  # the demo tells the user its token


def test_a_weak_demo_token_is_refused_before_anything_serves():
    done = subprocess.run(
        [str(SMILEBACK), "demo", "--port", str(free_ports(count=1)[0])],
        env={**os.environ, "SMILEBACK_DEMO_TOKEN": "demo-token"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "SMILEBACK_DEMO_TOKEN refused: it has 10 characters" in done.stdout
