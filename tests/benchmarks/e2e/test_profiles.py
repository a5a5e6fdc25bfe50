"""Summing up py-spy's collapsed stacks: own and cumulative hotspots, the summary, speedscope."""

from __future__ import annotations

import pytest

from benchmarks.e2e.profiles import (
    NO_PYTHON,
    Hotspot,
    hotspots,
    parse_collapsed,
    render_hotspots,
    speedscope,
)

# As py-spy writes them with --format raw --function: root first, the sample count last.
COLLAPSED = [
    "<module> (smileback:1);main (smileback/cli/main.py:20);run (faust/worker.py:88) 10\n",
    "<module> (smileback:1);main (smileback/cli/main.py:20);score (scorer/app.py:190);"
    "predict (sklearn/linear_model/_base.py:300) 60\n",
    "<module> (smileback:1);main (smileback/cli/main.py:20);score (scorer/app.py:190);"
    "encode (common/serde.py:12) 25\n",
    # recursion: `walk` twice in one stack still counts once in its cumulative time
    "<module> (smileback:1);walk (a.py:1);walk (a.py:1) 5\n",
    "\n",
    "<module> (smileback:1);main (smileback/cli/main.py:20);run (faust/worker.py:88) 0\n",
]


def test_parse_sums_each_stack_root_first() -> None:
    stacks = parse_collapsed(COLLAPSED)
    assert stacks[("<module> (smileback:1)", "walk (a.py:1)", "walk (a.py:1)")] == 5
    run = ("<module> (smileback:1)", "main (smileback/cli/main.py:20)", "run (faust/worker.py:88)")
    assert stacks[run] == 10
    assert sum(stacks.values()) == 100


def test_a_line_without_a_count_is_refused_with_its_number() -> None:
    with pytest.raises(ValueError, match="line 2"):
        parse_collapsed(["a;b 3\n", "a;b three\n"])
    with pytest.raises(ValueError, match="line 1"):
        parse_collapsed(["17\n"])


def test_a_sample_without_python_frames_is_kept_under_its_own_name() -> None:
    stacks = parse_collapsed(["a;b 3\n", " 4\n"])
    assert stacks == {("a", "b"): 3, (NO_PYTHON,): 4}
    assert hotspots(stacks).own[0] == Hotspot(NO_PYTHON, 4, 4 / 7)


def test_own_time_is_the_innermost_frame_and_cumulative_counts_a_function_once_per_stack() -> None:
    spots = hotspots(parse_collapsed(COLLAPSED), own_top=3, cumulative_top=3)
    assert spots.samples == 100
    assert spots.own == [
        Hotspot("predict (sklearn/linear_model/_base.py:300)", 60, 0.60),
        Hotspot("encode (common/serde.py:12)", 25, 0.25),
        Hotspot("run (faust/worker.py:88)", 10, 0.10),
    ]
    assert spots.cumulative[0] == Hotspot("<module> (smileback:1)", 100, 1.0)
    assert spots.cumulative[1:] == [
        Hotspot("main (smileback/cli/main.py:20)", 95, 0.95),
        Hotspot("score (scorer/app.py:190)", 85, 0.85),
    ]
    walk = hotspots(parse_collapsed(COLLAPSED)).cumulative
    assert Hotspot("walk (a.py:1)", 5, 0.05) in walk


def test_the_summary_lists_both_rankings_with_shares() -> None:
    text = render_hotspots(name="scorer", spots=hotspots(parse_collapsed(COLLAPSED)), rate_hz=100)
    assert text.startswith("scorer: 100 samples at 100 Hz")
    own, cumulative = text.split("by cumulative time:")
    assert "   60.0%        60  predict (sklearn/linear_model/_base.py:300)" in own
    assert "  100.0%       100  <module> (smileback:1)" in cumulative
    assert "<module>" not in own


def test_speedscope_shares_frames_and_keeps_each_stacks_weight() -> None:
    stacks = parse_collapsed(COLLAPSED)
    body = speedscope(stacks, name="alerts")
    frames = [f["name"] for f in body["shared"]["frames"]]
    assert len(frames) == len(set(frames)) == 7
    (profile,) = body["profiles"]
    assert profile["type"] == "sampled"
    assert profile["endValue"] == sum(profile["weights"]) == 100
    rebuilt = {
        tuple(frames[i] for i in sample): weight
        for sample, weight in zip(profile["samples"], profile["weights"], strict=True)
    }
    assert rebuilt == stacks
