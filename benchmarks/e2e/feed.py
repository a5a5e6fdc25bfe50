"""Feeding the pipeline through `smileback ingest replay`: a whole file as fast as it goes, or
background lines paced at a rate over stdin with probes written at known times."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from benchmarks.e2e.measure import PeakWatch
from benchmarks.e2e.results import Usage
from benchmarks.e2e.stack import SMILEBACK, StackError

__all__ = ["Fed", "paced", "replay_file"]


@dataclass(frozen=True)
class Fed:
    """How one ingest run went: its wall time and usage, and when each probe was written."""

    wall_s: float
    usage: Usage
    lines: int
    probes_at: dict[str, float]  # probe id -> epoch seconds it was written


OnStart = Callable[[int], object]  # told the ingest process's pid once it runs


def _ingest(
    *, env: Mapping[str, str], log: Path, source: str | None, on_start: OnStart
) -> tuple[subprocess.Popen[bytes], PeakWatch, IO[bytes] | None]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(SMILEBACK), "ingest", "replay", "--input", source or "-", "--no-progress"],
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL if source else subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    watch = PeakWatch(process.pid)
    on_start(process.pid)
    return process, watch, process.stdin


def _reap(process: subprocess.Popen[bytes], watch: PeakWatch, log: Path) -> Usage:
    """Wait for the process: its exact CPU time (from wait4) and its peak RSS (PeakWatch)."""
    _, status, rusage = os.wait4(process.pid, 0)
    peak_mb = watch.stop()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise StackError(f"ingest replay exited {process.returncode}:\n{tail}")
    return Usage(cpu_s=rusage.ru_utime + rusage.ru_stime, peak_rss_mb=peak_mb)


def replay_file(
    *, path: Path, env: Mapping[str, str], log: Path, on_start: OnStart = lambda pid: None
) -> Fed:
    """Replay the whole file at full speed."""
    started = time.monotonic()
    process, watch, _ = _ingest(env=env, log=log, source=str(path), on_start=on_start)
    usage = _reap(process, watch, log)
    lines = sum(1 for _ in path.open("rb"))
    return Fed(wall_s=time.monotonic() - started, usage=usage, lines=lines, probes_at={})


def paced(
    *,
    background: Iterator[bytes],
    probes: Sequence[tuple[str, bytes]],
    rate: float,
    seconds: float,
    env: Mapping[str, str],
    log: Path,
    on_start: OnStart = lambda pid: None,
) -> Fed:
    """Write `rate` background lines a second for `seconds` into one ingest process; the probes
    go in at even intervals across the window, each one timestamped when written."""
    process, watch, stdin = _ingest(env=env, log=log, source=None, on_start=on_start)
    assert stdin is not None
    probe_times = [(i + 0.5) * seconds / len(probes) for i in range(len(probes))]
    probes_at: dict[str, float] = {}
    written = 0
    started = time.monotonic()
    try:
        while (elapsed := time.monotonic() - started) < seconds:
            due = int(rate * elapsed) - written
            chunk = [line for _, line in zip(range(due), background, strict=False)]
            if chunk:
                stdin.write(b"\n".join(chunk) + b"\n")
                written += len(chunk)
            while probe_times and probe_times[0] <= elapsed:
                probe_times.pop(0)
                probe_id, line = probes[len(probes_at)]
                stdin.write(line + b"\n")
                stdin.flush()
                probes_at[probe_id] = time.time()
            stdin.flush()
            time.sleep(0.005)
    finally:
        stdin.close()
    usage = _reap(process, watch, log)
    wall = time.monotonic() - started
    return Fed(wall_s=wall, usage=usage, lines=written + len(probes_at), probes_at=probes_at)
