from datetime import UTC, datetime, timedelta, timezone

import pytest

from smileback.ingest.sources.payload import Fields, PayloadError, decode_json_object

EVENT = Fields(
    {
        "name": "acme",
        "none": None,
        "flag": True,
        "n": 3,
        "minus": -1,
        "when": "2026-03-14T09:30:00+01:00",
        "inner": {"deep": {"x": 1}},
        "items": [{"a": 1}, {"a": 2}],
        "words": ["a", "b"],
    },
    path="event",
)


def test_reads_of_present_values():
    assert EVENT.string("name") == "acme"
    assert EVENT.boolean("flag", default=False) is True
    assert EVENT.integer("n") == 3
    assert EVENT.count("n") == 3
    assert EVENT.time("when") == datetime(2026, 3, 14, 8, 30, tzinfo=UTC)
    assert EVENT.time("when").utcoffset() == timezone(timedelta(hours=1)).utcoffset(None)
    assert EVENT.obj("inner").obj("deep").path == "event.inner.deep"
    assert [item.integer("a") for item in EVENT.objects("items")] == [1, 2]
    assert EVENT.objects("items")[1].path == "event.items[1]"
    assert EVENT.strings("words") == ["a", "b"]


def test_absent_and_null_read_as_their_defaults():
    for key in ("none", "missing"):
        assert not EVENT.has(key)
        assert EVENT.opt_string(key) is None
        assert EVENT.opt_obj(key) is None
        assert EVENT.opt_time(key) is None
        assert EVENT.boolean(key, default=True) is True
        assert EVENT.count(key) == 0
        assert EVENT.objects(key) == []
        assert EVENT.strings(key) == []


def test_a_negative_counter_reads_as_zero():
    assert EVENT.count("minus") == 0


@pytest.mark.parametrize(
    ("read", "message"),
    [
        (lambda f: f.string("n"), "event.n: expected a string, got a number"),
        (lambda f: f.string("none"), "event.none: expected a string, got null"),
        (lambda f: f.integer("flag"), "event.flag: expected an integer, got a boolean"),
        (lambda f: f.boolean("n", default=False), "event.n: expected a boolean, got a number"),
        (lambda f: f.obj("words"), "event.words: expected an object, got a list"),
        (lambda f: f.objects("words"), "event.words[0]: expected an object, got 'a'"),
        (lambda f: f.objects("inner"), "event.inner: expected a list, got an object"),
        (lambda f: f.strings("items"), "event.items: expected a list of strings, got a list"),
        (lambda f: f.time("name"), "event.name: expected an ISO 8601 time, got 'acme'"),
        (lambda f: f.obj("inner").obj("deep").string("x"), "event.inner.deep.x: expected a string"),
    ],
)
def test_a_wrong_type_names_its_path(read, message):
    with pytest.raises(PayloadError) as caught:
        read(EVENT)
    assert str(caught.value).startswith(message)


def test_a_long_string_is_not_echoed_into_the_error():
    with pytest.raises(PayloadError, match=r"event\.long: expected an integer, got a string$"):
        Fields({"long": "x" * 41}, path="event").integer("long")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff", "invalid UTF-8 at byte 0"),
        (b"{", "invalid JSON: Expecting property name enclosed in double quotes"),
        (b"[" * 100_000, "invalid JSON: nested too deeply"),
        (b"null", "status: expected a JSON object, got null"),
        (b"12", "status: expected a JSON object, got a number"),
    ],
)
def test_decoding_refuses_what_is_not_one_json_object(raw, message):
    with pytest.raises(PayloadError) as caught:
        decode_json_object(raw, what="status")
    assert str(caught.value).startswith(message)


def test_decoding_gives_the_object_under_its_name():
    fields = decode_json_object(b'{"id": "1"}', what="status")
    assert (fields.string("id"), fields.path) == ("1", "status")
