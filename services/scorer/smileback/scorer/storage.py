"""Where a scorer worker keeps its tables: Faust's store, its RocksDB options, the data dir.

`rocksdb` (the default) keeps each table partition in a RocksDB database on disk, through
`rocksdict` (faust-streaming 0.15 knows no `rocksdict://` URL: its `rocksdb://` store
takes the driver as a table option). `memory` keeps the tables in the process, as a dict.

With RocksDB the process holds only RocksDB's write buffers, block cache and the index and
filter blocks of its files. Faust gives every partition database its own cache and
buffers, so a worker's share grew with the number of databases it opened (12 for one
worker: 3 tables x 4 partitions, up to 288 MiB) and with the files they wrote (index and
filter blocks live outside the cache by default): a 1,000,000-mention backlog took the
scorer past 300 MB. `SharedBudgetStore` opens every database of the process with one
block cache that also holds the index and filter blocks and is charged for the write
buffers (`MEMORY_BUDGET`), so RocksDB's memory is one fixed sum whatever the tables hold
and however many partitions a worker owns.

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
from functools import cache
from pathlib import Path
from typing import Any

import rocksdict
from faust import stores
from faust.stores.rocksdb import RocksDBOptions, Store

from smileback.common.errors import ConfigError
from smileback.scorer.settings import ScorerSettings

__all__ = [
    "MEMORY_BUDGET",
    "ROCKSDB_OPTIONS",
    "SharedBudgetStore",
    "store_url",
    "table_options",
    "worker_data_dir",
]

_MIB = 1024 * 1024
_LOCK = ".lock"

# Per partition database: the size of a write buffer before it is flushed to a file, and
# of the files. Faust's defaults (3 x 64 MiB write buffers) are sized for a few big tables
# per host, not a dozen small ones; the block cache is the process's (MEMORY_BUDGET).
ROCKSDB_OPTIONS: dict[str, Any] = {
    "write_buffer_size": 4 * _MIB,
    "max_write_buffer_number": 2,
    "target_file_size_base": 16 * _MIB,
}

# All of RocksDB's cache, index and filter blocks and write buffers in one scorer process.
MEMORY_BUDGET = 64 * _MIB

_SCHEME = "smileback-rocksdb"


@cache
def _budget() -> tuple[rocksdict.Cache, rocksdict.WriteBufferManager]:
    """The process's one block cache, and the write buffer manager charged to it."""
    shared = rocksdict.Cache(MEMORY_BUDGET)
    buffers = rocksdict.WriteBufferManager.new_write_buffer_manager_with_cache(
        MEMORY_BUDGET // 2, False, shared
    )
    return shared, buffers


class _SharedBudgetOptions(RocksDBOptions):
    """Faust's rocksdict options, with the process's cache and write buffer budget."""

    def as_options(self) -> rocksdict.Options:
        shared, buffers = _budget()
        options = rocksdict.Options(raw_mode=True)
        options.create_if_missing(True)
        # -1: RocksDB keeps every file open (Faust's default is a number, or none for that).
        options.set_max_open_files(self.max_open_files or -1)
        options.set_write_buffer_size(self.write_buffer_size)
        options.set_target_file_size_base(self.target_file_size_base)
        options.set_max_write_buffer_number(self.max_write_buffer_number)
        options.set_write_buffer_manager(buffers)
        table = rocksdict.BlockBasedOptions()
        table.set_bloom_filter(self.bloom_filter_size, block_based=True)
        table.set_block_cache(shared)
        # Index and filter blocks in the cache too, so they count against the budget and
        # do not grow with the files written.
        table.set_cache_index_and_filter_blocks(True)
        table.set_pin_l0_filter_and_index_blocks_in_cache(True)
        table.set_index_type(rocksdict.BlockBasedIndexType.binary_search())
        options.set_block_based_table_factory(table)
        return options


class SharedBudgetStore(Store):
    """Faust's RocksDB table store on rocksdict, every database within MEMORY_BUDGET."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.use_rocksdict = True
        self.rocksdb_options = _SharedBudgetOptions(**(self.options or {}), use_rocksdict=True)


# Faust finds a store by its URL's scheme (`faust.stores.by_url`).
stores.STORES.aliases[_SCHEME] = f"{__name__}:SharedBudgetStore"


def store_url(settings: ScorerSettings) -> str:
    """The Faust store URL of `settings.scorer_store`."""
    return f"{_SCHEME}://" if settings.scorer_store == "rocksdb" else "memory://"


def table_options(settings: ScorerSettings) -> dict[str, Any] | None:
    """Options for each table's store: its RocksDB sizes, or none."""
    if settings.scorer_store != "rocksdb":
        return None
    return dict(ROCKSDB_OPTIONS)


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
        with _locked(path):
            yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (the lock goes with the file when it closes)."""
    with (path / _LOCK).open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(
                f"scorer data dir {path} is in use by another worker: give each worker its own "
                "SMILEBACK_SCORER_DATA_DIR"
            ) from None
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
