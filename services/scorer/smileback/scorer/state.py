"""Where the scorer keeps per-key state, and helpers that keep each state value small.

The cores (threads, authors, baseline) are pure: `observe(state, ...) -> (state, reading)`.
A `StateStore` holds their values by key: `MemoryStore` in the demo and `smileback score`,
a changelog-backed Faust table in the cluster (`smileback.scorer.tables.TableStore`).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Generic, Protocol, TypeVar

__all__ = [
    "DEFAULT_MAX_KEYS",
    "MemoryStore",
    "StateStore",
    "WriteBackStore",
    "digest",
    "remember",
]

S = TypeVar("S")
DEFAULT_MAX_KEYS = 100_000


class StateStore(Protocol[S]):
    """State values by key."""

    def get(self, key: str) -> S | None:
        """The value under `key`, or None when there is none."""
        ...

    def put(self, key: str, value: S) -> None:
        """Store `value` under `key`."""
        ...


class WriteBackStore(StateStore[S], Protocol):
    """A store whose writes reach their backing table only when flushed (once per batch)."""

    def flush(self) -> None:
        """Write every value put since the last flush."""
        ...


class MemoryStore(Generic[S]):
    """Values in memory; past `max_keys` the least recently used key is dropped."""

    def __init__(self, *, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        self._max_keys = max_keys
        self._values: OrderedDict[str, S] = OrderedDict()

    def __len__(self) -> int:
        return len(self._values)

    def get(self, key: str) -> S | None:
        """The value under `key` (marking it recently used), or None."""
        value = self._values.get(key)
        if value is not None:
            self._values.move_to_end(key)
        return value

    def put(self, key: str, value: S) -> None:
        """Store `value`, dropping the least recently used key when over the bound."""
        self._values[key] = value
        self._values.move_to_end(key)
        if len(self._values) > self._max_keys:
            self._values.popitem(last=False)


def digest(text: str) -> str:
    """A short stable fingerprint (48 bits, 12 hex chars) that stands in for an id in state."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()


def remember(recent: tuple[str, ...], item: str, *, limit: int) -> tuple[str, ...]:
    """`recent` with `item` appended, keeping only the newest `limit` items."""
    return (*recent, item)[-limit:]
