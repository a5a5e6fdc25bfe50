"""The on-call file as the API reads it (the shared loader), reloaded when it changes."""

from __future__ import annotations

import threading
from pathlib import Path

from smileback.common.oncall import OnCallConfig, load_oncall

__all__ = ["OnCallSource"]


class OnCallSource:
    """One on-call YAML file; `config()` re-reads it only after its modification time changes."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._loaded: tuple[int, OnCallConfig] | None = None

    def config(self) -> OnCallConfig:
        """The file's schedules; ConfigError (file, line, reason) when it is missing or invalid."""
        with self._lock:
            try:
                stamp = self._path.stat().st_mtime_ns
            except OSError:
                stamp = -1  # let load_oncall say what is wrong with the path
            if self._loaded is None or self._loaded[0] != stamp:
                self._loaded = (stamp, load_oncall(self._path))
            return self._loaded[1]
