import pytest

from smileback.common.errors import ConfigError
from smileback.ingest.mapping import FieldMap


def test_pairs_are_parsed_into_dotted_targets_in_order():
    mapping = FieldMap.parse(" text=body , author.handle=user,metrics.likes=stats.likes")
    assert mapping.pairs == (
        (("text",), "body"),
        (("author", "handle"), "user"),
        (("metrics", "likes"), "stats.likes"),
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("mood=feeling", "unknown target 'mood' (Mention has fields: author, brand,"),
        ("author.karma=k", "unknown target 'author.karma' (author has fields: bot, created_at,"),
        ("text.body=b", "unknown target 'text.body' (text has fields: none)"),
        ("text", "'text' is not TARGET=SOURCE"),
        ("text=", "'text=' is not TARGET=SOURCE"),
        ("=body", "'=body' is not TARGET=SOURCE"),
        ("text=body,,id=x", "'' is not TARGET=SOURCE"),
    ],
)
def test_unknown_targets_and_malformed_pairs_are_refused(spec, message):
    with pytest.raises(ConfigError) as caught:
        FieldMap.parse(spec)
    assert message in str(caught.value)


def test_apply_sets_targets_keeps_mention_fields_and_drops_the_rest():
    mapping = FieldMap.parse("text=body,author.handle=user,metrics.likes=stats.likes")
    record = {
        "id": "m1",
        "body": "hello",
        "user": "ann",
        "author": {"followers": 5},
        "stats": {"likes": 3},
        "column_nobody_asked_for": "x",
    }
    assert mapping.apply(record) == {
        "id": "m1",
        "text": "hello",
        "author": {"followers": 5, "handle": "ann"},
        "metrics": {"likes": 3},
    }
    assert record["author"] == {"followers": 5}  # the input is not changed


def test_a_missing_source_leaves_its_target_unset():
    assert FieldMap.parse("text=body,lang=language").apply({"body": "hi"}) == {"text": "hi"}


def test_a_source_name_with_a_dot_is_read_as_it_is_before_as_a_path():
    assert FieldMap.parse("text=a.b").apply({"a.b": "flat", "a": {"b": "nested"}}) == {
        "text": "flat"
    }
