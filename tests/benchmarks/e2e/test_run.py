"""The benchmark's options: the issue's measurement by default, a smoke run, three volumes."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.e2e.run import parse_args


def test_defaults_are_the_measurement_of_100k_mentions_at_three_load_levels() -> None:
    options = parse_args([])
    assert options.volumes == [100_000]
    assert options.levels == [100.0, 500.0, 1000.0]
    assert (options.level_seconds, options.probes) == (30.0, 20)
    assert options.ceiling
    assert not options.profile
    assert options.out_dir.parent == Path(".run") / "bench-e2e"


def test_quick_is_small_and_explicit_options_still_win() -> None:
    quick = parse_args(["--quick"])
    assert quick.volumes == [2000]
    assert quick.levels == [50.0]
    assert quick.probes == 3
    custom = parse_args(["--quick", "--mentions", "500", "--levels", "20,40", "--probes", "2"])
    assert (custom.volumes, custom.levels, custom.probes) == ([500], [20.0, 40.0], 2)


def test_volumes_alone_means_ten_thousand_to_a_million() -> None:
    assert parse_args(["--volumes"]).volumes == [10_000, 100_000, 1_000_000]
    assert parse_args(["--volumes", "1e3,5000"]).volumes == [1000, 5000]
    options = parse_args(["--no-ceiling", "--out", "/tmp/x", "--seed", "7"])
    assert (options.ceiling, options.out_dir, options.seed) == (False, Path("/tmp/x"), 7)
    assert parse_args(["--quick", "--profile"]).profile


@pytest.mark.parametrize("argv", [["--mentions", "0"], ["--levels", "0"], ["--volumes", "10,-1"]])
def test_non_positive_sizes_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse_args(argv)
    assert exit_.value.code == 2


def test_scorer_workers_are_one_unless_asked() -> None:
    assert parse_args([]).scorers == 1
    assert parse_args(["--scorers", "2"]).scorers == 2
    with pytest.raises(SystemExit):
        parse_args(["--scorers", "0"])
