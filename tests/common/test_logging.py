"""Client libraries' reconnect chatter is throttled; Smileback's own lines never are."""

from __future__ import annotations

import logging

from smileback.common.logging import ThrottleRepeats


def _record(name: str, msg: str) -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, ("node 1",), None)


def test_a_repeated_client_message_passes_once_a_minute() -> None:
    now = [0.0]
    throttle = ThrottleRepeats(every_s=60.0, monotonic=lambda: now[0])
    passed = []
    for second in range(0, 130, 5):
        now[0] = float(second)
        passed.append(throttle.filter(_record("aiokafka.conn", "Unable connect to %s")))
    assert passed.count(True) == 3  # at 0, 60 and 120 s
    assert throttle.filter(_record("aiokafka.conn", "another message"))


def test_smilebacks_own_records_always_pass() -> None:
    throttle = ThrottleRepeats(every_s=60.0, monotonic=lambda: 0.0)
    assert all(throttle.filter(_record("smileback.alerts", "dependency down")) for _ in range(5))
