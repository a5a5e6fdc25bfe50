"""The console as the responder meets it at three a.m., in headless Chromium: the incident view
(header, why it paged, the thread's figures now and at page time, the thread newest first,
the guide for this rule and owner), the queue that triages and refreshes itself with counts
in the tab title, and the layouts of a phone (390 px) and a laptop (1366 px).

Both sites of tests/support/consoles.py serve it: `smileback demo` on SQLite, and
`smileback api` on PostgreSQL fed through Kafka. The tests run in file order on one site:
the queue's tests add incidents, the last one acknowledges the scenario's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from smileback.common.clock import utc_now
from smileback.common.events import IncidentEvent, IncidentEventType, Severity
from tests.support.builders import incident_event, quoting_packet, scored
from tests.support.console_browser import RESPONDER, fresh_tab, log_in
from tests.support.consoles import ConsoleSite

POLL_WAIT_MS = 20_000  # the console polls every 5 s; a loaded machine may answer slowly
TITLE = "Smileback on-call console"
PHONE = {"width": 390, "height": 844}


def _new_incident(
    incident_id: str, *, severity: Severity, minutes_ago: float, handle: str
) -> IncidentEvent:
    """An incident opened `minutes_ago`, its packet quoting a post by `handle`."""
    at = utc_now() - timedelta(minutes=minutes_ago)
    post = scored(f"post-{incident_id}", handle=handle, created_at=at, followers=12_345)
    packet = quoting_packet(post).model_copy(
        update={"incident_id": incident_id, "severity": severity}
    )
    return incident_event(
        IncidentEventType.OPENED,
        incident_id=incident_id,
        mention_id=post.id,
        at=at,
        severity=severity,
        packet=packet,
        thread_root_id=post.id,
    )


def _rows(page: Page) -> list[str]:
    return [row.get_attribute("data-id") or "" for row in page.locator("#incident-rows > tr").all()]


def test_the_queue_refreshes_itself_and_keeps_what_the_responder_types(
    page: Page, site: ConsoleSite
) -> None:
    log_in(page, site, token=site.token, path=f"/console/incidents/{site.incident_id}")
    expect(page).to_have_title(f"(1) {TITLE}")
    expect(page.locator("#detail-title")).to_have_text(f"Incident {site.incident_id}")
    page.evaluate("window.notReloaded = true")
    draft = "Called the café manager, waiting to hear"
    page.get_by_label("Note").fill(draft)

    site.add_incident(
        _new_incident("inc_browser_warn", severity=Severity.WARNING, minutes_ago=30, handle="wren")
    )

    fresh = page.locator('#incident-rows tr[data-id="inc_browser_warn"]')
    expect(fresh).to_be_visible(timeout=POLL_WAIT_MS)
    expect(page).to_have_title(f"(2) {TITLE}")
    assert page.evaluate("window.notReloaded") is True
    expect(page.get_by_label("Note")).to_have_value(draft)
    expect(page.locator("#detail-title")).to_have_text(f"Incident {site.incident_id}")
    expect(page.locator(f'#incident-rows tr[data-id="{site.incident_id}"]')).to_have_attribute(
        "aria-current", "true"
    )


def test_the_queue_puts_unacknowledged_critical_first_then_severity_then_the_oldest(
    page: Page, site: ConsoleSite
) -> None:
    log_in(page, site, token=site.token)
    expect(page).to_have_title(f"(2) {TITLE}")
    site.add_incident(
        _new_incident("inc_browser_crit", severity=Severity.CRITICAL, minutes_ago=0, handle="kai")
    )
    expect(page).to_have_title(f"(3) {TITLE}", timeout=POLL_WAIT_MS)
    expect(page.locator("#incident-rows > tr")).to_have_count(3)
    # Both critical ones first, the one waiting longer (the scenario's, opened when the site
    # started) first; then the warning, though it has waited half an hour.
    assert _rows(page) == [site.incident_id, "inc_browser_crit", "inc_browser_warn"]

    row = page.locator('#incident-rows tr[data-id="inc_browser_crit"]')
    cells = row.get_by_role("cell")
    expect(cells.nth(1)).to_contain_text("@kai")
    expect(cells.nth(1)).to_contain_text("12.3K followers")  # the audience, compact
    expect(cells.nth(2)).to_have_text("Acme Coffee, my order never arrived")  # the excerpt
    expect(cells.nth(3)).to_have_text("nobody")  # the owner
    expect(cells.nth(4)).to_have_text(re.compile(r"^\d+ s$"))  # unacknowledged this long


def test_the_incident_view_says_who_why_and_what_to_do(page: Page, site: ConsoleSite) -> None:
    detail = site.get(f"/v1/incidents/{site.incident_id}").json()
    packet, live = detail["context"], detail["live"]
    log_in(page, site, token=site.token, path=f"/console/incidents/{site.incident_id}")

    # The header: who, to how many, the post once in large type, where to reply, Acknowledge.
    head = page.locator("#incident-head")
    expect(head.locator("#detail-who")).to_contain_text(f"@{site.author}")
    followers = f"{packet['who']['followers']:,} followers"
    expect(head.locator("#detail-audience")).to_have_text(followers)
    post = page.locator("#detail-post")
    expect(post).to_have_text(packet["what"]["text"])
    assert float(post.evaluate("n => parseFloat(getComputedStyle(n).fontSize)")) >= 20
    reply = page.get_by_role("link", name="Reply on Mastodon ↗")
    expect(reply).to_have_attribute("href", packet["what"]["url"])
    expect(reply).to_have_attribute("rel", "noopener noreferrer")
    expect(page.locator("#detail").get_by_role("button", name="Acknowledge")).to_be_enabled()
    # The post is on the page once, not in a summary, a table and the thread again.
    assert page.locator("#detail").inner_text().count(packet["what"]["text"]) == 1

    # Why it paged, in one sentence with its figures.
    verified = " (verified)" if packet["who"]["verified"] else ""
    expect(page.locator("#why")).to_have_text(
        f"It paged because @{site.author}, with {followers}{verified}, posted a complaint about "
        f"acme (negativity {packet['why']['negativity']:.2f})."
    )

    # The thread's figures now, beside those at page time, each marked as such.
    figures = page.locator("#figures")
    expect(figures.get_by_role("columnheader", name="At page time")).to_be_visible()
    velocity = figures.locator('tr[data-figure="velocity"]')
    expect(velocity.locator(".now")).to_have_text(f"{live['thread_velocity']:.1f}")
    expect(velocity.locator(".then")).to_have_text(f"{packet['why']['thread_velocity']:.1f}")
    risk = figures.locator('tr[data-figure="risk"]')
    expect(risk.locator(".now")).to_have_text(f"{live['pile_on_risk']:.2f}")
    expect(risk.locator(".then")).to_have_text(f"{packet['why']['pile_on_risk']:.2f}")
    mentions = figures.locator('tr[data-figure="mentions"]')
    expect(mentions.locator(".now")).to_have_text(f"{live['mentions']:,}")
    expect(mentions.locator(".then")).to_have_text(f"{live['mentions_at_page_time']:,}")
    expect(page.locator("#figures-as-of")).to_contain_text("as of the thread's newest post")
    assert live["mentions"] > live["mentions_at_page_time"]  # the thread grew after it paged

    # The thread once, newest first, negatives marked.
    thread = detail["thread_mentions"]
    expected = [m["id"] for m in reversed(thread)]
    shown = page.locator("#thread > li")
    expect(shown).to_have_count(len(expected))
    assert [li.get_attribute("data-mention-id") for li in shown.all()] == expected
    negatives = sum(1 for m in thread if m["is_negative"])
    assert negatives > 0
    expect(page.locator('#thread > li[data-negative="true"]')).to_have_count(negatives)
    expect(page.locator('#thread > li[data-negative="true"]').first).to_contain_text("negative")
    expect(page.locator("#thread")).to_contain_text("followers")
    expect(page.locator("#similar-title")).to_be_visible()

    # The guide: for this rule, and for an unowned thread, acknowledge first.
    guide = page.locator("#guide > li")
    expect(guide.first).to_contain_text("acknowledge first")
    expect(page.locator("#guide")).to_contain_text("answer in public within the hour")

    # Acknowledged, the thread is the responder's, and the guide says so.
    page.locator("#detail").get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#detail-status")).to_have_text("acknowledged")
    expect(guide.first).to_contain_text("You own this thread")
    # Given to someone else, the guide warns against piling on.
    page.get_by_label("Owner").fill("Robin Early")
    page.locator("#detail").get_by_role("button", name="Assign").click()
    expect(guide.first).to_have_text(
        "Robin Early owns this thread: do not reply in it yourself (the brand would pile on). "
        "Talk to Robin Early, or take it over with a reason."
    )
    assert RESPONDER != "Robin Early"


@pytest.fixture
def phone(browser: Browser, site: ConsoleSite) -> Iterator[Page]:
    """A tab 390 px wide, as a phone shows it; fails the test on any script error."""
    with fresh_tab(browser, site, viewport=PHONE, is_mobile=True, has_touch=True) as tab:
        yield tab


def _page_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_on_a_phone_nothing_overflows_the_queue_is_cards_and_the_actions_stay_in_reach(
    phone: Page, site: ConsoleSite
) -> None:
    log_in(phone, site, token=site.token)
    phone.get_by_label("Show").select_option("open")
    row = phone.locator('#incident-rows tr[data-id="inc_browser_crit"]')
    expect(row).to_be_visible()
    assert _page_width(phone) <= PHONE["width"]
    expect(row).to_have_css("display", "block")  # a card
    expect(phone.locator("table.incidents thead")).to_be_hidden()

    phone.get_by_label("Show").select_option("acknowledged")
    phone.locator(f'#incident-rows tr[data-id="{site.incident_id}"]').get_by_role("button").click()
    expect(phone.locator("#detail-post")).to_be_visible()
    assert _page_width(phone) <= PHONE["width"]

    # Scrolled down to the timeline, the bar is still on screen with its three actions.
    phone.locator("#timeline").scroll_into_view_if_needed()
    bar = phone.locator("#incident-actions")
    expect(bar).to_have_css("position", "sticky")
    box = bar.bounding_box()
    assert box is not None
    assert box["y"] >= 0
    assert box["y"] + box["height"] <= PHONE["height"]
    expect(bar.get_by_role("button", name="Acknowledge")).to_be_visible()
    expect(bar.get_by_role("link", name="Reply on Mastodon ↗")).to_be_visible()
    expect(bar.get_by_role("button", name="Resolve")).to_be_visible()
    assert _page_width(phone) <= PHONE["width"]


def test_at_laptop_width_the_queue_is_a_table_beside_the_incident(
    page: Page, site: ConsoleSite
) -> None:
    log_in(page, site, token=site.token, path=f"/console/incidents/{site.incident_id}")
    expect(page.locator("#detail-post")).to_be_visible()
    expect(page.locator("table.incidents thead")).to_be_visible()
    assert _page_width(page) <= 1366
    queue, detail = page.locator("#queue").bounding_box(), page.locator("#detail").bounding_box()
    assert queue is not None
    assert detail is not None
    assert detail["x"] >= queue["x"] + queue["width"]  # side by side
    expect(page.locator("#incident-actions")).to_have_css("position", "static")
