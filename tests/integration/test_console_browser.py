"""The on-call console in headless Chromium: log in, work the incident, answer a smile-back.

Who acts is the key's responder: the api's key belongs to RESPONDER; the demo's token is
the admin's, which acts for RESPONDER only when told to ("Acting for"). Acknowledging
claims the incident, and only its owner acts on it until someone takes it over.

Every test runs against both ways the console is served (tests/support/consoles.py):
`smileback demo` on SQLite, and `smileback api` on PostgreSQL with the scenario's scored
mentions and incident events arriving through Kafka; there the responder's actions must
also reach the incidents topic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from playwright.sync_api import (
    ConsoleMessage,
    Page,
    Request,
    Route,
    expect,
)

from smileback.common.events import IncidentEventType, ResponderAction
from tests.support.console_browser import RESPONDER, log_in, screenshot
from tests.support.consoles import ConsoleSite


def test_a_responder_sees_the_incident_and_acknowledges_it(page: Page, site: ConsoleSite) -> None:
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda m: _keep_errors(m, problems))

    log_in(page, site, token=site.token)

    # The queue shows the scenario's one incident: the large-audience complaint.
    row = page.locator(f'#incident-rows tr[data-id="{site.incident_id}"]')
    expect(row).to_be_visible()
    expect(row.get_by_role("cell").nth(1)).to_contain_text(f"@{site.author}")  # "Who"
    expect(row).to_contain_text("critical")
    expect(row).to_contain_text("acme")
    assert site.token not in page.url
    assert page.evaluate("document.cookie") == ""
    assert page.evaluate("sessionStorage.getItem('smileback.console.token')") == site.token
    screenshot(page, "console-queue")

    # Its context and timeline.
    row.get_by_role("button").click()
    detail = page.locator("#detail")
    expect(page.locator("#detail-status")).to_have_text("open")
    expect(page.locator("#incident-head")).to_contain_text(f"@{site.author}")
    expect(page.locator("#why")).to_contain_text("It paged because")
    link = detail.get_by_role("link", name="Reply on Mastodon ↗")  # opens elsewhere
    expect(link).to_have_attribute("href", re.compile(f"/@{site.author}/"))
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    timeline = page.locator("#timeline")
    expect(timeline.locator("li[data-type='opened']")).to_have_count(1)
    expect(timeline.locator("li[data-type='acknowledged']")).to_have_count(0)

    # Acknowledge: the state changes on the page and in the API. The action answers with the
    # incident's state and its event only; the console then reads the incident again.
    incident_url = f"{site.base}/v1/incidents/{site.incident_id}"
    with page.expect_response(f"{incident_url}/acknowledge") as answered:
        detail.get_by_role("button", name="Acknowledge").click()
    result = answered.value.json()
    assert "timeline" not in result
    assert (result["status"], result["event"]["type"]) == ("acknowledged", "acknowledged")
    expect(page.locator("#detail-status")).to_have_text("acknowledged")
    acked = timeline.locator("li[data-type='acknowledged']")
    expect(acked).to_have_count(1)
    expect(acked).to_contain_text(RESPONDER)
    expect(detail.get_by_role("button", name="Acknowledge")).to_be_disabled()
    expect(page.locator("#lock")).to_have_text(f"Claimed by {RESPONDER} — you")
    # It stays in the default queue (open or acknowledged), now with its owner.
    expect(row).to_have_attribute("data-status", "acknowledged")
    expect(row.get_by_role("cell").nth(3)).to_have_text(RESPONDER)  # "Owner"
    stored = site.get(f"/v1/incidents/{site.incident_id}").json()
    assert stored["status"] == "acknowledged"
    assert [e["responder"] for e in stored["timeline"] if e["type"] == "acknowledged"] == [
        RESPONDER
    ]
    if site.published_actions is not None:  # and on the incidents topic, for alerts
        published = site.published_actions()
        assert [(e.type, e.responder) for e in published] == [
            (IncidentEventType.ACKNOWLEDGED, RESPONDER)
        ]
    screenshot(page, "console")
    screenshot(page, "console-phone", width=390)

    assert all(url.startswith(site.base) for url in requests), requests
    acted = requests.index(f"{incident_url}/acknowledge")
    assert incident_url in requests[acted + 1 :]  # read again after the action
    assert problems == []


def test_an_assignment_shows_and_clears_the_field_while_the_queue_still_reloads(
    page: Page, site: ConsoleSite
) -> None:
    _open_the_incident(page, site)
    queue = _held(page, lambda url: "/v1/incidents?" in url)  # a slow list query

    page.get_by_label("Owner").fill("Robin Early")
    with page.expect_request(_is_queue_request):
        page.locator("#detail").get_by_role("button", name="Assign").click()
    expect(page.get_by_label("Owner")).to_have_value("")
    expect(page.locator("#timeline li[data-action='assign']").last).to_contain_text("Robin Early")
    expect(page.locator("#detail-facts")).to_contain_text("Robin Early")
    expect(page.locator("#flash")).to_contain_text("Assigned to Robin Early.")

    assert len(queue) == 1  # the queue's answer was indeed still on its way
    queue[0].continue_()
    expect(page.locator(f'#incident-rows tr[data-id="{site.incident_id}"]')).to_be_visible()


def test_an_answer_asked_for_before_an_action_never_shows_over_it(
    page: Page, site: ConsoleSite
) -> None:
    _open_the_incident(page, site)
    before = site.get(f"/v1/incidents/{site.incident_id}").json()
    assert before["owner"] == "Robin Early"  # given away above: the lock is Robin's now
    detail = page.locator("#detail")
    lock = page.locator("#lock")
    expect(lock).to_have_text("Claimed by Robin Early: take it over (with a reason) to act on it.")
    expect(detail.get_by_role("button", name="Resolve")).to_be_disabled()
    # A refresh whose answer, computed before the take-over, arrives after it.
    held = _held(page, lambda url: url.endswith(f"/v1/incidents/{site.incident_id}"))
    page.get_by_role("button", name="Refresh").click()
    expect(detail).to_have_attribute("aria-busy", "true")

    page.get_by_label("Reason").fill("Robin is off shift")
    detail.get_by_role("button", name="Take over").click()
    expect(page.locator("#flash")).to_contain_text("Taken over from Robin Early.")
    assert len(held) == 1
    held[0].fulfill(status=200, json=before)
    expect(detail).not_to_have_attribute("aria-busy", "true")  # the late answer was handled

    expect(lock).to_have_text(f"Claimed by {RESPONDER} — you")
    taken = page.locator("#timeline li[data-action='take_over']").last
    expect(taken).to_contain_text("Robin is off shift")
    expect(taken).to_contain_text("Robin Early")
    expect(page.locator("#takeover-form")).to_be_hidden()


def test_a_responder_assigns_notes_and_resolves(page: Page, site: ConsoleSite) -> None:
    _open_the_incident(page, site)
    detail = page.locator("#detail")
    timeline = page.locator("#timeline")

    page.get_by_label("Owner").fill("Alex Lead")
    detail.get_by_role("button", name="Assign").click()
    # The newest assignment: the tests above assigned the incident before.
    expect(timeline.locator("li[data-action='assign']").last).to_contain_text("Alex Lead")
    expect(page.locator("#detail-facts")).to_contain_text("Alex Lead")
    expect(page.get_by_label("Owner")).to_have_value("")
    # Alex holds it now; taking it back is explicit.
    expect(detail.get_by_role("button", name="Resolve")).to_be_disabled()
    page.get_by_label("Reason").fill("Alex asked me to close it")
    detail.get_by_role("button", name="Take over").click()
    expect(page.locator("#lock")).to_have_text(f"Claimed by {RESPONDER} — you")

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
    stored = site.get(f"/v1/incidents/{site.incident_id}").json()
    assert (stored["status"], stored["owner"]) == ("resolved", None)  # resolving released it
    assert [e["note"] for e in stored["timeline"] if e.get("note")] == [note]
    if site.published_actions is not None:  # and on the incidents topic, for alerts
        published = [(e.type, e.action, e.responder) for e in site.published_actions()]
        assert published[-4:] == [
            (
                IncidentEventType.UPDATED,
                ResponderAction(kind="assign", owner="Alex Lead"),
                RESPONDER,
            ),
            (
                IncidentEventType.UPDATED,
                ResponderAction(
                    kind="take_over",
                    owner=RESPONDER,
                    previous_owner="Alex Lead",
                    reason="Alex asked me to close it",
                ),
                RESPONDER,
            ),
            (IncidentEventType.UPDATED, ResponderAction(kind="note", note=note), RESPONDER),
            (IncidentEventType.RESOLVED, None, RESPONDER),
        ]


def test_a_smile_back_item_marked_answered_leaves_the_queue(page: Page, site: ConsoleSite) -> None:
    log_in(page, site, token=site.token)
    items = page.locator("#smile-list > li")
    expect(items.first).to_be_visible()
    first = items.first
    mention_id = first.get_attribute("data-mention-id")
    assert mention_id
    first.get_by_role("button", name="Mark").click()
    expect(page.locator(f'#smile-list > li[data-mention-id="{mention_id}"]')).to_have_count(0)
    expect(page.locator("#flash")).to_contain_text(f"Marked {mention_id} answered")
    unanswered = site.get("/v1/smile-back", answered="false", limit="500").json()
    assert mention_id not in {item["mention_id"] for item in _items(unanswered)}
    answered = site.get("/v1/smile-back", answered="true").json()
    assert [(i["mention_id"], i["answered_by"]) for i in _items(answered)] == [
        (mention_id, RESPONDER)
    ]


def test_a_smile_back_item_not_for_us_leaves_the_queue_with_its_reason(
    page: Page, site: ConsoleSite
) -> None:
    log_in(page, site, token=site.token)
    items = page.locator("#smile-list > li")
    expect(items.last).to_be_visible()
    expect(items.last).to_contain_text("waiting")
    last = items.last
    mention_id = last.get_attribute("data-mention-id")
    assert mention_id
    page.once("dialog", lambda dialog: dialog.accept("a bot reposting our ad"))
    last.get_by_role("button", name="Not for us").click()
    expect(page.locator(f'#smile-list > li[data-mention-id="{mention_id}"]')).to_have_count(0)
    expect(page.locator("#flash")).to_contain_text(f"Dismissed {mention_id}")
    listed = site.get("/v1/smile-back", limit="500").json()
    assert mention_id not in {item["mention_id"] for item in _items(listed)}


def test_a_wrong_token_shows_the_error_and_stays_at_login(page: Page, site: ConsoleSite) -> None:
    log_in(page, site, token="not-the-token")
    error = page.locator("#login-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("401")
    expect(error).to_contain_text("Log in again")
    expect(page.locator("#app-view")).to_be_hidden()
    expect(page.get_by_label("API token")).to_have_value("")
    assert page.evaluate("sessionStorage.getItem('smileback.console.token')") is None


def test_a_refusal_mid_session_returns_to_login(page: Page, site: ConsoleSite) -> None:
    log_in(page, site, token=site.token)
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


def test_a_failed_action_shows_the_api_message_and_keeps_the_item(
    page: Page, site: ConsoleSite
) -> None:
    log_in(page, site, token=site.token)
    _fail(page, "**/v1/smile-back/*/answered", 503, "unavailable", "database unavailable")
    first = page.locator("#smile-list > li").first
    mention_id = first.get_attribute("data-mention-id")
    first.get_by_role("button", name="Mark").click()
    expect(page.locator("#flash")).to_contain_text("503 database unavailable")
    expect(page.locator("#app-view")).to_be_visible()
    kept = page.locator(f'#smile-list > li[data-mention-id="{mention_id}"]')
    expect(kept.get_by_role("button", name="Mark")).to_be_enabled()


def test_a_deep_link_opens_its_incident_once_logged_in(page: Page, site: ConsoleSite) -> None:
    deep_link = f"/console/incidents/{site.incident_id}"  # what a page links to
    log_in(page, site, token=site.token, path=deep_link)
    expect(page.locator("#detail-title")).to_have_text(f"Incident {site.incident_id}")
    expect(page.locator("#incident-head")).to_contain_text(f"@{site.author}")
    assert page.url == f"{site.base}{deep_link}"

    # The tab remembers its token: opened again, the link shows its incident with no login.
    page.reload()
    expect(page.locator("#detail-title")).to_have_text(f"Incident {site.incident_id}")
    expect(page.locator("#incident-head")).to_contain_text(f"@{site.author}")
    expect(page.locator("#login-view")).to_be_hidden()


def test_the_address_follows_the_incident_shown_back_and_forward(
    page: Page, site: ConsoleSite
) -> None:
    _open_the_incident(page, site)  # clicked in the queue
    deep_link = f"{site.base}/console/incidents/{site.incident_id}"
    expect(page).to_have_url(deep_link)

    page.go_back()
    expect(page).to_have_url(f"{site.base}/console")
    expect(page.locator("#detail-empty")).to_be_visible()
    expect(page.locator("#detail-body")).to_be_hidden()
    expect(page.locator(f'#incident-rows tr[data-id="{site.incident_id}"]')).not_to_have_attribute(
        "aria-current", "true"
    )

    page.go_forward()
    expect(page).to_have_url(deep_link)
    expect(page.locator("#detail-title")).to_have_text(f"Incident {site.incident_id}")
    expect(page.locator("#detail-body")).to_be_visible()


def test_a_link_to_no_incident_says_so(page: Page, site: ConsoleSite) -> None:
    log_in(page, site, token=site.token, path="/console/incidents/inc_gone%3Cb%3Ebold")
    missing = page.locator("#detail-missing")
    expect(missing).to_contain_text("No such incident: inc_gone<b>bold.")  # as text
    expect(page.locator("#detail-title")).to_have_text("No such incident")
    expect(page.locator("#detail b")).to_have_count(0)
    expect(page.locator("#detail-body")).to_be_hidden()
    expect(page.locator("#app-view")).to_be_visible()  # the queue is there to choose from


def _open_the_incident(page: Page, site: ConsoleSite) -> None:
    """Log in and open the scenario's incident from the queue of its current status."""
    log_in(page, site, token=site.token)
    status = site.get(f"/v1/incidents/{site.incident_id}").json()["status"]
    page.get_by_label("Show").select_option(status)
    page.locator(f'#incident-rows tr[data-id="{site.incident_id}"]').get_by_role("button").click()
    expect(page.locator("#detail-title")).to_have_text(f"Incident {site.incident_id}")


def _held(page: Page, matches: Callable[[str], bool]) -> list[Route]:
    """Hold the first GET to a matching URL until the test answers it; others pass."""
    held: list[Route] = []

    def hold(route: Route) -> None:
        if route.request.method == "GET" and not held:
            held.append(route)
        else:
            route.continue_()

    page.route(matches, hold)
    return held


def _is_queue_request(request: Request) -> bool:
    return request.method == "GET" and "/v1/incidents?" in request.url


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
