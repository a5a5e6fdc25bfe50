import contextlib
import json
import os
import re
import subprocess
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from smileback.cli.demo.scenario import bundled_scenario_path, scenario_facts
from smileback.common.errors import SchemaError
from smileback.common.events import Mention, decode, incident_id_for
from tests.support.consoles import wait_until
from tests.support.infra import free_ports
from tests.support.processes import SMILEBACK, ServiceProcess


def _span() -> timedelta:
    """From the first to the last post of the bundled scenario."""
    lines = bundled_scenario_path().read_bytes().splitlines()
    times = [m.created_at for m in _mentions(lines) if m.created_at and not m.deleted]
    return max(times) - min(times)


def _mentions(lines: list[bytes]) -> list[Mention]:
    out = []
    for line in lines:
        with contextlib.suppress(SchemaError):
            out.append(decode(Mention, line))
    return out


def _facts():
    return scenario_facts(bundled_scenario_path().read_bytes().splitlines())


@pytest.fixture(scope="module")
def once() -> str:
    """What `smileback demo --once` prints."""
    done = subprocess.run(
        [str(SMILEBACK), "demo", "--once"], capture_output=True, text=True, timeout=300, check=True
    )
    return done.stdout


def test_demo_once_prints_one_page_for_the_large_complaint(once):
    summary = json.loads(once.strip().splitlines()[-1])
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
    assert facts.complaint_author in once  # the console page names who complained


def _told(output: str) -> list[str]:
    prefix = "smileback demo | "
    return [line[len(prefix) :] for line in output.splitlines() if line.startswith(prefix)]


def _first(told: list[str], pattern: str) -> int:
    return next(i for i, line in enumerate(told) if re.search(pattern, line))


def test_the_demo_tells_its_milestones_in_the_order_they_happen(once):
    told = _told(once)
    author = _facts().complaint_author
    complaint = _first(told, rf"the big complaint: {author} \(248,300 followers, verified\)")
    page = _first(told, r"PAGE: incident inc_\w+ \(critical\)")
    forming = _first(told, rf"the pile-on is forming: @\S+ joins {author}'s thread")
    grows = _first(told, rf"the pile-on grows: 10 negative replies and quotes in {author}'s")
    bad = [i for i, line in enumerate(told) if "a bad line went to the DLQ" in line]
    explained = _first(told, r"^dlq: 2 = the scenario's deliberately bad lines")
    assert complaint < page < forming < grows
    assert len(bad) == 2
    assert max(bad) < explained
    assert _first(told, r"smile back: @\S+: \"") < explained
    assert "page" in once.split("PAGE: incident", 1)[1]  # the page itself follows its milestone
    assert told[-1].startswith("run `smileback demo` without --once")


def test_the_demo_counts_in_correct_plurals(once):
    told = _told(once)
    progress = [line for line in told if re.match(r"\[[#.]+\] \d+/\d+ lines: ", line)]
    assert progress
    assert progress[-1].endswith(", 1 incident, 1 page, 60 to smile back, 2 in the DLQ")
    assert not re.search(r"\b1 (incidents|pages|mentions|minutes)\b", once)
    assert not re.search(r"\b([02-9]|\d\d+) (incident|page|mention|minute)\b", once)


DEMO_TOKEN = "demo-token-5c0e7a19b2d84f36a1c94"


def test_demo_serves_the_api_with_the_given_token(tmp_path):
    (port,) = free_ports(count=1)
    demo = ServiceProcess(
        args=["demo", "--port", str(port), "--speed", "600"],
        env={"SMILEBACK_DEMO_TOKEN": DEMO_TOKEN},
        log_path=tmp_path / "demo.log",
    )
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {DEMO_TOKEN}"}
    expected = incident_id_for(brand="acme", thread_root_id=_facts().complaint_root_id)
    with demo:
        wait_until(
            lambda: "scenario done" in demo.log_path.read_text(errors="replace"),
            process=demo,
            timeout_s=120,
        )
        now = datetime.now(UTC)
        incidents = httpx.get(f"{base}/v1/incidents", headers=auth).json()["items"]
        assert [i["id"] for i in incidents] == [expected], demo.tail()
        assert httpx.get(f"{base}/v1/incidents").status_code == 401
        wrong = httpx.get(f"{base}/v1/incidents", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        mentions = httpx.get(f"{base}/v1/mentions", params={"limit": 500}, headers=auth).json()
        posted = [datetime.fromisoformat(m["created_at"]) for m in mentions["items"]]
        # The story ends now: its latest post is minutes old at most, its spacing kept.
        assert timedelta(0) <= now - max(posted) < timedelta(minutes=5)
        assert max(posted) - min(posted) == _span()
        stats = httpx.get(
            f"{base}/v1/stats/mentions", params={"interval": "15m", "brand": "acme"}, headers=auth
        ).json()
        points = [p for series in stats["series"] for p in series["points"]]
        assert sum(p["volume"] for p in points) >= len(posted) - len(_facts().deleted_ids)
        assert sum(p["negative"] for p in points) > 0
    log = demo.log_path.read_text()
    assert DEMO_TOKEN in log  # the demo tells the user its token
    opening = log.split("scenario done", 1)[1]
    assert re.search(rf"console: +{base}/console\n", opening)
    assert "SMILEBACK_DEMO_TOKEN" in opening
    assert f"curl -H 'Authorization: Bearer {DEMO_TOKEN}' {base}/v1/incidents" in opening
    assert f"'{base}/v1/stats/mentions?interval=15m&brand=acme'" in opening


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
