"""The context packet and its summary: who, what, why, thread, similar, guide; redaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smileback.alerts.incidents import GUIDE, Incident, build_packet, post_ref, summarize
from smileback.alerts.policy import RULE_PILE_ON, Action, Decision
from smileback.common.events import Author, ReachTier, ScoredMention, Severity
from smileback.common.packet import MAX_SUMMARY_CHARS, PostRef, WhoSection
from smileback.common.redaction import REDACTED_TEXT, redact_packet
from tests.alerts.factory import incident as make_incident
from tests.support.builders import scored_tiered as scored

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DECISION = Decision(
    Action.PAGE, rule="large_audience_complaint", severity=Severity.CRITICAL, reason="why not"
)


def incident(**extra) -> Incident:
    base = {
        "incident_id": "inc_1",
        "mention_count": 3,
        "recent_ids": ["root", "r1", "r2"],
        "peak_velocity": 3.5,
    }
    return make_incident(**(base | extra))


def with_author(mention: ScoredMention, **author) -> ScoredMention:
    return mention.model_copy(update={"author": Author(**author)})


def test_packet_has_every_section() -> None:
    mention = with_author(
        scored("root", text="Lost my order", negativity=0.93),
        handle="@loud",
        display_name="Loud Customer",
        followers=250_000,
        verified=True,
        created_at=T0 - timedelta(days=400),
    )
    mention = mention.model_copy(update={"lang": "en", "created_at": T0})
    similar = [PostRef(mention_id="s1", handle="@other", text="also bad", at=T0)]
    inc = incident(
        root=post_ref(mention),
        latest=[PostRef(mention_id="r1", text="first"), PostRef(mention_id="r2", text="second")],
    )
    packet = build_packet(incident=inc, mention=mention, decision=DECISION, similar=similar, now=T0)
    assert packet.mention_id == "root"
    assert packet.who == WhoSection(
        handle="@loud",
        display_name="Loud Customer",
        followers=250_000,
        verified=True,
        bot=False,
        account_age_days=400,
        platform="mastodon",
    )
    assert (packet.what.text, packet.what.url, packet.what.lang) == (
        "Lost my order",
        mention.url,
        "en",
    )
    why = packet.why
    assert (why.negativity, why.reach_tier, why.top_terms) == (
        0.93,
        ReachTier.MACRO,
        ("lost", "worst"),
    )
    assert why.reason == "why not"
    assert why.peak_velocity == 3.5
    thread = packet.thread
    assert thread.root is not None
    assert thread.root.mention_id == "root"
    assert thread.reply_count == 2
    assert [r.text for r in thread.latest_replies] == ["second", "first"]  # newest first
    assert packet.similar.count == 1
    assert packet.similar.items[0].handle == "@other"
    assert packet.guide == GUIDE
    assert any("personally" in line for line in packet.guide)
    assert any("automated DM" in line for line in packet.guide)


def test_the_packet_json_keeps_its_shape() -> None:
    mention = scored("root").model_copy(update={"created_at": T0})
    packet = build_packet(
        incident=incident(), mention=mention, decision=DECISION, similar=[], now=T0
    )
    data = packet.model_dump(mode="json")
    assert list(data) == [
        "incident_id",
        "brand",
        "rule",
        "severity",
        "mention_id",
        "summary",
        "who",
        "what",
        "why",
        "thread",
        "similar",
        "guide",
        "redacted_mention_ids",
    ]
    assert data["severity"] == "critical"
    assert data["what"]["created_at"] == "2025-03-01T12:00:00+00:00"
    assert data["why"]["reach_tier"] == "macro"
    assert data["similar"] == {"window_minutes": 60, "count": 0, "items": []}


def test_pile_on_adds_its_own_advice() -> None:
    packet = build_packet(
        incident=incident(rule=RULE_PILE_ON),
        mention=scored("r1"),
        decision=DECISION,
        similar=[],
        now=T0,
    )
    assert len(packet.guide) == len(GUIDE) + 1


def test_a_reference_cuts_its_text_to_one_tweet() -> None:
    ref = post_ref(scored("m1", text="a\nb " + "x" * 400, negativity=0.98765))
    assert ref.text.startswith("a b x")
    assert len(ref.text) == 280
    assert ref.text.endswith("…")
    assert ref.negativity == 0.988


def test_summary_says_what_who_and_why_in_one_line() -> None:
    summary = summarize(
        mention=scored("m1", text="Lost my\norder   again", negativity=0.93),
        severity=Severity.CRITICAL,
        rule="large_audience_complaint",
        reason="negativity 0.93, reach macro",
    )
    assert summary == (
        "[critical] acme: large-audience complaint, @loudcustomer (250,000 followers, verified):"
        ' "Lost my order again" - negativity 0.93, reach macro'
    )


def test_summary_fits_pagerduty_with_huge_text_handle_and_reason() -> None:
    mention = scored("m1", text="x" * 10_000, handle="h" * 5_000)
    summary = summarize(mention=mention, severity=Severity.CRITICAL, rule="r", reason="y" * 5000)
    assert len(summary) <= MAX_SUMMARY_CHARS
    assert "\n" not in summary
    assert summary.endswith("…")


def test_redaction_removes_a_post_everywhere_in_the_packet() -> None:
    mention = scored("root", text="secret rant", handle="ranter")
    packet = build_packet(
        incident=incident(
            root=post_ref(mention), latest=[PostRef(mention_id="r1", handle="@x", text="reply")]
        ),
        mention=mention,
        decision=DECISION,
        similar=[PostRef(mention_id="s1", handle="@s", text="similar text", url="https://s/1")],
        now=T0,
    )
    headline = redact_packet(packet, mention_id="root")
    assert "secret rant" not in headline.model_dump_json()
    assert "ranter" not in headline.model_dump_json()
    assert headline.what.text == REDACTED_TEXT
    assert headline.redacted_mention_ids == ("root",)
    similar = redact_packet(packet, mention_id="s1")
    assert "similar text" not in similar.model_dump_json()
    assert "https://s/1" not in similar.model_dump_json()
    assert similar.what.text == "secret rant"  # the rest stands
    assert redact_packet(packet, mention_id="unrelated") is packet
    assert redact_packet(headline, mention_id="root") is headline  # nothing left to remove
