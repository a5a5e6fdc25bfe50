"""py-spy attached to the benchmark's processes (`--profile`): per phase and process, the
collapsed stacks py-spy records, their speedscope form and their hotspots in a text summary.

py-spy attaches by pid, so the processes stay the harness's own children (their CPU readings,
exit codes and SIGTERM stay as they are), and reads their memory without pausing them
(`--nonblocking`). Attaching needs ptrace permission: root, or `kernel.yama.ptrace_scope` 0.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from benchmarks.e2e.profiles import hotspots, parse_collapsed, render_hotspots, speedscope

__all__ = ["PY_SPY", "RATE_HZ", "Attach", "Recording", "profiling"]

PY_SPY = Path(sys.executable).with_name("py-spy")
RATE_HZ = 100
# A process started a moment ago has no interpreter for py-spy to find yet: try again this long.
_ATTACH_S = 10.0
_RETRY_S = 0.2
_STOP_S = 60.0  # py-spy writes its file when stopped; a long recording takes a moment

Attach = Callable[[str, int], None]  # records one more process: (name, pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Recording:
    """py-spy sampling one process into `<stem>.collapsed.txt` until stopped or the process ends."""

    def __init__(self, *, name: str, pid: int, stem: Path, rate_hz: int = RATE_HZ) -> None:
        self.name, self.stem, self.rate_hz = name, stem, rate_hz
        self.collapsed = stem.with_name(f"{stem.name}.collapsed.txt")
        self.log = stem.with_name(f"{stem.name}.py-spy.log")
        self._pid = pid
        self._lock = threading.Lock()
        self._stopping = False
        self._spy: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._run, name=f"py-spy {name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        command = [
            str(PY_SPY),
            "record",
            *("--pid", str(self._pid), "--rate", str(self.rate_hz)),
            *("--format", "raw", "--output", str(self.collapsed)),
            "--nonblocking",
            "--function",  # a function's samples together, at its first line
        ]
        deadline = time.monotonic() + _ATTACH_S
        while time.monotonic() < deadline:
            with self._lock, self.log.open("ab") as out:
                if self._stopping:
                    return
                spy = self._spy = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
                )
            if spy.wait() == 0 or not _alive(self._pid):
                return
            time.sleep(_RETRY_S)

    def stop(self) -> None:
        """Ask py-spy to write what it has (SIGINT, its Ctrl-C); the process goes on."""
        with self._lock:
            self._stopping = True
            if self._spy is not None and self._spy.poll() is None:
                self._spy.send_signal(signal.SIGINT)

    def finish(self) -> str | None:
        """Stop, wait for the file, write the summary and the speedscope file beside it; the
        summary, or None (with the reason on stderr) when py-spy wrote nothing."""
        self.stop()
        self._thread.join(_STOP_S)
        if self._spy is not None and self._spy.poll() is None:
            self._spy.kill()
            self._spy.wait()
        if not self.collapsed.exists():
            print(f"  no profile of {self.name}: see {self.log}", file=sys.stderr)
            return None
        try:
            with self.collapsed.open() as lines:
                stacks = parse_collapsed(lines)
        except ValueError as exc:  # a profile that cannot be read must not end the run
            print(f"  {self.collapsed} not read: {exc}", file=sys.stderr)
            return None
        self.stem.with_name(f"{self.stem.name}.speedscope.json").write_text(
            json.dumps(speedscope(stacks, name=self.name))
        )
        summary = render_hotspots(name=self.name, spots=hotspots(stacks), rate_hz=self.rate_hz)
        self.stem.with_name(f"{self.stem.name}.top.txt").write_text(summary)
        return summary


@contextlib.contextmanager
def profiling(*, out_dir: Path | None, pids: Mapping[str, int]) -> Iterator[Attach]:
    """Record `pids` (name -> pid) into `out_dir` for the duration of the block; yields a
    function that records one more process (a feeder started inside the block). Without
    `out_dir`, records nothing."""
    recordings: list[Recording] = []

    def attach(name: str, pid: int) -> None:
        if out_dir is not None:
            recordings.append(Recording(name=name, pid=pid, stem=out_dir / name))

    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    for name, pid in pids.items():
        attach(name, pid)
    try:
        yield attach
    finally:
        for recording in recordings:
            recording.stop()  # all at once: each py-spy then writes its file in parallel
        for recording in recordings:
            recording.finish()
