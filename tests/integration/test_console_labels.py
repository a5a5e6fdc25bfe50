"""Labels that teach the model, from the console in headless Chromium: a responder labels a
smile-back item and a mention of the incident's thread, sees the confirmation, and the API
lists the label as theirs (the key's responder, or whom the demo's admin token acts for).

Runs against both ways the console is served (tests/support/consoles.py): `smileback demo` on
SQLite, and `smileback api` on PostgreSQL fed through Kafka.
"""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from tests.support.console_browser import RESPONDER, log_in
from tests.support.consoles import ConsoleSite


def _label(mention: Locator, button: str) -> Locator:
    """Open the mention's "Label for the model", press `button`; its confirmation."""
    labels = mention.locator(":scope > .labels")
    labels.get_by_text("Label for the model").click()
    labels.get_by_role("group", name="Label this mention for the model").get_by_role(
        "button", name=button, exact=True
    ).click()
    return labels.get_by_role("status")


def _labels_of(site: ConsoleSite, mention_id: str) -> list[tuple[str, str]]:
    listed = site.get("/v1/mentions/labels", mention_id=mention_id).json()["items"]
    return [(item["label"], item["responder"]) for item in listed]


def test_a_smile_back_item_is_labelled_not_for_us_and_stays_in_the_queue(
    page: Page, site: ConsoleSite
) -> None:
    log_in(page, site, token=site.token)
    item = page.locator("#smile-list > li").first
    expect(item).to_be_visible()
    mention_id = item.get_attribute("data-mention-id")
    assert mention_id

    status = _label(item, "Not for us")
    expect(status).to_contain_text(f"Labelled not for us, by {RESPONDER}.")
    pressed = item.get_by_role("button", name="Not for us", exact=True, pressed=True)
    expect(pressed).to_have_count(1)  # the label's button, not the queue's dismissal
    assert _labels_of(site, mention_id) == [("not_for_us", RESPONDER)]
    # Labelling teaches the model; it does not answer or dismiss the item.
    expect(page.locator(f'#smile-list > li[data-mention-id="{mention_id}"]')).to_have_count(1)


def test_a_mention_of_the_incident_is_labelled_a_missed_complaint(
    page: Page, site: ConsoleSite
) -> None:
    log_in(page, site, token=site.token, path=f"/console/incidents/{site.incident_id}")
    expect(page.locator("#detail-title")).to_have_text(f"Incident {site.incident_id}")
    mention = page.locator("#detail [data-mention-id]").first
    expect(mention).to_be_visible()
    mention_id = mention.get_attribute("data-mention-id")
    assert mention_id

    status = _label(mention, "Missed complaint")
    expect(status).to_contain_text(f"Labelled a missed complaint, by {RESPONDER}")
    # Pressed again, the label is kept once (its time moves on); "Saving…" until it is.
    mention.get_by_role("button", name="Missed complaint", exact=True).click()
    expect(status).to_contain_text(f"Labelled a missed complaint, by {RESPONDER}")
    assert _labels_of(site, mention_id) == [("missed_complaint", RESPONDER)]
    exported = site.get("/v1/mentions/labels.jsonl")
    assert exported.status_code == 200
    assert f'"mention_id":"{mention_id}"' in exported.text
