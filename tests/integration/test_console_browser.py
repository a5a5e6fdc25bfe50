"""The on-call console in headless Chromium against `smileback demo`: log in, work the incident."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from smileback.common.events import incident_id_for
from smileback.ingest.scenario import bundled_scenario_path, scenario_facts
from tests.support.infra import free_ports
from tests.support.processes import ServiceProcess

TOKEN = "console-demo-token-0123456789"
RESPONDER = "Sam Responder"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@dataclass(frozen=True)
class Demo:
    base: str
    incident_id: str
    author: str
    process: ServiceProcess

    def get(self, path: str, **params: str) -> httpx.Response:
        """A GET on the demo's API with the demo token."""
        headers = {"Authorization": f"Bearer {TOKEN}"}
        return httpx.get(f"{self.base}{path}", params=params, headers=headers, timeout=10)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`smileback demo` serving on a free port, once its scenario has been replayed."""
    facts = scenario_facts(bundled_scenario_path().read_bytes().splitlines())
    (port,) = free_ports(count=1)
    log = tmp_path_factory.mktemp("console") / "demo.log"
    process = ServiceProcess(
        args=["demo", "--port", str(port), "--speed", "100000"],
        env={"SMILEBACK_DEMO_TOKEN": TOKEN},
        log_path=log,
    )
    with process:
        running = Demo(
            base=f"http://127.0.0.1:{port}",
            incident_id=incident_id_for(brand="acme", thread_root_id=facts.complaint_root_id),
            author=facts.complaint_author.lstrip("@"),
            process=process,
        )
        deadline = time.monotonic() + 60
        while "scenario done" not in log.read_text(errors="replace"):
            assert process.alive(), process.tail()
            assert time.monotonic() < deadline, process.tail()
            time.sleep(0.2)
        listed = running.get("/v1/incidents", status="open").json()["items"]
        assert [item["id"] for item in listed] == [running.incident_id], process.tail()
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, launched once for the module."""
    assert Path(CHROMIUM).exists(), "needs Debian's chromium package (scripts/test.sh installs it)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, demo: Demo) -> Iterator[Page]:
    """A fresh tab (own sessionStorage) at laptop size; fails the test on any script error."""
    context = browser.new_context(viewport={"width": 1366, "height": 860})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.set_default_timeout(10_000)
    yield tab
    context.close()
    assert errors == [], demo.process.tail()


def _log_in(page: Page, demo: Demo, *, token: str) -> None:
    response = page.goto(f"{demo.base}/console")
    assert response is not None
    assert response.ok
    page.get_by_label("API token").fill(token)
    page.get_by_label("Your name").fill(RESPONDER)
    page.get_by_role("button", name="Log in").click()


def test_a_responder_sees_the_incident_and_acknowledges_it(
    page: Page, demo: Demo, tmp_path: Path
) -> None:
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda m: _keep_errors(m, problems))

    _log_in(page, demo, token=TOKEN)

    # The open queue shows the demo's one incident: the large-audience complaint.
    row = page.locator(f'#incident-rows tr[data-id="{demo.incident_id}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text(f"@{demo.author}")
    expect(row).to_contain_text("critical")
    expect(row).to_contain_text("acme")
    assert TOKEN not in page.url
    assert page.evaluate("document.cookie") == ""
    assert page.evaluate("sessionStorage.getItem('smileback.console.token')") == TOKEN
    page.screenshot(path=tmp_path / "queue.png")

    # Its context packet and timeline.
    row.get_by_role("button").click()
    detail = page.locator("#detail")
    expect(page.locator("#detail-status")).to_have_text("open")
    context = page.locator("#context")
    expect(context.get_by_role("heading", name="Who")).to_be_visible()
    expect(context.get_by_role("heading", name="Why")).to_be_visible()
    expect(context).to_contain_text(f"@{demo.author}")
    link = context.get_by_role("link", name=f"/@{demo.author}/").first  # opens elsewhere
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    timeline = page.locator("#timeline")
    expect(timeline.locator("li[data-type='opened']")).to_have_count(1)
    expect(timeline.locator("li[data-type='acknowledged']")).to_have_count(0)

    # Acknowledge: the state changes on the page and in the API.
    detail.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#detail-status")).to_have_text("acknowledged")
    acked = timeline.locator("li[data-type='acknowledged']")
    expect(acked).to_have_count(1)
    expect(acked).to_contain_text(RESPONDER)
    expect(detail.get_by_role("button", name="Acknowledge")).to_be_disabled()
    expect(row).to_have_count(0)  # it left the open queue
    expect(page.locator("#queue-empty")).to_be_visible()
    stored = demo.get(f"/v1/incidents/{demo.incident_id}").json()
    assert stored["status"] == "acknowledged"
    assert [e["actor"] for e in stored["timeline"] if e["type"] == "acknowledged"] == [RESPONDER]
    page.screenshot(path=tmp_path / "console.png", full_page=True)

    assert all(url.startswith(demo.base) for url in requests), requests
    assert problems == []


def test_a_responder_assigns_notes_and_resolves(page: Page, demo: Demo) -> None:
    _log_in(page, demo, token=TOKEN)
    status = demo.get(f"/v1/incidents/{demo.incident_id}").json()["status"]
    page.get_by_label("Show").select_option(status)
    page.locator(f'#incident-rows tr[data-id="{demo.incident_id}"]').get_by_role("button").click()
    detail = page.locator("#detail")
    timeline = page.locator("#timeline")

    page.get_by_label("Owner").fill("Alex Lead")
    detail.get_by_role("button", name="Assign").click()
    expect(timeline.locator("li[data-action='assign']")).to_contain_text("Alex Lead")
    expect(page.locator("#detail-facts")).to_contain_text("Alex Lead")
    expect(page.get_by_label("Owner")).to_have_value("")

    # A note is user text: it shows as text, never as markup.
    note = 'Called her back <img src=x onerror="window.pwned=1"> <b>not bold</b>'
    page.get_by_label("Note").fill(note)
    detail.get_by_role("button", name="Add note").click()
    written = timeline.locator("li[data-action='note']")
    expect(written).to_contain_text(note)
    expect(timeline.locator("img, b")).to_have_count(0)
    assert page.evaluate("window.pwned") is None

    detail.get_by_role("button", name="Resolve").click()
    expect(page.locator("#detail-status")).to_have_text("resolved")
    expect(detail.get_by_role("button", name="Resolve")).to_be_disabled()
    stored = demo.get(f"/v1/incidents/{demo.incident_id}").json()
    assert (stored["status"], stored["owner"]) == ("resolved", "Alex Lead")
    assert [e["note"] for e in stored["timeline"] if e.get("note")] == [note]


def test_a_smile_back_item_marked_answered_leaves_the_queue(page: Page, demo: Demo) -> None:
    _log_in(page, demo, token=TOKEN)
    items = page.locator("#smile-list > li")
    expect(items.first).to_be_visible()
    first = items.first
    mention_id = first.get_attribute("data-mention-id")
    assert mention_id
    first.get_by_role("button", name="Mark").click()
    expect(page.locator(f'#smile-list > li[data-mention-id="{mention_id}"]')).to_have_count(0)
    expect(page.locator("#flash")).to_contain_text(f"Marked {mention_id} answered")
    unanswered = demo.get("/v1/smile-back", answered="false", limit="500").json()
    assert mention_id not in {item["mention_id"] for item in _items(unanswered)}
    answered = demo.get("/v1/smile-back", answered="true").json()
    assert [(i["mention_id"], i["answered_by"]) for i in _items(answered)] == [
        (mention_id, RESPONDER)
    ]


def test_a_wrong_token_shows_the_error_and_stays_at_login(page: Page, demo: Demo) -> None:
    _log_in(page, demo, token="not-the-token")
    error = page.locator("#login-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("401")
    expect(error).to_contain_text("Log in again")
    expect(page.locator("#app-view")).to_be_hidden()
    expect(page.get_by_label("API token")).to_have_value("")
    assert page.evaluate("sessionStorage.getItem('smileback.console.token')") is None


def test_a_refusal_mid_session_returns_to_login(page: Page, demo: Demo) -> None:
    _log_in(page, demo, token=TOKEN)
    expect(page.locator("#smile-list > li").first).to_be_visible()
    # The key loses its scope (or is revoked) while the console is open.
    _fail(page, "**/v1/incidents?status=acknowledged*", 403, "forbidden", "needs scope read")
    page.get_by_label("Show").select_option("acknowledged")
    error = page.locator("#login-error")
    expect(error).to_contain_text("403")
    expect(error).to_contain_text("needs scope read")
    expect(page.locator("#app-view")).to_be_hidden()
    expect(page.get_by_label("API token")).to_be_focused()
    expect(page.locator("#smile-list > li")).to_have_count(0)  # nothing stays behind
    assert page.evaluate("sessionStorage.getItem('smileback.console.token')") is None


def test_a_failed_action_shows_the_api_message_and_keeps_the_item(page: Page, demo: Demo) -> None:
    _log_in(page, demo, token=TOKEN)
    _fail(page, "**/v1/smile-back/*/answered", 503, "unavailable", "database unavailable")
    first = page.locator("#smile-list > li").first
    mention_id = first.get_attribute("data-mention-id")
    first.get_by_role("button", name="Mark").click()
    expect(page.locator("#flash")).to_contain_text("503 database unavailable")
    expect(page.locator("#app-view")).to_be_visible()
    kept = page.locator(f'#smile-list > li[data-mention-id="{mention_id}"]')
    expect(kept.get_by_role("button", name="Mark")).to_be_enabled()


def _fail(page: Page, url: str, status: int, code: str, message: str) -> None:
    """Make the API answer requests to `url` with this error, as a real failure would."""
    body = json.dumps({"error": {"code": code, "message": message}})
    page.route(
        url,
        lambda route: route.fulfill(status=status, content_type="application/json", body=body),
    )


def _items(body: object) -> list[dict[str, object]]:
    """The items of a list answer, paged or bare."""
    if isinstance(body, dict):
        return list(body["items"])
    assert isinstance(body, list)
    return body


def _keep_errors(message: ConsoleMessage, into: list[str]) -> None:
    if message.type == "error":
        into.append(message.text)
