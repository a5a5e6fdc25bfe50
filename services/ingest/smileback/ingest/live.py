"""Live brand rules: the rules users manage through the API, followed while ingest runs.

Which brands match is the static configuration (`static_rules`: SMILEBACK_BRANDS terms and
the rules file's queries) plus the live rules on the brand-rules topic. A live rule adds to
its brand: the brand matches when its terms, its file query or any of its live rules match,
and a brand only the API knows is matched too. In match order (the first matching rule names
the brand) each configured brand keeps its place with its live rules right after its static
ones, by rule id; brands only the API knows follow, by name.

`LiveRules` reads the topic from the start before ingest takes its first mention, then
follows it on a thread: each batch of changes builds a new BrandMatcher (only new or changed
queries are compiled) and swaps it in with one assignment, so matching never sees a
half-updated set. The thread waits at most `_POLL_S` for a record, which keeps a change well
inside the 5 s the API promises. A rule the topic holds that does not parse (written by an
older or newer api) is left out and logged, never stopping the others.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping, Sequence

import structlog

from smileback.common.errors import BusError
from smileback.common.events import BrandRuleEvent, Mention
from smileback.common.rule_feed import RuleFeed, fold
from smileback.common.rules import CompiledRule, RuleSyntaxError, compile_rule
from smileback.common.rules.file import load_rules_file
from smileback.common.topics import Topics
from smileback.ingest.rules import BrandMatcher, BrandRule, Matcher, merge_rules
from smileback.ingest.settings import IngestSettings

__all__ = ["LiveRules", "combine", "live_rules_on", "open_matcher", "static_rules"]

log = structlog.get_logger(__name__)

_POLL_S = 0.5
_RETRY_S = 1.0
_CATCH_UP_S = 30.0
_JOIN_S = 5.0
_BOOTSTRAP_TIMEOUT_S = 3.0  # as the sink: a source fails fast when no broker answers at start


def combine(
    *, static: Sequence[BrandRule], live: Mapping[str, tuple[str, CompiledRule]]
) -> BrandMatcher:
    """The matcher of the static rules plus the live ones (rule id -> (brand, rule))."""
    ordered = sorted(live, key=lambda rule_id: (live[rule_id][0], rule_id))
    extra = [BrandRule(brand=live[rule_id][0], rule=live[rule_id][1]) for rule_id in ordered]
    return BrandMatcher(merge_rules(static, extra))


class LiveRules(Matcher):
    """A Matcher over static rules plus the brand-rules topic, kept current by a thread."""

    def __init__(self, *, static: Sequence[BrandRule], feed: RuleFeed) -> None:
        self._static = tuple(static)
        self._feed = feed
        self._events: dict[str, BrandRuleEvent] = {}
        self._compiled: dict[str, tuple[str, str, CompiledRule]] = {}
        self._matcher = combine(static=self._static, live={})
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="live-rules", daemon=True)

    @property
    def brands(self) -> tuple[str, ...]:
        return self._matcher.brands

    def match(self, *, mention: Mention) -> str | None:
        return self._matcher.match(mention=mention)

    def snapshot(self) -> BrandMatcher:
        return self._matcher

    def start(self, *, timeout_s: float = _CATCH_UP_S) -> None:
        """Read the whole topic (BusError if that fails), then follow it on a thread."""
        self.apply(self._feed.catch_up(timeout_s=timeout_s))
        log.info("live brand rules loaded", rules=len(self._compiled))
        self._thread.start()

    def close(self) -> None:
        """Stop following and close the feed."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(_JOIN_S)
        self._feed.close()

    def apply(self, events: Sequence[BrandRuleEvent]) -> None:
        """Fold changes in and swap in the new matcher (the follower thread's one writer)."""
        if not events:
            return
        self._events = fold(self._events, events)
        compiled: dict[str, tuple[str, str, CompiledRule]] = {}
        for rule_id, event in self._events.items():
            known = self._compiled.get(rule_id)
            if known is not None and known[:2] == (event.brand, event.query):
                compiled[rule_id] = known
                continue
            try:
                compiled[rule_id] = (event.brand, event.query, compile_rule(event.query))
            except RuleSyntaxError as exc:
                log.error("live brand rule skipped", rule_id=rule_id, error=str(exc))
        self._compiled = compiled
        live = {rule_id: (brand, rule) for rule_id, (brand, _, rule) in compiled.items()}
        self._matcher = combine(static=self._static, live=live)

    def _follow(self) -> None:
        while not self._stop.is_set():
            try:
                events = self._feed.poll(timeout_s=_POLL_S)
            except BusError as exc:
                # The broker is away: keep matching with the rules we have until it is back.
                log.warning("live brand rules not followed", error=str(exc)[:300])
                self._stop.wait(_RETRY_S)
                continue
            if events:
                self.apply(events)
                log.info("live brand rules changed", changes=len(events), rules=len(self._compiled))


def live_rules_on(*, settings: IngestSettings, output: object | None) -> bool:
    """SMILEBACK_INGEST_LIVE_RULES, by default on when producing to Kafka (no `-o`)."""
    return output is None if settings.ingest_live_rules is None else settings.ingest_live_rules


def static_rules(settings: IngestSettings) -> BrandMatcher:
    """The static configuration: SMILEBACK_BRANDS terms, plus the queries of the rules file
    (`--rules`, SMILEBACK_INGEST_RULES_FILE) added to their brands as live rules are;
    ConfigError naming the file, line and column when the file is invalid."""
    terms = BrandMatcher.from_terms(settings.brands).rules
    if settings.ingest_rules_file is None:
        return BrandMatcher(terms)
    queries = load_rules_file(settings.ingest_rules_file)
    from_file = [BrandRule(brand=brand, rule=rule) for brand, rule in queries.items()]
    return BrandMatcher(merge_rules(terms, from_file))


@contextlib.contextmanager
def open_matcher(
    *, static: BrandMatcher, settings: IngestSettings, live: bool
) -> Iterator[Matcher]:
    """The matcher every source uses: the static rules, plus the live rules if `live`
    (BusError when the brand-rules topic cannot be read at start)."""
    if not live:
        yield static
        return
    topic = Topics(prefix=settings.topic_prefix).brand_rules
    feed = RuleFeed(
        bootstrap=settings.kafka_bootstrap,
        topic=topic,
        client_id="smileback-ingest",
        bootstrap_timeout_s=_BOOTSTRAP_TIMEOUT_S,
        security=settings,
    )
    rules = LiveRules(static=static.rules, feed=feed)
    try:
        rules.start()
        yield rules
    finally:
        rules.close()
