import json
from datetime import UTC, datetime

import pytest

from smileback.ingest.webhook.batch import MAX_BODY_BYTES, MAX_ITEMS, RefusedError, parse_batch

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


def refusal(body: bytes) -> RefusedError:
    with pytest.raises(RefusedError) as caught:
        parse_batch(body, now=NOW)
    return caught.value


def test_one_object_is_one_mention_with_its_times_filled():
    (mention,) = parse_batch(b'{"id": "m1", "text": "hi"}', now=NOW)
    assert (mention.id, mention.created_at, mention.ingested_at) == ("m1", NOW, NOW)


def test_an_array_is_a_batch_in_order():
    body = json.dumps([{"id": f"m{i}", "text": "x"} for i in range(MAX_ITEMS)]).encode()
    assert [m.id for m in parse_batch(body, now=NOW)][:3] == ["m0", "m1", "m2"]


def test_over_500_mentions_is_413():
    body = json.dumps([{"id": f"m{i}", "text": "x"} for i in range(MAX_ITEMS + 1)]).encode()
    assert (refusal(body).status, refusal(body).reason) == (
        413,
        "501 mentions in one batch, at most 500",
    )


def test_over_a_megabyte_is_413():
    body = json.dumps({"id": "m", "text": "x" * MAX_BODY_BYTES}).encode()
    assert refusal(body).status == 413


def test_invalid_utf8_and_malformed_json_are_400():
    assert (refusal(b'{"id": "\xff"}').status, refusal(b'{"id": "\xff"}').reason) == (
        400,
        "invalid UTF-8 at byte 8",
    )
    bad = refusal(b'{"id": ')
    assert bad.status == 400
    assert bad.reason.startswith("malformed JSON: ")


def test_schema_errors_are_422_naming_the_item_and_field():
    body = json.dumps(
        [
            {"id": "ok", "text": "fine"},
            {"id": "m2", "text": "x", "author": {"followers": "many"}},
            {"id": "m3"},
        ]
    ).encode()
    refused = refusal(body)
    assert refused.status == 422
    assert refused.errors == (
        "[1].author.followers: Input should be a valid integer, unable to parse string as an "
        "integer",
        "[2].text: Field required",
    )


def test_a_single_object_error_names_the_field_alone_and_non_objects_are_422():
    assert refusal(b'{"id": "m1", "text": 3}').errors == ("text: Input should be a valid string",)
    assert refusal(b"[3]").errors[0].startswith("[0]: Input should be a valid dictionary")
    assert refusal(b"[]").status == 422
