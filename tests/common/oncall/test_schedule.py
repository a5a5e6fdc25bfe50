"""Who is on call at an instant: rotations, handoffs across daylight-saving changes, layers,
restrictions and overrides; and on-call files refused with file, line and reason."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from smileback.common.errors import ConfigError
from smileback.common.oncall import (
    Layer,
    OnCallConfig,
    Override,
    Responder,
    Restriction,
    Schedule,
    load_oncall,
    on_call_at,
    who_is_on_call,
)

REPO = Path(__file__).resolve().parents[3]
ANA, BEN, CAT, DAN = (Responder(id=n) for n in ("ana", "ben", "cat", "dan"))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def who(schedule: Schedule, at: datetime) -> str | None:
    responder = on_call_at(schedule=schedule, at=at)
    return responder.id if responder else None


def rotation(zone: str, *, start: date, handoff: time, shift: str, users=(ANA, BEN)) -> Schedule:
    layer = Layer(users=users, start=start, handoff=handoff, shift=shift)
    return Schedule(time_zone=zone, layers=(layer,))


class TestDaylightSaving:
    def test_berlin_spring_forward_keeps_the_0900_local_handoff(self) -> None:
        s = rotation("Europe/Berlin", start=date(2025, 3, 24), handoff=time(9), shift="daily")
        # Sat 29 March, still CET (UTC+1): 09:00 local is 08:00 UTC.
        assert who(s, utc(2025, 3, 29, 7, 59)) == "ana"  # day 4 (from the 24th) began Friday
        assert who(s, utc(2025, 3, 29, 8, 0)) == "ben"
        # Sun 30 March, CEST (UTC+2) from 02:00: 09:00 local is 07:00 UTC, not 08:00.
        assert who(s, utc(2025, 3, 30, 6, 59)) == "ben"
        assert who(s, utc(2025, 3, 30, 7, 0)) == "ana"

    def test_berlin_fall_back_keeps_the_0900_local_handoff(self) -> None:
        s = rotation("Europe/Berlin", start=date(2025, 10, 20), handoff=time(9), shift="daily")
        assert who(s, utc(2025, 10, 25, 6, 59)) == "ana"  # Sat, CEST: handoff at 07:00 UTC
        assert who(s, utc(2025, 10, 25, 7, 0)) == "ben"
        assert who(s, utc(2025, 10, 26, 7, 59)) == "ben"  # Sun, CET again: handoff 08:00 UTC
        assert who(s, utc(2025, 10, 26, 8, 0)) == "ana"

    def test_new_york_fall_back_night_shift_lasts_thirteen_hours(self) -> None:
        s = rotation("America/New_York", start=date(2025, 10, 27), handoff=time(8), shift="12h")
        # 20:00 EDT on Sat 1 Nov is 00:00 UTC; 08:00 EST on Sun 2 Nov is 13:00 UTC.
        night = who(s, utc(2025, 11, 2, 0, 0))
        assert who(s, utc(2025, 11, 1, 23, 59)) != night
        assert who(s, utc(2025, 11, 2, 12, 59)) == night
        assert who(s, utc(2025, 11, 2, 13, 0)) != night

    def test_new_york_spring_forward_night_shift_lasts_eleven_hours(self) -> None:
        s = rotation("America/New_York", start=date(2025, 3, 3), handoff=time(8), shift="12h")
        # 20:00 EST on Sat 8 Mar is 01:00 UTC on the 9th; 08:00 EDT on the 9th is 12:00 UTC.
        night = who(s, utc(2025, 3, 9, 1, 0))
        assert who(s, utc(2025, 3, 9, 0, 59)) != night
        assert who(s, utc(2025, 3, 9, 11, 59)) == night
        assert who(s, utc(2025, 3, 9, 12, 0)) != night

    def test_handoff_at_a_skipped_local_time_happens_at_its_pre_change_instant(self) -> None:
        s = rotation("Europe/Berlin", start=date(2025, 3, 24), handoff=time(2, 30), shift="daily")
        # 02:30 does not exist on 30 March; taken at UTC+1, it is 01:30 UTC (03:30 CEST).
        before = who(s, utc(2025, 3, 30, 1, 29))
        assert who(s, utc(2025, 3, 30, 1, 30)) != before

    def test_handoff_at_a_repeated_local_time_happens_once(self) -> None:
        s = rotation("Europe/Berlin", start=date(2025, 10, 20), handoff=time(2, 30), shift="daily")
        # 02:30 happens twice on 26 October (00:30 and 01:30 UTC): hand off at the first only.
        before = who(s, utc(2025, 10, 26, 0, 29))
        after = who(s, utc(2025, 10, 26, 0, 30))
        assert after != before
        assert who(s, utc(2025, 10, 26, 1, 45)) == after  # no flip back an hour later
        assert who(s, utc(2025, 10, 27, 1, 29)) == after  # 02:29 CET next day
        assert who(s, utc(2025, 10, 27, 1, 30)) == before


def test_weekly_rotation_cycles_through_users() -> None:
    s = rotation(
        "UTC", start=date(2025, 1, 6), handoff=time(9), shift="weekly", users=(ANA, BEN, CAT)
    )
    assert [who(s, utc(2025, 1, 6 + 7 * k, 10)) for k in range(4)] == ["ana", "ben", "cat", "ana"]
    assert who(s, utc(2025, 1, 6, 8, 59)) is None  # before the first handoff


def test_overrides_win_and_the_last_listed_wins_ties() -> None:
    base = rotation("Europe/Berlin", start=date(2025, 1, 1), handoff=time(9), shift="weekly")
    s = base.model_copy(
        update={
            "overrides": (
                Override(
                    user=CAT, start=datetime(2025, 3, 30, 1, 0), end=datetime(2025, 3, 30, 5, 0)
                ),
                Override(user=DAN, start=utc(2025, 3, 30, 1, 0), end=utc(2025, 3, 30, 1, 30)),
            )
        }
    )
    assert who(s, utc(2025, 3, 29, 23, 59)) == "ana"  # 00:59 CET: before the override
    assert who(s, utc(2025, 3, 30, 0, 0)) == "cat"  # 01:00 CET, local override start
    assert who(s, utc(2025, 3, 30, 1, 10)) == "dan"  # the later override in its window
    # 05:00 local is CEST after the change: 03:00 UTC; the end is exclusive.
    assert who(s, utc(2025, 3, 30, 2, 59)) == "cat"
    assert who(s, utc(2025, 3, 30, 3, 0)) == "ana"


def test_later_layers_win_and_restrictions_leave_gaps_to_earlier_layers() -> None:
    weekly = Layer(users=(ANA,), start=date(2025, 1, 6), handoff=time(0), shift="weekly")
    weekend = Layer(
        users=(BEN,),
        start=date(2025, 1, 4),
        handoff=time(0),
        shift="weekly",
        restrictions=(Restriction(days=("sat", "sun"), start=time(8), end=time(20)),),
    )
    nights = Layer(
        users=(CAT,),
        start=date(2025, 1, 1),
        shift="daily",
        restrictions=(Restriction(days=("fri",), start=time(22), end=time(6)),),
    )
    s = Schedule(time_zone="Europe/Berlin", layers=(weekly, weekend, nights))
    assert who(s, utc(2025, 3, 8, 12)) == "ben"  # Saturday daytime
    assert who(s, utc(2025, 3, 8, 20)) == "ana"  # Saturday 21:00 local: outside the window
    assert who(s, utc(2025, 3, 7, 22)) == "cat"  # Friday 23:00 local
    assert who(s, utc(2025, 3, 8, 4)) == "cat"  # Saturday 05:00 local: Friday's night window
    assert who(s, utc(2025, 3, 8, 5)) == "ana"  # Saturday 06:00 local: ended, not yet 08:00


def test_gaps_and_naive_instants() -> None:
    assert on_call_at(schedule=Schedule(), at=utc(2025, 1, 1)) is None
    with pytest.raises(ValueError, match="timezone-aware"):
        on_call_at(schedule=Schedule(), at=datetime(2025, 1, 1))


def test_who_is_on_call_names_every_schedule() -> None:
    config = load_oncall(REPO / "deploy" / "config" / "oncall.example.yaml")
    now = who_is_on_call(config=config, at=utc(2025, 3, 8, 12))
    assert set(now) == {"social-primary", "social-backup"}
    assert now["social-primary"] is not None
    assert now["social-primary"].id == "dana"  # Saturday cover layer
    assert config.responders["amara"].email == "amara@example.com"
    assert who_is_on_call(config=OnCallConfig(), at=utc(2025, 1, 1)) == {}


GOOD = """\
responders:
  ana: {email: ana@example.com}
schedules:
  main:
    time_zone: Europe/Berlin
    layers:
      - users: [ana]
        start: 2025-01-06
escalation_policies:
  default:
    levels:
      - targets: [{schedule: main}]
        notify: [pagerduty]
"""


@pytest.mark.parametrize(
    ("old", "new", "line", "reason"),
    [
        ("users: [ana]", "users: [ana, zed]", 7, "unknown responder 'zed'"),
        ("time_zone: Europe/Berlin", "time_zone: Mars/Olympus", 5, "unknown time zone"),
        ("start: 2025-01-06", "start: 2025-01-06\n        shift: 30m", 9, "<n>h or <n>d"),
        ("start: 2025-01-06", "start: 2025-01-06\n        shift: fortnightly", 9, "daily, weekly"),
        ("{schedule: main}", "{schedule: other}", 12, "unknown schedule 'other'"),
        ("{schedule: main}", "{schedule: main, user: ana}", 12, "exactly one"),
        ("notify: [pagerduty]", "notify: [carrier-pigeon]", 13, "notify"),
        ("notify: [pagerduty]", "notify: []", 13, "at least 1"),
        ("{email: ana@example.com}", "{email: ana@example.com, pager: 1}", 2, "Extra inputs"),
    ],
)
def test_invalid_oncall_file_is_refused_with_file_line_and_reason(
    tmp_path: Path, old: str, new: str, line: int, reason: str
) -> None:
    path = tmp_path / "oncall.yaml"
    assert old in GOOD
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as info:
        load_oncall(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert reason in message


def test_override_must_end_after_it_starts(tmp_path: Path) -> None:
    path = tmp_path / "oncall.yaml"
    bad = (
        "    overrides:\n"
        "      - {user: ana, start: 2025-01-02T00:00:00, end: 2025-01-01T00:00:00}\n"
    )
    path.write_text(GOOD.replace("escalation_policies:", bad + "escalation_policies:"))
    with pytest.raises(ConfigError, match=r"oncall.yaml:10: schedules.main.overrides.0: end must"):
        load_oncall(path)


def test_good_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "oncall.yaml"
    path.write_text(GOOD)
    config = load_oncall(path)
    assert who(config.schedules["main"], utc(2025, 2, 1)) == "ana"
    assert config.escalation_policies["default"].levels[0].escalate_after_minutes == 15
