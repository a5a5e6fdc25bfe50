"""Static rules (terms and a rules file) and live ones combined, and LiveRules swapping in
each change whole."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from smileback.common.errors import ConfigError
from smileback.common.events import BrandRuleEvent, Mention
from smileback.common.rule_feed import RuleFeed
from smileback.common.rules import compile_rule
from smileback.ingest.live import LiveRules, combine, live_rules_on, static_rules
from smileback.ingest.rules import BrandMatcher
from smileback.ingest.settings import IngestSettings
from tests.support.builders import T0

STATIC = BrandMatcher.from_terms({"acme": ["acme"], "bolt": ["bolt"]}).rules


def _mention(text: str) -> Mention:
    return Mention(id="m1", platform="test", text=text, created_at=T0)


def _event(rule_id: str, brand: str, query: str, **kw: object) -> BrandRuleEvent:
    return BrandRuleEvent(rule_id=rule_id, brand=brand, query=query, at=T0, **kw)  # type: ignore[arg-type]


def test_live_rules_add_to_their_brand_in_its_place_and_new_brands_follow() -> None:
    matcher = combine(
        static=STATIC,
        live={
            "r2": ("zeta", compile_rule("coffee")),
            "r1": ("bolt", compile_rule("coffee OR beans")),
            "r3": ("acme", compile_rule("#acmeday")),
        },
    )
    assert matcher.brands == ("acme", "bolt", "zeta")
    assert [r.brand for r in matcher.rules] == ["acme", "acme", "bolt", "bolt", "zeta"]
    assert matcher.match(mention=_mention("acme is fine")) == "acme"
    assert matcher.match(mention=_mention("party #acmeday")) == "acme"
    # bolt's live rule comes before zeta's: bolt keeps its configured place.
    assert matcher.match(mention=_mention("good coffee")) == "bolt"
    assert matcher.match(mention=_mention("nothing here")) is None
    assert combine(static=(), live={}).brands == ()


class FakeFeed(RuleFeed):
    """The topic as a list the test appends to; poll hands out what is new."""

    def __init__(self, events: list[BrandRuleEvent]) -> None:
        self.events = events
        self.read = 0
        self.closed = False

    def catch_up(self, *, timeout_s: float) -> list[BrandRuleEvent]:
        return self.poll(timeout_s=0)

    def poll(self, *, timeout_s: float) -> list[BrandRuleEvent]:
        new, self.read = self.events[self.read :], len(self.events)
        if not new:
            time.sleep(min(timeout_s, 0.01))
        return new

    def close(self) -> None:
        self.closed = True


def _wait(check: object, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not within the deadline"
        time.sleep(0.01)


def test_live_rules_start_from_the_topic_and_follow_each_change() -> None:
    feed = FakeFeed([_event("r1", "zeta", "tea"), _event("r1", "zeta", "coffee")])
    rules = LiveRules(static=STATIC, feed=feed)
    rules.start(timeout_s=1)
    try:
        assert rules.match(mention=_mention("coffee")) == "zeta"
        assert rules.match(mention=_mention("tea")) is None
        feed.events.append(_event("r2", "acme", "beans OR ("))  # does not parse: left out
        feed.events.append(_event("r3", "acme", "beans"))
        _wait(lambda: rules.match(mention=_mention("beans")) == "acme")
        feed.events.append(_event("r1", "zeta", "coffee", deleted=True))
        _wait(lambda: rules.match(mention=_mention("coffee")) is None)
        assert rules.brands == ("acme", "bolt")
    finally:
        rules.close()
    assert feed.closed


def test_matching_never_sees_a_half_updated_set() -> None:
    # Two rules of one change: each snapshot taken during the swaps has both or neither.
    rules = LiveRules(static=(), feed=FakeFeed([]))
    stop = threading.Event()
    seen: set[tuple[str | None, str | None]] = set()

    def match() -> None:
        while not stop.is_set():
            now = rules.snapshot()
            seen.add((now.match(mention=_mention("alpha")), now.match(mention=_mention("beta"))))

    thread = threading.Thread(target=match)
    thread.start()
    try:
        for i in range(200):
            deleted = i % 2 == 1
            rules.apply(
                [
                    _event("a", "one", "alpha", deleted=deleted),
                    _event("b", "one", "beta", deleted=deleted),
                ]
            )
    finally:
        stop.set()
        thread.join()
    # With no rules at all every mention passes with its own (None) brand; with both, "one".
    assert seen <= {(None, None), ("one", "one")}


def test_live_rules_are_on_by_default_only_when_producing_to_kafka() -> None:
    assert live_rules_on(settings=IngestSettings(), output=None)
    assert not live_rules_on(settings=IngestSettings(), output="-")
    assert live_rules_on(settings=IngestSettings(ingest_live_rules=True), output="-")
    assert not live_rules_on(settings=IngestSettings(ingest_live_rules=False), output=None)


def test_each_rule_is_compiled_once_however_many_changes_follow(monkeypatch) -> None:
    from smileback.ingest import live

    compiled: list[str] = []

    def counting(query: str):
        compiled.append(query)
        return compile_rule(query)

    monkeypatch.setattr(live, "compile_rule", counting)
    rules = LiveRules(static=(), feed=FakeFeed([]))
    rules.apply([_event("a", "one", "alpha")])
    rules.apply([_event("b", "one", "beta")])
    rules.apply([_event("a", "one", "gamma")])
    assert compiled == ["alpha", "beta", "gamma"]


RULES_FILE = """\
brands:
  bolt:
    query: '"bolt coffee" AND NOT hiring'
  zeta:
    query: zeta AND beans
"""


def test_a_rules_file_adds_its_queries_to_the_configured_brands(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES_FILE)
    settings = IngestSettings(
        brands={"acme": ["acme"], "bolt": ["@bolt"]}, ingest_rules_file=str(path)
    )
    matcher = static_rules(settings)
    # bolt keeps its configured place, its file query beside its terms; zeta, only in the
    # file, follows.
    assert [r.brand for r in matcher.rules] == ["acme", "bolt", "bolt", "zeta"]
    assert matcher.match(mention=_mention("thanks @bolt")) == "bolt"
    assert matcher.match(mention=_mention("bolt coffee again")) == "bolt"
    assert matcher.match(mention=_mention("bolt coffee is hiring")) is None
    assert matcher.match(mention=_mention("zeta beans")) == "zeta"
    assert matcher.match(mention=_mention("acme and zeta beans")) == "acme"
    # Live rules add to both, as they add to terms.
    live = combine(static=matcher.rules, live={"r1": ("zeta", compile_rule("espresso"))})
    assert live.match(mention=_mention("an espresso")) == "zeta"
    assert live.match(mention=_mention("zeta beans")) == "zeta"


def test_without_a_rules_file_the_terms_are_the_static_rules() -> None:
    matcher = static_rules(IngestSettings(brands={"acme": ["acme"]}))
    assert matcher.brands == ("acme",)


def test_a_rules_file_that_does_not_parse_names_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("brands:\n  zeta:\n    query: zeta OR\n")
    with pytest.raises(ConfigError, match=rf"^{path}:3:19: brands.zeta.query: expected a term"):
        static_rules(IngestSettings(ingest_rules_file=str(path)))
