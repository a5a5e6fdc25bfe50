"""Pure redaction of stored JSON."""

from __future__ import annotations

from smileback.api.store import REDACTED_TEXT
from smileback.api.store.redaction import quoted_mention_id, redact_mention_payload, redact_quote
from tests.api.builders import scored


def test_a_mention_payload_loses_text_link_and_names_but_keeps_scores() -> None:
    payload = scored("m1").model_dump(mode="json")
    redacted = redact_mention_payload(payload)
    assert redacted["text"] == REDACTED_TEXT
    assert redacted["url"] is None
    assert redacted["author"]["handle"] == redacted["author"]["display_name"] == ""
    assert redacted["deleted"] is True
    assert redacted["scores"] == payload["scores"]
    assert payload["text"] != REDACTED_TEXT  # the input is not modified


def test_a_clipped_quote_is_removed_from_the_summary() -> None:
    text = "The new Acme Coffee beans are stale " * 20
    excerpt = " ".join(text.split())[:279] + "…"
    summary = f'[critical] acme: @bigname (250,000 followers): "{excerpt}" - negativity 0.97'
    context = {"mention_id": "m1", "text": text, "url": "https://x/1", "author_handle": "bigname"}
    new_context, new_summary = redact_quote(context=context, summary=summary)
    assert new_summary == (
        f"[critical] acme: @{REDACTED_TEXT} (250,000 followers): "
        f'"{REDACTED_TEXT}" - negativity 0.97'
    )
    assert new_context == {
        "mention_id": "m1",
        "text": REDACTED_TEXT,
        "url": None,
        "author_handle": "",
    }


def test_a_summary_that_does_not_quote_the_text_is_kept() -> None:
    summary = "[warning] acme: 3 mentions in the thread"
    _, new_summary = redact_quote(context={"mention_id": "m1", "text": "hello"}, summary=summary)
    assert new_summary == summary


def test_the_quoted_mention_id_must_be_a_string() -> None:
    assert quoted_mention_id({"mention_id": "m1"}) == "m1"
    assert quoted_mention_id({"mention_id": 7}) is None
    assert quoted_mention_id({}) is None
