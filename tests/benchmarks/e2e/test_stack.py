"""The harness's page receiver: it answers every page and keeps each dedup key's first arrival."""

from __future__ import annotations

import time

import httpx

from benchmarks.e2e.stack import pages_receiver


def test_the_receiver_accepts_pages_and_keeps_the_first_arrival_per_dedup_key() -> None:
    with pages_receiver() as pages:
        before = time.time()
        first = httpx.post(pages.url, json={"event": "trigger", "dedup_key": "inc_1"})
        httpx.post(pages.url, json={"event": "acknowledge", "dedup_key": "inc_1"})
        httpx.post(pages.url, json={"event": "trigger", "dedup_key": "inc_2"})
        not_json = httpx.post(pages.url, content=b"not json")
        arrived = pages.arrived("inc_1")
    assert first.status_code == 204
    assert not_json.status_code == 204  # a receiver never makes alerts retry
    assert arrived is not None
    assert before <= arrived <= time.time()
    assert pages.arrived("inc_2") is not None
    assert pages.arrived("inc_3") is None
    assert pages.total == 3
