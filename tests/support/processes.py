"""Run `smileback <service>` as a separate OS process, with its output kept for diagnosis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

SMILEBACK = Path(sys.executable).with_name("smileback")


class ServiceProcess:
    """Starts the service on enter; stops it with SIGTERM, then SIGKILL after a grace period."""

    def __init__(self, *, args: list[str], env: Mapping[str, str], log_path: Path) -> None:
        self.args = args
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServiceProcess:
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [str(SMILEBACK), *self.args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    def alive(self) -> bool:
        """True while the process runs."""
        return self.proc is not None and self.proc.poll() is None

    def stop(self, *, grace_s: float = 20.0) -> int | None:
        """SIGTERM, wait, then SIGKILL; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode

    def tail(self, *, lines: int = 60) -> str:
        """The last lines of the process output."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return f"--- {' '.join(self.args)} ---\n" + "\n".join(text.splitlines()[-lines:])

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
