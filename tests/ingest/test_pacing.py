from datetime import UTC, datetime, timedelta

import pytest

from smileback.common.errors import ConfigError
from smileback.common.events import Mention
from smileback.ingest.pacing import Pacer, parse_speed

T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def at(seconds: float) -> Mention:
    return Mention(id=f"m{seconds}", text="x", created_at=T0 + timedelta(seconds=seconds))


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_speed_is_max_or_a_positive_factor():
    assert parse_speed("max") is None
    assert parse_speed("MAX") is None
    assert parse_speed("10") == 10.0
    assert parse_speed("0.5") == 0.5
    for bad in ("0", "-2", "fast", "inf", "nan", ""):
        with pytest.raises(ConfigError, match="--speed must be 'max' or a positive number"):
            parse_speed(bad)


def test_mentions_are_released_at_their_posting_pace_divided_by_the_speed():
    clock = FakeTime()
    pace = Pacer(speed=10, monotonic=clock.monotonic, sleep=clock.sleep)
    for seconds in (0, 20, 20, 50):
        pace(at(seconds))
    assert clock.sleeps == pytest.approx([2.0, 3.0])
    assert clock.now == pytest.approx(105.0)


def test_time_spent_elsewhere_is_not_slept_again_and_older_mentions_go_at_once():
    clock = FakeTime()
    pace = Pacer(speed=1, monotonic=clock.monotonic, sleep=clock.sleep)
    pace(at(0))
    clock.now += 4  # publishing took 4 s
    pace(at(10))
    pace(at(5))  # out of order in the input: not held back, not reordered
    assert clock.sleeps == pytest.approx([6.0])
