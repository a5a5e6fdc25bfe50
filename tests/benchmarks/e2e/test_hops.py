"""Time to page by hop: the spreads from each probe's moments, and finding a probe's records."""

from __future__ import annotations

import json

import pytest

from benchmarks.e2e.hops import HOPS, Trail, breakdown, by_key, by_staged_id


def _trail(probe_id: str, start: float, steps: list[float]) -> Trail:
    """A probe written at `start`, reaching each next mark `steps[i]` seconds after the last."""
    at, now = {"written": start}, start
    marks = ["raw", "by_brand", "scored", "incident", "page"]
    for mark, step in zip(marks, steps, strict=False):
        now += step
        at[mark] = now
    return Trail(probe_id=probe_id, at=at)


def test_each_hop_spreads_over_the_probes_seen_at_both_of_its_ends() -> None:
    trails = [
        _trail("p500:0", 1000.0, [0.01, 0.5, 0.2, 1.0, 0.25]),
        _trail("p500:1", 2000.0, [0.03, 1.5, 0.4, 3.0, 0.75]),
        _trail("p500:2", 3000.0, [0.02, 2.5]),  # still on its way: no scored, incident or page
    ]
    hops = breakdown(trails)
    assert list(hops) == [name for name, _, _ in HOPS]
    ingest = hops["ingest→raw"]
    assert ingest is not None
    assert ingest.n == 3
    assert (ingest.min, ingest.max) == pytest.approx((0.01, 0.03))
    thread_step = hops["raw→by-brand (scorer thread step)"]
    assert thread_step is not None
    assert thread_step.n == 3
    assert thread_step.p50 == pytest.approx(1.5)
    notifier = hops["incident→page (notifier)"]
    assert notifier is not None
    assert notifier.n == 2
    assert notifier.p50 == pytest.approx(0.5)
    assert notifier.p99 == pytest.approx(0.25 + 0.99 * 0.5)


def test_a_hop_no_probe_finished_has_no_spread() -> None:
    hops = breakdown([_trail("p50:0", 10.0, [0.1])])
    assert hops["ingest→raw"] is not None
    assert hops["scored→incident (alerts)"] is None
    assert breakdown([]) == {name: None for name, _, _ in HOPS}


def test_by_key_maps_a_record_key_to_its_probe() -> None:
    match = by_key({"inc_abc": "p500:3"})
    assert match(b"inc_abc", b"{}") == "p500:3"
    assert match(b"inc_abd", b"{}") is None
    assert match(None, b"{}") is None


def test_by_staged_id_reads_the_scored_id_of_values_that_mention_a_probe() -> None:
    match = by_staged_id(["p500:1", "p500:10"], marker="p500:")

    def staged(mention_id: str) -> bytes:
        return json.dumps({"scored": {"id": mention_id, "text": "…"}, "at": "t"}).encode()

    assert match(b"acme", staged("p500:10")) == "p500:10"
    assert match(b"acme", staged("p500:1")) == "p500:1"
    assert match(b"acme", staged("p500:2")) is None  # another level's or run's probe
    assert match(b"acme", staged("l500:7")) is None
    assert match(b"acme", b'{"note": "p500:1 but not JSON we know"}') is None
    assert match(b"acme", b"p500: not JSON at all") is None
