"""Offline scoring of a JSONL file of mentions in file order, keeping thread state as the stream."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO, TextIO, cast

from smileback.common.clock import Clock
from smileback.common.events import Mention, encode
from smileback.common.mention_lines import MentionLines
from smileback.scorer.pipeline import ScoringPipeline

__all__ = ["OfflineReport", "score_lines"]


@dataclass(frozen=True)
class OfflineReport:
    """How many lines were scored and how many were rejected."""

    scored: int
    bad: int


def score_lines(
    *,
    lines: Iterable[bytes],
    out: BinaryIO | TextIO,
    err: TextIO,
    pipeline: ScoringPipeline,
    clock: Clock,
    batch_size: int = 500,
) -> OfflineReport:
    """One ScoredMention JSON line per good line; bad lines go to `err` as 'line N: reason'."""
    write = _writer(out)
    batch: list[Mention] = []
    scored = 0

    def flush() -> int:
        for mention in pipeline.score_batch(mentions=batch, now=clock()):
            write(encode(mention) + b"\n")
        count = len(batch)
        batch.clear()
        return count

    reader = MentionLines(err=err)
    for mention in reader.read(lines):
        batch.append(mention)
        if len(batch) >= batch_size:
            scored += flush()
    scored += flush()
    return OfflineReport(scored=scored, bad=reader.bad)


def _writer(out: BinaryIO | TextIO) -> Callable[[bytes], object]:
    """A write function taking bytes, whether `out` is a text or a binary stream."""
    if isinstance(out, io.TextIOBase):
        text = cast(TextIO, out)
        return lambda line: text.write(line.decode("utf-8"))
    return cast(BinaryIO, out).write
