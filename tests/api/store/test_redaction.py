"""Pure redaction of stored JSON."""

from __future__ import annotations

from smileback.api.store import REDACTED_TEXT
from smileback.api.store.redaction import (
    mention_ids_in,
    redact_incident_json,
    redact_mention_payload,
)
from tests.support.builders import quoting_context, scored


def test_a_mention_payload_loses_text_link_and_names_but_keeps_scores() -> None:
    payload = scored("m1").model_dump(mode="json")
    redacted = redact_mention_payload(payload)
    assert redacted["text"] == REDACTED_TEXT
    assert redacted["url"] is None
    assert redacted["author"]["handle"] == redacted["author"]["display_name"] == ""
    assert redacted["deleted"] is True
    assert redacted["scores"] == payload["scores"]
    assert payload["text"] != REDACTED_TEXT  # the input is not modified


def test_mention_ids_are_found_at_any_depth() -> None:
    context = quoting_context(scored("m1"), similar=[scored("m7"), scored("m8")])
    context["thread"]["latest_replies"] = [{"mention_id": "m3", "text": "x"}]
    assert mention_ids_in(context) == {"m1", "m3", "m7", "m8"}
    assert mention_ids_in({"mention_id": 7, "items": ["m9"]}) == set()


def test_redacting_the_headline_replaces_the_summary() -> None:
    context = quoting_context(scored("m1", text="burnt my mouth"))
    redacted, summary = redact_incident_json(
        context=context,
        summary=context["summary"],
        mention_id="m1",
        severity="critical",
        brand="acme",
        mention_count=3,
    )
    assert (
        summary == "[critical] acme: source post deleted and redacted; 3 mention(s) in the thread"
    )
    assert redacted["summary"] == summary
    assert "burnt" not in str(redacted)
    assert context["what"]["text"] == "burnt my mouth"  # the input is not modified


def test_redacting_a_similar_complaint_keeps_the_summary() -> None:
    context = quoting_context(scored("m1", text="headline"), similar=[scored("m7", text="gone")])
    redacted, summary = redact_incident_json(
        context=context,
        summary="the summary",
        mention_id="m7",
        severity="critical",
        brand="acme",
        mention_count=1,
    )
    assert summary == "the summary"
    assert redacted["similar"]["items"][0]["text"] == REDACTED_TEXT
    assert redacted["what"]["text"] == "headline"
