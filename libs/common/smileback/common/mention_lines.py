"""Mention JSON lines from a file or stdin, as the offline commands read them (`smileback
score`, `smileback rules check`): blank lines skipped, a bad line reported and passed over."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from smileback.common.errors import SchemaError
from smileback.common.events import Mention, decode

__all__ = ["MentionLines"]


@dataclass
class MentionLines:
    """Reads lines into Mentions; each bad line goes to `err` as 'line N: reason' and counts
    in `bad`."""

    err: TextIO
    bad: int = 0

    def read(self, lines: Iterable[bytes]) -> Iterator[Mention]:
        """The good lines' mentions, in order."""
        for number, raw in enumerate(lines, start=1):
            stripped = raw.rstrip(b"\r\n")
            if not stripped.strip():
                continue  # blank lines (a trailing newline, spacing) carry no mention
            try:
                yield decode(Mention, stripped)
            except SchemaError as exc:
                self.bad += 1
                self.err.write(f"line {number}: {exc}\n")
