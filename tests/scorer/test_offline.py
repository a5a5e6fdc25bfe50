import io
import json
from datetime import timedelta

import pytest

from smileback.common.events import Mention, ScoredMention, decode, encode
from smileback.scorer.factory import default_pipeline
from smileback.scorer.offline import OfflineReport, score_lines
from tests.support.builders import T0, mention


def _lines(*items):
    return [(item if isinstance(item, bytes) else encode(item)) + b"\n" for item in items]


def test_scores_in_file_order_and_reports_a_bad_line_by_number():
    lines = _lines(
        b'{"id": "m1", "text": "Acme is awful, I hate it", "thread": {"root_id": "root"}}',
        b'{"id": "m2", "text": ',
        b'{"id": "m3", "text": "awful, the worst", "thread": {"root_id": "root"}}',
        b'{"id": "m4", "text": "Thank you Acme, lovely!"}',
    )
    out, err = io.BytesIO(), io.StringIO()
    report = score_lines(
        lines=lines, out=out, err=err, pipeline=default_pipeline(), clock=lambda: T0
    )
    assert report == OfflineReport(scored=3, bad=1)
    assert err.getvalue().startswith("line 2: ")
    assert "Invalid JSON" in err.getvalue()
    assert err.getvalue().count("\n") == 1
    scored = [decode(ScoredMention, line) for line in out.getvalue().splitlines()]
    assert [s.id for s in scored] == ["m1", "m3", "m4"]
    assert scored[0].scores.is_negative
    assert not scored[2].scores.is_negative
    assert 0.0 <= scored[2].scores.negativity <= 1.0
    # Both replies lack created_at, so both sit at `now`: the second sees the first.
    assert scored[1].scores.thread_velocity == pytest.approx(0.2)


def test_thread_state_is_kept_across_batches_and_text_output_works():
    replies = [mention(f"r{i}", "awful", root="root", minutes=i * 0.5) for i in range(7)]
    out, err = io.StringIO(), io.StringIO()
    report = score_lines(
        lines=_lines(*replies),
        out=out,
        err=err,
        pipeline=default_pipeline(),
        clock=lambda: T0,
        batch_size=3,
    )
    assert report == OfflineReport(scored=7, bad=0)
    assert err.getvalue() == ""
    last = json.loads(out.getvalue().splitlines()[-1])
    assert last["scores"]["thread_velocity"] == pytest.approx(0.7)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"id": "x", "text": "caf\xe9"}', "invalid UTF-8"),
        (b'{"id": "x", "text": "hi", "colour": "red"}', "colour"),
        (b'{"id": "x"}', "text: Field required"),
        (b'{"id": "x", "text": 5}', "text: Input should be a valid string"),
        (b'{"id": "x", "text": "' + b"a" * 10_001 + b'"}', "at most 10000 characters"),
    ],
)
def test_each_kind_of_bad_line_is_reported_and_skipped(line, reason):
    out, err = io.BytesIO(), io.StringIO()
    good = b'{"id": "ok", "text": "fine"}\n'
    report = score_lines(
        lines=[good, line + b"\n", b"\n", good],
        out=out,
        err=err,
        pipeline=default_pipeline(),
        clock=lambda: T0,
    )
    assert report == OfflineReport(scored=2, bad=1)
    assert err.getvalue().startswith("line 2: ")
    assert reason in err.getvalue()
    assert len(out.getvalue().splitlines()) == 2


COMPLAINTS = [
    "Same here, @acme charged me twice and support ignores me. Awful.",
    "This is the worst service ever, I hate it",
    "Terrible, absolutely terrible. Never again @acme",
]


def _thread_file(minutes_apart):
    """A root complaint by an author with 250,000 followers, then 30 negative replies."""
    root = Mention(
        id="root",
        text="@acme your app charged me twice and nobody answers. Awful, I am furious.",
        brand="acme",
        created_at=T0,
        author={"id": "big", "followers": 250_000},
    )
    replies = [
        Mention(
            id=f"r{i}",
            text=COMPLAINTS[i % len(COMPLAINTS)],
            brand="acme",
            created_at=T0 + timedelta(minutes=1 + i * minutes_apart),
            thread={"root_id": "root", "parent_id": "root"},
        )
        for i in range(30)
    ]
    return _lines(root, *replies)


def _score_file(lines):
    out, err = io.BytesIO(), io.StringIO()
    report = score_lines(
        lines=lines, out=out, err=err, pipeline=default_pipeline(), clock=lambda: T0
    )
    assert report == OfflineReport(scored=31, bad=0)
    return [decode(ScoredMention, line).scores for line in out.getvalue().splitlines()][1:]


def test_a_file_holding_a_pile_on_shows_velocity_and_risk_rising_past_one_half():
    replies = _score_file(_thread_file(minutes_apart=4 / 60))  # 30 replies within two minutes
    assert all(s.is_negative for s in replies)
    velocities = [s.thread_velocity for s in replies]
    risks = [s.pile_on_risk for s in replies]
    assert velocities == sorted(velocities)
    assert velocities[-1] == pytest.approx(3.0)
    assert risks == sorted(risks)
    assert risks[-1] >= 0.5


def test_a_calm_thread_spread_over_a_day_stays_at_or_below_one_fifth():
    replies = _score_file(_thread_file(minutes_apart=48))  # 30 replies over a day
    assert all(s.is_negative for s in replies)
    assert max(s.pile_on_risk for s in replies) <= 0.2
    assert max(s.thread_velocity for s in replies) == pytest.approx(0.1)
