import contextlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from smileback.cli.demo.scenario import (
    BRAND_TERMS,
    BUNDLED_SEED,
    BUNDLED_START,
    BUNDLED_TOTAL,
    MIN_TOTAL,
    bundled_scenario_path,
    generate,
    main,
    scenario_facts,
    shift_to_end,
)
from smileback.common.bus import InMemoryBus
from smileback.common.errors import SchemaError
from smileback.common.events import Mention, decode
from smileback.common.topics import Topics
from smileback.ingest.dedupe import SeenIds
from smileback.ingest.normalise import parse_mention
from smileback.ingest.replay import replay
from smileback.ingest.rules import BrandMatcher
from smileback.ingest.sinks import BusSink

START = datetime(2026, 5, 2, 7, 30, tzinfo=UTC)
MACRO = 100_000
VADER = SentimentIntensityAnalyzer()


def valid(lines: list[bytes]) -> list[Mention]:
    out = []
    for raw in lines:
        with contextlib.suppress(SchemaError):
            out.append(decode(Mention, raw))
    return out


@pytest.fixture(scope="module")
def lines() -> list[bytes]:
    return generate(start=START)


@pytest.fixture(scope="module")
def mentions(lines) -> list[Mention]:
    return valid(lines)


def test_the_same_seed_gives_the_same_lines_and_another_seed_does_not():
    assert generate(start=START, seed=3) == generate(start=START, seed=3)
    assert generate(start=START, seed=3) != generate(start=START, seed=4)


def test_the_bundled_file_is_the_default_scenario():
    path = bundled_scenario_path()
    assert path.parent.name == "data"
    assert path.parent.parent.name == "demo"
    expected = generate(start=BUNDLED_START, seed=BUNDLED_SEED, total=BUNDLED_TOTAL)
    assert path.read_bytes() == b"".join(line + b"\n" for line in expected)


@pytest.mark.parametrize(("seed", "total"), [(7, 300), (1, 300), (11, 1000), (5, MIN_TOTAL)])
def test_exactly_one_author_has_a_large_audience(seed, total):
    lines = generate(start=START, seed=seed, total=total)
    mentions = valid(lines)
    assert len(mentions) == total
    large = {m.author.id for m in mentions if m.author.followers >= MACRO}
    assert len(large) == 1
    facts = scenario_facts(lines)
    assert facts.valid_mentions == total
    assert facts.bad_lines == 2
    assert facts.large_authors == (facts.complaint_author,) == ("@mara_reviews",)
    assert 25 <= len(facts.pile_on_ids) <= 40


def test_the_large_complaint_is_negative_from_about_250k_verified_followers(mentions, lines):
    facts = scenario_facts(lines)
    complaint = next(m for m in mentions if m.id == facts.complaint_id)
    assert facts.complaint_root_id == complaint.id == complaint.root_id
    assert 200_000 <= complaint.author.followers <= 300_000
    assert complaint.author.verified
    assert not complaint.author.bot
    assert VADER.polarity_scores(complaint.text)["compound"] <= -0.6
    assert complaint.metrics.replies + complaint.metrics.quotes >= 25


def test_the_complaint_draws_a_burst_of_negative_replies_from_small_accounts(mentions, lines):
    facts = scenario_facts(lines)
    complaint = next(m for m in mentions if m.id == facts.complaint_id)
    thread = [m for m in mentions if m.root_id == complaint.id and m.id != complaint.id]
    assert len(thread) >= 25
    assert sorted(m.id for m in thread) == sorted(facts.pile_on_ids)
    assert all(m.created_at is not None and complaint.created_at is not None for m in thread)
    assert all(
        timedelta(0) < m.created_at - complaint.created_at <= timedelta(minutes=10) for m in thread
    )
    assert all(m.author.followers < 5_000 for m in thread)
    assert all(VADER.polarity_scores(m.text)["compound"] <= -0.3 for m in thread)
    ids = {m.id for m in thread} | {complaint.id}
    assert all(m.thread.parent_id in ids for m in thread)
    assert any(m.thread.parent_id != complaint.id for m in thread)  # replies to replies
    assert facts.pile_on_span <= timedelta(minutes=10)


def test_small_complaints_start_their_own_threads(mentions, lines):
    facts = scenario_facts(lines)
    complaints = [m for m in mentions if m.id in facts.kinds["complaint"]]
    assert len(complaints) >= 3
    assert all(not m.is_reply and m.author.followers < 1_000 for m in complaints)
    assert all(VADER.polarity_scores(m.text)["compound"] <= -0.4 for m in complaints)


def test_praise_is_kind_and_addressed_to_the_brand(mentions, lines):
    facts = scenario_facts(lines)
    praise = [m for m in mentions if m.id in facts.kinds["praise"]]
    assert len(praise) >= 30
    assert all("@acmecoffee" in m.text.lower() for m in praise)
    assert all(VADER.polarity_scores(m.text)["compound"] >= 0.5 for m in praise)


def test_chatter_and_questions_are_not_negative(mentions, lines):
    facts = scenario_facts(lines)
    calm = set(facts.kinds["chatter"]) | set(facts.kinds["question"])
    assert len(facts.kinds["question"]) >= 10
    assert len(facts.kinds["chatter"]) >= 50
    assert all(VADER.polarity_scores(m.text)["compound"] > -0.3 for m in mentions if m.id in calm)
    assert facts.kinds["other"] == ()


def test_a_post_is_deleted_later_by_a_tombstone_line(mentions, lines):
    facts = scenario_facts(lines)
    tombstones = [m for m in mentions if m.deleted]
    assert len(tombstones) == 1
    assert facts.deleted_ids == (tombstones[0].id,)
    tomb = tombstones[0]
    original = next(m for m in mentions if m.id == tomb.id and not m.deleted)
    assert tomb.text == ""
    assert original.text
    assert mentions.index(original) < mentions.index(tomb)
    assert tomb.root_id == original.root_id  # same key, so the deletion follows the post
    assert facts.unique_ids == len(mentions) - 1
    assert facts.published == len(mentions)


def test_two_bad_lines_malformed_json_and_oversized_text(lines):
    reasons = []
    for raw in lines:
        try:
            parse_mention(raw=raw, now=START)
        except SchemaError as exc:
            reasons.append(str(exc))
    assert len(reasons) == 2
    assert any("Invalid JSON" in r for r in reasons)
    assert any("text: String should have at most 10000 characters" in r for r in reasons)


def test_timeline_is_about_three_hours_in_order(mentions):
    times = [m.created_at for m in mentions]
    assert all(t is not None for t in times)
    assert times == sorted(times)
    assert times[0] >= START
    assert timedelta(hours=2.5) <= times[-1] - START <= timedelta(hours=3.6)


def test_ids_platforms_and_authors_look_real(mentions):
    assert all(re.fullmatch(r"demo:\d{6}", m.id) for m in mentions)
    assert {m.platform for m in mentions} == {"mastodon", "bluesky"}
    by_author: dict[str, set[tuple[str, int]]] = {}
    for m in mentions:
        by_author.setdefault(m.author.id, set()).add((m.author.handle, m.author.followers))
        assert m.author.handle.startswith("@")
        assert m.author.display_name
        assert m.author.created_at is not None
        assert m.author.created_at < START
    assert all(len(v) == 1 for v in by_author.values())  # one author, one profile
    assert len(by_author) >= 60
    followers = sorted(m.author.followers for m in mentions)
    assert followers[len(followers) // 2] < 1_000 < followers[-2]  # heavy-tailed
    assert sum(m.author.verified for m in mentions) >= 1
    assert any(m.author.bot for m in mentions)


def test_reply_parents_come_first(mentions):
    position = {m.id: i for i, m in enumerate(mentions) if not m.deleted}
    replies = [m for m in mentions if m.is_reply]
    assert len(replies) >= 40
    assert all(position[m.thread.parent_id] < position[m.id] for m in replies)
    assert all(position[m.root_id] < position[m.id] for m in replies)


def test_every_mention_matches_the_brand_terms_on_its_text(mentions):
    matcher = BrandMatcher.from_terms(BRAND_TERMS)
    posts = [m for m in mentions if not m.deleted]
    assert all(m.brand == "acme" for m in mentions)
    assert all(matcher.match(mention=m.model_copy(update={"brand": None})) == "acme" for m in posts)


def test_the_scenario_replays_into_one_partition_per_thread(lines):
    facts = scenario_facts(lines)
    topics = Topics()
    bus = InMemoryBus(topics.all())
    report = replay(
        lines=lines,
        sink=BusSink(bus=bus, topics=topics, clock=lambda: START),
        matcher=BrandMatcher.from_terms(BRAND_TERMS),
        seen=SeenIds(),
        clock=lambda: START,
    )
    assert report.published == facts.published
    assert report.dlq == facts.bad_lines == 2
    assert report.unmatched == report.duplicates == 0
    thread = set(facts.pile_on_ids) | {facts.complaint_id}
    partitions = {
        r.partition for r in bus.records(topics.raw) if decode(Mention, r.value).id in thread
    }
    assert len(partitions) == 1


def test_the_prefix_names_the_ids():
    ids = {m.id for m in valid(generate(start=START, prefix="it-42"))}
    assert all(i.startswith("it-42:") for i in ids)


def test_the_command_prints_the_same_lines(capsysbinary):
    main(["--start", "2026-05-02T07:30:00+00:00", "--seed", "3", "--total", "120"])
    out = capsysbinary.readouterr().out
    assert out == b"".join(x + b"\n" for x in generate(start=START, seed=3, total=120))


def test_too_small_or_naive_requests_are_refused():
    with pytest.raises(ValueError, match="total must be at least"):
        generate(start=START, total=MIN_TOTAL - 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        generate(start=datetime(2026, 5, 2, 7, 30))


def test_facts_need_a_large_audience_complaint():
    with pytest.raises(ValueError, match="no thread started by a large-audience author"):
        scenario_facts([b'{"id": "a", "text": "hi"}'])


def test_shifting_ends_the_scenario_at_the_given_time_keeping_its_spacing(lines, mentions):
    end = datetime(2027, 1, 9, 17, 45, tzinfo=UTC)
    shifted = shift_to_end(lines, end=end)
    moved = valid(shifted)
    by = end - max(m.created_at for m in mentions)
    assert max(m.created_at for m in moved) == end
    assert [m.id for m in moved] == [m.id for m in mentions]
    for before, after in zip(mentions, moved, strict=True):
        assert after.created_at - before.created_at == by
        assert after.author.created_at - before.author.created_at == by  # accounts age alike
        assert after.model_dump(exclude={"created_at", "author"}) == before.model_dump(
            exclude={"created_at", "author"}
        )
    facts, moved_facts = scenario_facts(lines), scenario_facts(shifted)
    assert moved_facts.bad_lines == facts.bad_lines == 2
    assert moved_facts.pile_on_span == facts.pile_on_span
    unreadable = [line for line in lines if line.count(b'"') % 2]  # the line cut off mid-string
    assert len(unreadable) == 1
    assert unreadable[0] in shifted


def test_shifting_needs_an_aware_end(lines):
    with pytest.raises(ValueError, match="timezone-aware"):
        shift_to_end(lines, end=datetime(2027, 1, 9, 17, 45))
