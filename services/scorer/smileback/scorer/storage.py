"""Where a scorer worker keeps its tables: Faust's store, its RocksDB options, the data dir.

`rocksdb` (the default) keeps each table partition in a RocksDB database on disk, through
`rocksdict` (faust-streaming 0.15 knows no `rocksdict://` URL: its `rocksdb://` store
takes the driver as a table option). The process holds only RocksDB's write buffers and
block cache, bounded per partition database by `ROCKSDB_OPTIONS`, so memory stays flat
whatever the tables hold. `memory` keeps the tables in the process, as a dict.

RocksDB locks each partition database, so two workers must never share a data dir. By
default each worker process makes its own under the system temp dir and removes it when it
stops: a start then restores every table from its changelog, as the memory store does, and
removes the directories of killed workers (those nobody holds the lock of). A worker given
`scorer_data_dir` keeps it across restarts and reads only what its changelogs gained
since. Either way the worker holds an exclusive lock on its directory, so a second worker
pointed at it stops at once with a clear error instead of waiting on RocksDB's locks.
"""

from __future__ import annotations

import fcntl
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from smileback.common.errors import ConfigError
from smileback.scorer.settings import ScorerSettings

__all__ = ["ROCKSDB_OPTIONS", "store_url", "table_options", "worker_data_dir"]

_MIB = 1024 * 1024
_LOCK = ".lock"

# Per partition database: a worker opens one per table and partition it owns or stands by
# for, 12 for a worker of two (2 active and 2 standby partitions of 3 tables) or a worker
# alone on 4 partitions, so at most about 100 MiB of buffers and cache. Faust's defaults
# (3 x 64 MiB write buffers, a 2 GiB block cache) are sized for a few big tables per host,
# not a dozen small ones; a scorer's tables hold some tens of MB after a million mentions.
ROCKSDB_OPTIONS: dict[str, Any] = {
    "write_buffer_size": 2 * _MIB,
    "max_write_buffer_number": 2,
    "target_file_size_base": 16 * _MIB,
    "block_cache_size": 4 * _MIB,
}


def store_url(settings: ScorerSettings) -> str:
    """The Faust store URL of `settings.scorer_store`."""
    return "rocksdb://" if settings.scorer_store == "rocksdb" else "memory://"


def table_options(settings: ScorerSettings) -> dict[str, Any] | None:
    """Options for each table's store: the rocksdict driver and its sizes, or none."""
    if settings.scorer_store != "rocksdb":
        return None
    return {"driver": "rocksdict", **ROCKSDB_OPTIONS}


@contextmanager
def worker_data_dir(settings: ScorerSettings, *, app_id: str) -> Iterator[Path]:
    """This worker's data dir, locked for as long as it runs: `scorer_data_dir`, or a new
    temporary directory that is removed afterwards."""
    if settings.scorer_data_dir is not None:
        path = Path(settings.scorer_data_dir)
        path.mkdir(parents=True, exist_ok=True)
        with _locked(path):
            yield path
        return
    base = Path(tempfile.gettempdir())
    for abandoned in base.glob(f"{app_id}-*"):
        _remove_if_abandoned(abandoned)
    path = Path(tempfile.mkdtemp(prefix=f"{app_id}-", dir=base))
    try:
        with _locked(path, new=True):
            yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def _locked(path: Path, *, new: bool = False) -> Iterator[None]:
    """Hold an exclusive lock on `path` (the lock goes with the file when it closes).

    A `new` directory's lock file is locked under another name and only then renamed into
    place: a worker starting at the same moment, clearing killed workers' directories,
    must never find the lock file free and take the directory for abandoned."""
    name = path / (_LOCK + ".new" if new else _LOCK)
    with name.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(
                f"scorer data dir {path} is in use by another worker: give each worker its own "
                "SMILEBACK_SCORER_DATA_DIR"
            ) from None
        if new:
            name.replace(path / _LOCK)
        yield


def _remove_if_abandoned(path: Path) -> None:
    """Remove a temporary data dir a killed worker left behind: it has a lock file, and the
    lock is free."""
    if not (path / _LOCK).is_file():  # not made by `worker_data_dir`, or only just made
        return
    try:
        with _locked(path):
            shutil.rmtree(path, ignore_errors=True)
    except (ConfigError, OSError):  # held by a live worker, or not a data dir of ours
        return
