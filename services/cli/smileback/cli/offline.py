"""File plumbing for `smileback score`: paths and '-' to streams, then the scorer core."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from typing import BinaryIO

from smileback.common.clock import utc_now
from smileback.scorer.factory import default_pipeline
from smileback.scorer.offline import OfflineReport, score_lines

__all__ = ["score_files"]


def score_files(*, input_path: str, output_path: str) -> OfflineReport:
    """Score `input_path` into `output_path` ('-' means stdin/stdout)."""
    with ExitStack() as stack:
        source: BinaryIO = (
            sys.stdin.buffer if input_path == "-" else stack.enter_context(open(input_path, "rb"))
        )
        sink: BinaryIO = (
            sys.stdout.buffer
            if output_path == "-"
            else stack.enter_context(open(output_path, "wb"))
        )
        return score_lines(
            lines=source, out=sink, err=sys.stderr, pipeline=default_pipeline(), clock=utc_now
        )
