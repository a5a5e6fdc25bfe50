from faust import current_event as faust_current_event

from smileback.scorer.baseline import BrandState
from smileback.scorer.tables import TableStore, current_event


class _Table(dict):
    """Stands in for a Faust table: a mapping with a name."""

    name = "brands"


def test_values_are_stored_as_plain_json_dicts_and_read_back_as_models():
    table = _Table()
    store = TableStore(table=table, model=BrandState)
    state = BrandState(since=5, buckets={5: 2}, seen=("abc",))
    store.put("acme", state)
    assert table["acme"] == {"since": 5, "buckets": {"5": 2}, "seen": ["abc"]}
    assert store.get("acme") == state
    assert store.get("globex") is None


def test_a_value_that_no_longer_parses_is_ignored_not_fatal():
    store = TableStore(table=_Table(acme={"since": "never"}), model=BrandState)
    assert store.get("acme") is None


class _Event:
    """Any object Faust could hold a weak reference to."""


def test_current_event_makes_the_event_current_for_table_writes_and_restores_after():
    first, second = _Event(), _Event()
    assert faust_current_event() is None
    with current_event(first):
        assert faust_current_event() is first
        with current_event(second):
            assert faust_current_event() is second
        assert faust_current_event() is first
    assert faust_current_event() is None
