"""The records of a replay input: JSON lines as they are, CSV rows as JSON objects.

Records are bytes, so a JSON line with invalid UTF-8 reaches the parser and the DLQ keeps
its exact bytes. A CSV row becomes a JSON object of its non-empty cells (an empty cell is
a missing field, so the Mention default applies); CSV text is decoded as UTF-8 with
invalid bytes replaced, since one bad byte must not end the read of the rows after it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import stat
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, cast

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from smileback.common.errors import ConfigError

__all__ = ["InputFormat", "format_of", "is_regular_file", "open_input", "records"]


class InputFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


_PROGRESS_CHUNK = 256 * 1024

_SUFFIXES = {".jsonl": InputFormat.JSONL, ".ndjson": InputFormat.JSONL, ".csv": InputFormat.CSV}


def format_of(path: Path, given: InputFormat | None) -> InputFormat:
    """`given`, else by extension (.csv is CSV); JSON lines otherwise, stdin included."""
    if given is not None:
        return given
    return _SUFFIXES.get(path.suffix.lower(), InputFormat.JSONL)


def records(handle: BinaryIO, fmt: InputFormat) -> Iterator[bytes]:
    """Each record of the input as the bytes the replay parses."""
    if fmt is InputFormat.JSONL:
        yield from handle
        return
    text = io.TextIOWrapper(handle, encoding="utf-8", errors="replace", newline="")
    for row in csv.DictReader(text):
        cells = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
        yield json.dumps(cells, ensure_ascii=False).encode("utf-8")


def is_regular_file(handle: BinaryIO) -> bool:
    """True when `handle` reads a regular file: all its lines are there, so reading never
    waits for the next one, as reading a pipe or a terminal may."""
    try:
        return stat.S_ISREG(os.fstat(handle.fileno()).st_mode)
    except (OSError, ValueError):  # no file descriptor (in memory), or closed
        return False


@contextlib.contextmanager
def open_input(path: Path, *, progress: bool) -> Iterator[BinaryIO]:
    """The input opened binary ("-" is stdin); with `progress`, and when the input is a
    regular file (its size known), a bar with rate and ETA on stderr as it is read."""
    if str(path) == "-":
        yield sys.stdin.buffer
        return
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ConfigError(f"cannot read input {path}: {exc.strerror}") from exc
    with handle:
        size = os.fstat(handle.fileno()).st_size
        if not progress or size == 0:
            yield handle
            return
        bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        with (
            bar,
            bar.wrap_file(handle, total=size, description=path.name) as reader,
            # Read through a buffer, so the bar advances once a chunk rather than once a line
            # (per line it cost more than reading). Rich types its reader BinaryIO; it is a
            # RawIOBase, which is what BufferedReader wraps.
            io.BufferedReader(cast(io.RawIOBase, reader), buffer_size=_PROGRESS_CHUNK) as buffered,
        ):
            yield buffered
