"""Pure redaction of stored JSON: mention payloads and incident packets."""

from __future__ import annotations

from smileback.api.store.redaction import (
    redact_incident_packet,
    redact_mention_payload,
    stored_packet,
)
from smileback.common.redaction import REDACTED_TEXT
from tests.support.builders import quoting_packet, scored


def test_a_mention_payload_loses_text_link_and_names_but_keeps_scores() -> None:
    payload = scored("m1").model_dump(mode="json")
    redacted = redact_mention_payload(payload)
    assert redacted["text"] == REDACTED_TEXT
    assert redacted["url"] is None
    assert redacted["author"]["handle"] == redacted["author"]["display_name"] == ""
    assert redacted["deleted"] is True
    assert redacted["scores"] == payload["scores"]
    assert payload["text"] != REDACTED_TEXT  # the input is not modified


def test_a_stored_context_is_its_packet_and_empty_is_none() -> None:
    packet = quoting_packet(scored("m1"), similar=[scored("m7")])
    assert stored_packet(packet.model_dump(mode="json")) == packet
    assert stored_packet({}) is None


def test_redacting_the_headline_replaces_the_summary() -> None:
    packet = quoting_packet(scored("m1", text="burnt my mouth"))
    redacted, summary = redact_incident_packet(
        packet=packet,
        summary=packet.summary,
        mention_id="m1",
        severity="critical",
        brand="acme",
        mention_count=3,
    )
    assert (
        summary == "[critical] acme: source post deleted and redacted; 3 mention(s) in the thread"
    )
    assert redacted is not None
    assert redacted.summary == summary
    assert "burnt" not in redacted.model_dump_json()
    assert packet.what.text == "burnt my mouth"  # the input is not modified


def test_redacting_a_similar_complaint_keeps_the_summary() -> None:
    packet = quoting_packet(scored("m1", text="headline"), similar=[scored("m7", text="gone")])
    redacted, summary = redact_incident_packet(
        packet=packet,
        summary="the summary",
        mention_id="m7",
        severity="critical",
        brand="acme",
        mention_count=1,
    )
    assert summary == "the summary"
    assert redacted is not None
    assert redacted.similar.items[0].text == REDACTED_TEXT
    assert redacted.what.text == "headline"


def test_an_incident_without_a_packet_keeps_its_summary() -> None:
    assert redact_incident_packet(
        packet=None, summary="s", mention_id="m1", severity="info", brand="acme", mention_count=1
    ) == (None, "s")
