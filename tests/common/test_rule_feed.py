"""The brand-rule event and folding the compacted topic into the live rules."""

from __future__ import annotations

import pytest

from smileback.common.errors import SchemaError
from smileback.common.events import BrandRuleEvent, decode, encode
from smileback.common.rule_feed import fold
from smileback.common.topics import Topics
from tests.support.builders import T0


def _event(rule_id: str, query: str = "acme", **kw: object) -> BrandRuleEvent:
    return BrandRuleEvent(rule_id=rule_id, brand="acme", query=query, at=T0, **kw)  # type: ignore[arg-type]


def test_a_rule_event_round_trips_and_refuses_unknown_fields() -> None:
    event = _event("r1", deleted=True)
    assert decode(BrandRuleEvent, encode(event)) == event
    with pytest.raises(SchemaError, match="Extra inputs"):
        decode(BrandRuleEvent, encode(event)[:-1] + b',"x":1}')


def test_the_latest_record_of_each_rule_wins_and_deleted_or_disabled_rules_drop_out() -> None:
    live = fold(
        {},
        [
            _event("r1", "acme"),
            _event("r2", "beans"),
            _event("r3", "tea"),
            _event("r1", "acme OR @acmehelp"),
            _event("r2", deleted=True),
            _event("r3", enabled=False),
        ],
    )
    assert {rule_id: e.query for rule_id, e in live.items()} == {"r1": "acme OR @acmehelp"}
    assert fold(live, [_event("r3", "tea")]).keys() == {"r1", "r3"}
    assert live.keys() == {"r1"}  # folding returns a new mapping


def test_only_the_state_topics_are_created_compacted() -> None:
    topics = Topics(prefix="t.")
    assert topics.configs(topics.brand_rules) == {"cleanup.policy": "compact"}
    compacted = {name for name in topics.all() if topics.configs(name)}
    assert compacted == {topics.brand_rules, topics.positions}
