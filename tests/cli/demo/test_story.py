from datetime import timedelta

from smileback.cli.demo.embedded import Summary
from smileback.cli.demo.story import PILE_ON_STEPS, Story, count
from smileback.common.events import DlqRecord, IncidentEventType, QueueName
from smileback.common.grades import ReachTier
from tests.support.builders import T0, incident_event, queue_item, scored


def test_counts_are_singular_for_one_only():
    assert count(1, "incident") == "1 incident"
    assert count(2, "incident") == "2 incidents"
    assert count(0, "page") == "0 pages"
    assert count(1, "negative reply", "negative replies") == "1 negative reply"
    assert count(12_000, "negative reply", "negative replies") == "12,000 negative replies"


def test_the_summary_line_says_1_incident_and_2_pages():
    summary = Summary(mentions=1, scored=1, incidents=1, pages=2, smile_back=3, dlq=1)
    assert str(summary) == (
        "1 mention, 1 scored, 1 incident, 2 pages, 3 to smile back, 1 in the DLQ"
    )


def _complaint():
    head = scored("root", root="root", handle="@mara", followers=250_000)
    return head.model_copy(
        update={"scores": head.scores.model_copy(update={"reach_tier": ReachTier.MACRO})}
    )


def _reply(n: int):
    return scored(f"r{n}", root="root", handle=f"@p{n}", created_at=T0 + timedelta(minutes=n))


def test_the_complaint_its_page_and_the_pile_on_are_told_in_order_and_only_at_their_steps():
    story = Story()
    opened = incident_event(IncidentEventType.OPENED, mention_id="root", thread_root_id="root")
    paged = incident_event(IncidentEventType.PAGED, mention_id="root", thread_root_id="root")
    first = story.tell(scored=[_complaint()], incidents=[opened, paged])
    assert len(first) == 2
    assert "the big complaint: @mara (250,000 followers)" in first[0]
    assert "reach macro" in first[0]
    assert first[1].startswith(f"{T0:%H:%M} PAGE: incident inc_1 (critical)")
    told = [story.tell(scored=[_reply(n)]) for n in range(1, 31)]
    spoken = [n for n, lines in enumerate(told, start=1) if lines]
    assert spoken == [n for n in PILE_ON_STEPS if n <= 30]
    assert "the pile-on is forming: @p1 joins @mara's thread" in told[0][0]
    assert "10 negative replies and quotes in @mara's thread within 10 minutes" in told[9][0]
    assert "no new page" in told[9][0]


def test_a_reply_outside_an_incidents_thread_is_no_pile_on():
    assert Story().tell(scored=[_reply(1)]) == []


def test_the_first_smile_back_and_triage_items_are_told_then_every_twentieth():
    story = Story()
    praise = scored("k1", text="Thank you @acmecoffee!", negativity=0.05, handle="@kim")
    told = story.tell(scored=[praise], queued=[queue_item("k1")])
    assert len(told) == 1
    assert 'smile back: @kim: "Thank you @acmecoffee!"' in told[0]
    later = [story.tell(queued=[queue_item(f"k{n}")]) for n in range(2, 41)]
    assert [n for n, lines in enumerate(later, start=2) if lines] == [20, 40]
    assert later[-1] == [f"{T0:%H:%M} smile back: 40 kind mentions waiting to be answered"]
    triage = story.tell(queued=[queue_item("k1", queue=QueueName.TRIAGE)])
    assert "the triage queue, no page" in triage[0]


def test_dead_letters_are_told_as_they_come_and_explained_at_the_end():
    story = Story()
    assert story.explain_dlq() == ["dlq: 0, every line could be read"]
    dead = [
        DlqRecord.of(stage="ingest", error="record: Invalid JSON", raw=b"{", at=T0),
        DlqRecord.of(stage="ingest", error="text: too long", raw=b"{}", at=T0),
    ]
    told = story.tell(dead=dead)
    assert told == [
        "a bad line went to the DLQ: ingest says 'record: Invalid JSON'",
        "a bad line went to the DLQ: ingest says 'text: too long'",
    ]
    explained = story.explain_dlq()
    assert explained[0].startswith("dlq: 2 = the scenario's deliberately bad lines")
    assert "ingest: record: Invalid JSON; ingest: text: too long" in explained[0]
    assert "raw bytes" in explained[1]
