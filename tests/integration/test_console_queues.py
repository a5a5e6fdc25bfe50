"""The console's human queues in headless Chromium: the triage queue beside smile-back, their
order, and replying to a post, then marking it answered, in one flow.

Every test runs against both ways the console is served (tests/support/consoles.py):
`smileback demo` on SQLite, and `smileback api` on PostgreSQL fed through Kafka.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.support.console_browser import RESPONDER, log_in
from tests.support.consoles import ConsoleSite


def _waiting(site: ConsoleSite, path: str, **params: str) -> dict[str, Any]:
    response = site.get(path, answered="false", **params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def _ids(page: Page, list_id: str) -> list[str | None]:
    return [
        item.get_attribute("data-mention-id") for item in page.locator(f"#{list_id} > li").all()
    ]


def test_the_triage_queue_shows_and_an_item_closes_with_its_reason(
    page: Page, site: ConsoleSite
) -> None:
    triage = _waiting(site, "/v1/triage", limit="500")
    assert triage["total"] >= 1, site.process.tail()
    log_in(page, site, token=site.token)

    tab = page.get_by_role("tab", name=re.compile("Triage"))
    expect(tab).to_have_text(f"Triage ({triage['total']})")
    expect(page.locator("#triage-list")).to_be_hidden()  # smile-back shows first
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    items = page.locator("#triage-list > li")
    expect(items.first).to_be_visible()
    expect(page.locator("#smile-list")).to_be_hidden()
    first = items.first
    mention_id = first.get_attribute("data-mention-id")
    assert mention_id in {item["mention_id"] for item in triage["items"]}
    expect(first).to_contain_text("negativity")  # why it is in triage

    page.once("dialog", lambda dialog: dialog.accept("sarcasm among friends"))
    first.get_by_role("button", name="No reply needed").click()
    expect(page.locator(f'#triage-list > li[data-mention-id="{mention_id}"]')).to_have_count(0)
    expect(tab).to_have_text(f"Triage ({triage['total'] - 1})")
    expect(page.locator("#flash")).to_contain_text(f"Dismissed {mention_id}")
    after = _waiting(site, "/v1/triage", limit="500")
    assert mention_id not in {item["mention_id"] for item in after["items"]}
    assert after["total"] == triage["total"] - 1


def test_the_order_control_sorts_by_audience_and_by_time_waiting(
    page: Page, site: ConsoleSite
) -> None:
    by_audience = [
        i["mention_id"] for i in _waiting(site, "/v1/smile-back", sort="audience")["items"]
    ]
    by_wait = [i["mention_id"] for i in _waiting(site, "/v1/smile-back", sort="waiting")["items"]]
    assert by_audience != by_wait  # the demo's people differ in audience and in wait
    followers = [
        i["mention"]["author_followers"]
        for i in _waiting(site, "/v1/smile-back", sort="audience")["items"]
    ]
    assert followers == sorted(followers, reverse=True)
    log_in(page, site, token=site.token)

    order = page.get_by_label("Order")
    expect(order).to_have_value("waiting")  # the longest wait first, by default
    expect(page.locator("#smile-list > li").first).to_have_attribute("data-mention-id", by_wait[0])
    assert _ids(page, "smile-list") == by_wait

    order.select_option(label="Largest audience")
    expect(page.locator("#smile-list > li").first).to_have_attribute(
        "data-mention-id", by_audience[0]
    )
    assert _ids(page, "smile-list") == by_audience
    top = page.locator("#smile-list > li").first
    expect(top.locator(".audience")).to_have_text(f"{followers[0]:,} followers")


def test_reply_on_the_platform_then_mark_answered_in_one_flow(
    page: Page, site: ConsoleSite
) -> None:
    # The post opens in its own tab; its request is seen and stopped: the test stays local.
    requested: list[str] = []
    page.context.on("request", lambda request: requested.append(request.url))
    page.context.route("https://**", lambda route: route.abort())
    first = _waiting(site, "/v1/smile-back", sort="waiting")["items"][0]
    mention_id, stored = first["mention_id"], first["mention"]
    platform = {"mastodon": "Mastodon", "bluesky": "Bluesky"}[stored["platform"]]
    log_in(page, site, token=site.token)
    entry = page.locator(f'#smile-list > li[data-mention-id="{mention_id}"]')
    expect(entry).to_be_visible()

    reply = entry.get_by_role("link", name=re.compile(f"Reply to .* on {platform}"))
    expect(reply).to_have_text(f"Reply on {platform} ↗")
    expect(reply).to_have_attribute("target", "_blank")
    expect(reply).to_have_attribute("rel", "noopener noreferrer")
    with page.expect_popup() as opened:
        reply.click()
    post = opened.value
    post.wait_for_load_state()  # the stopped navigation has ended
    assert post != page
    expect(reply).to_have_attribute("href", stored["url"])
    assert stored["url"] in requested
    post.close()

    # Back in the console the same item asks to be marked answered, and still does after a
    # refresh redraws the queue.
    mark = entry.get_by_role("button", name=re.compile("^Mark .* answered$"))
    expect(entry).to_contain_text(f"Replied on {platform}? Mark it answered.")
    expect(mark).to_be_focused()
    page.get_by_role("button", name="Refresh").click()
    expect(entry).to_contain_text(f"Replied on {platform}? Mark it answered.")
    expect(entry.get_by_role("button", name=re.compile("^Mark .* answered$"))).to_have_class(
        re.compile("primary")
    )

    entry.get_by_role("button", name=re.compile("^Mark .* answered$")).click()
    expect(entry).to_have_count(0)
    expect(page.locator("#flash")).to_contain_text(f"Marked {mention_id} answered")
    answered = site.get("/v1/smile-back", answered="true", limit="500").json()["items"]
    assert [
        (i["mention_id"], i["answered_by"]) for i in answered if i["mention_id"] == mention_id
    ] == [(mention_id, RESPONDER)]
