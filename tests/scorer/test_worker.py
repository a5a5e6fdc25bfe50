"""The scorer's stop bound: past it the process exits on its own."""

from __future__ import annotations

import threading

from smileback.scorer.worker import EXIT_STOP_TIMED_OUT, exit_after


def test_the_process_exits_with_its_own_code_once_the_bound_passes():
    exited: list[int] = []
    done = threading.Event()

    def record(code: int) -> None:
        exited.append(code)
        done.set()

    exit_after(0.05, exit_process=record)
    assert done.wait(10)
    assert exited == [EXIT_STOP_TIMED_OUT]


def test_a_stop_that_ends_in_time_cancels_the_exit():
    exited: list[int] = []
    timer = exit_after(0.2, exit_process=exited.append)
    assert timer.daemon  # never keeps a stopped process alive
    timer.cancel()
    timer.join(5)
    assert not timer.is_alive()
    assert exited == []
