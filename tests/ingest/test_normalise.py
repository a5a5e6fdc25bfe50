import json
import unicodedata
from datetime import UTC, datetime

import pytest

from smileback.common.errors import SchemaError
from smileback.common.events import Mention
from smileback.ingest.normalise import (
    CleanText,
    clean_mention,
    clean_record_text,
    clean_text,
    parse_mention,
    source_id_of,
)

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"id": "m1", "text": "caf\xc3\xa9 \xff"}', "invalid UTF-8 at byte 28"),
        (b'{"id": "m1", "text": "unterminated', "record: Invalid JSON: EOF while parsing"),
        (b'["m1", "a list"]', "record: Input should be an object"),
        (b'"just a string"', "record: Input should be an object"),
        (b'{"id": 42, "text": "hi"}', "id: Input should be a valid string"),
        (b'{"id": "m1", "text": ["hi"]}', "text: Input should be a valid string"),
        (b'{"id": "m1", "text": "hi", "author": {"followers": -3}}', "author.followers"),
        (b'{"id": "m1", "text": "hi", "colour": "red"}', "colour: Extra inputs are not permitted"),
        (b'{"text": "hi"}', "id: Field required"),
        (b'{"id": "m1", "text": "hi", "created_at": "2026-03-14T09:00:00"}', "timezone"),
    ],
)
def test_bad_lines_raise_schema_error_with_the_reason(raw, reason):
    with pytest.raises(SchemaError) as caught:
        parse_mention(raw=raw, now=NOW)
    assert reason in str(caught.value)


def test_text_over_ten_thousand_chars_is_refused_at_ten_thousand_one():
    line = json.dumps({"id": "m1", "text": "é" * 10_000}).encode()
    assert len(parse_mention(raw=line, now=NOW).text) == 10_000
    too_long = json.dumps({"id": "m1", "text": "é" * 10_001}).encode()
    with pytest.raises(SchemaError, match="text: String should have at most 10000 characters"):
        parse_mention(raw=too_long, now=NOW)


def test_missing_times_are_filled_with_now():
    mention = parse_mention(raw=b'{"id": "m1", "text": "hello @acmecoffee"}', now=NOW)
    assert mention.created_at == NOW
    assert mention.ingested_at == NOW
    assert mention.platform == "unknown"
    assert mention.brand is None
    assert mention.root_id == "m1"


def test_times_present_in_the_line_are_kept():
    raw = (
        b'{"id": "m1", "text": "hi", "created_at": "2026-03-14T08:00:00+01:00",'
        b' "ingested_at": "2026-03-14T07:05:00Z"}'
    )
    mention = parse_mention(raw=raw, now=NOW)
    assert mention.created_at == datetime(2026, 3, 14, 7, 0, tzinfo=UTC)
    assert mention.ingested_at == datetime(2026, 3, 14, 7, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"id": "m1", "text": 5}', "m1"),
        (b'{"id": "m1", "text": "x' + b"y" * 20_000 + b'"}', "m1"),
        (b'{"id": 7, "text": "hi"}', None),
        (b'{"id": "", "text": "hi"}', None),
        (b'{"id": "' + b"i" * 600 + b'"}', None),
        (b'{"id": "m1", "text": "unterminated', None),
        (b'{"id": "m1", "text": "\xff"}', None),
        (b'["m1"]', None),
        (b"[" * 100_000, None),
    ],
)
def test_source_id_is_the_id_when_the_line_parses(raw, expected):
    assert source_id_of(raw) == expected


def test_clean_text_composes_nfc_and_keeps_line_breaks_and_tabs():
    cleaned = clean_text("cafe\u0301\r\nline\rtab\there")
    assert cleaned == CleanText(text="café\nline\ntab\there", truncated=False)


def test_clean_text_removes_control_characters_but_keeps_emoji_joiners():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert clean_text(f"a\x00b\x1bc\x7f{family}").text == f"abc{family}"


def test_clean_text_removes_exactly_the_control_category_but_tab_and_newline():
    stable = (chr(code) for code in range(0x2100))
    every = "".join(c for c in stable if unicodedata.normalize("NFC", c) == c)
    kept = clean_text(every).text
    removed = set(every) - set(kept)
    assert removed == {c for c in every if unicodedata.category(c) == "Cc"} - {"\t", "\n"}


def test_a_clean_mention_is_returned_as_it_is():
    mention = Mention(id="m1", text="café @acme")
    assert clean_mention(mention) is mention


def test_clean_mention_composes_and_strips_its_text_and_keeps_the_rest():
    mention = Mention(id="m1", text="cafe\u0301\x07 @acme", lang="fr")
    cleaned = clean_mention(mention)
    assert (cleaned.text, cleaned.lang, cleaned.text_truncated) == ("café @acme", "fr", False)


def test_clean_mention_flags_a_text_that_composition_made_too_long():
    # U+0344 is one character that NFC decomposes into two.
    mention = Mention(id="m1", text="\u0344" * 5_001)
    cleaned = clean_mention(mention)
    assert len(cleaned.text) == 10_000
    assert cleaned.text_truncated is True


def test_a_foreign_record_over_the_limit_is_cut_and_flagged():
    record = {"id": "p1", "text": "é" * 10_001, "extra": 1}
    assert clean_record_text(record) == {
        "id": "p1",
        "text": "é" * 10_000,
        "text_truncated": True,
        "extra": 1,
    }
    assert clean_record_text({"id": "p2", "text": "ok\x00"}) == {"id": "p2", "text": "ok"}
    assert clean_record_text({"id": "p3", "text": 5}) == {"id": "p3", "text": 5}


def test_clean_text_cuts_at_ten_thousand_chars_and_says_so():
    assert clean_text("é" * 10_000) == CleanText(text="é" * 10_000, truncated=False)
    assert clean_text("é" * 10_001) == CleanText(text="é" * 10_000, truncated=True)
