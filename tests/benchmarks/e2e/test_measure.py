"""The harness's readings of a process (/proc) and its sampling of counters over time."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time

from benchmarks.e2e.measure import (
    Monitor,
    PeakWatch,
    ProcStat,
    busy_cores,
    machine_ticks,
    monitoring,
    proc_stat,
    usage_between,
)
from benchmarks.e2e.results import Usage, by_service


def test_proc_stat_reads_cpu_and_peak_memory_of_a_running_process() -> None:
    before = proc_stat(os.getpid())
    assert before is not None
    sum(i * i for i in range(300_000))  # burn a little CPU
    ballast = bytearray(64 * 1024 * 1024)
    after = proc_stat(os.getpid())
    assert after is not None
    assert after.cpu_s >= before.cpu_s
    assert after.peak_rss_mb >= 64
    assert len(ballast) > 0


def test_proc_stat_of_a_finished_process_is_none() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert proc_stat(child.pid) is None


def test_peak_watch_reports_the_child_s_own_peak_not_the_parent_s_it_forked_from() -> None:
    # The parent holds 400 MB when it forks: wait4's ru_maxrss of the child would include it.
    ballast = b"x" * (400 * 1024 * 1024)
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; b = b'y' * (60 * 1024 * 1024); time.sleep(1.5)"]
    )
    watch = PeakWatch(child.pid)
    _, _, rusage = os.wait4(child.pid, 0)
    child.returncode = 0
    peak = watch.stop()
    assert rusage.ru_maxrss / 1024 >= 400  # what the kernel's rusage says
    assert 60 <= peak < 200, peak  # the child's 60 MB and its interpreter
    assert len(ballast) > 0


def test_usage_between_two_readings() -> None:
    first, second = ProcStat(cpu_s=1.5, peak_rss_mb=100), ProcStat(cpu_s=4.0, peak_rss_mb=180)
    assert usage_between(first, second) == Usage(cpu_s=2.5, peak_rss_mb=180)
    assert usage_between(None, second) is None
    assert usage_between(first, None) is None


def test_monitor_samples_each_counter_in_time_order_and_survives_a_failing_read() -> None:
    calls = {"n": 0}

    def counter() -> int:
        calls["n"] += 1
        return calls["n"] * 10

    def broken() -> int:
        raise ConnectionError("database blinked")

    monitor = Monitor(counters={"stored": counter, "down": broken}, interval_s=0.01)
    with monitoring(monitor):
        while monitor.latest("stored") < 50:
            time.sleep(0.005)
    points = monitor.series["stored"]
    assert [p.count for p in points] == sorted(p.count for p in points)
    assert all(a.t <= b.t for a, b in itertools.pairwise(points))
    assert monitor.latest("stored") >= 50
    assert monitor.series.get("down", []) == []
    assert monitor.latest("down") == 0


def test_busy_cores_counts_a_process_spinning_on_one_core() -> None:
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)  # started
        before = machine_ticks()
        time.sleep(1.5)
        after = machine_ticks()
    finally:
        spinner.kill()
        spinner.wait()
    busy = busy_cores(before, after, cores=os.cpu_count() or 1)
    assert busy is not None
    assert 0.8 <= busy <= (os.cpu_count() or 1) + 0.01, busy
    assert after[0] > before[0]
    assert busy_cores(before, before, cores=2) is None


def test_a_services_workers_count_together_their_cpu_summed_and_the_largest_memory() -> None:
    usage = {
        "scorer": Usage(cpu_s=2.0, peak_rss_mb=200.0),
        "scorer-2": Usage(cpu_s=1.5, peak_rss_mb=250.0),
        "alerts": Usage(cpu_s=1.0, peak_rss_mb=120.0),
    }
    assert by_service(usage) == {
        "scorer": Usage(cpu_s=3.5, peak_rss_mb=250.0),
        "alerts": Usage(cpu_s=1.0, peak_rss_mb=120.0),
    }
