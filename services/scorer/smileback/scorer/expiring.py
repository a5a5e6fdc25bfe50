"""Faust tables whose idle keys are deleted: the adapter around `expiry.IdleKeys`.

`ExpiringStore` is the `StateStore` the agents use. Every read or write of a key marks it
active on the partition of the current event (the one the key's state lives in); a write
advances that partition's event clock by the time its state records, then deletes up to
SWEEP_PER_WRITE keys of the same partition that are idle past the horizon. A deletion is
an ordinary delete with that event current, so the key's tombstone goes to the partition's
changelog and a restarted worker does not bring the key back. At most
one new key comes with each write and up to two idle ones go, so the table shrinks back to
its live keys whatever the backlog; no sweep ever walks the table, and the stream never
waits for one. A deletion that fails is logged and tried again a horizon later: it never
fails the write that swept.

A restarted or rebalanced worker learns the keys it restores from the changelog events
Faust hands the table while recovering (and while standing by), so keys written before a
restart expire too. A worker that keeps its data dir (`scorer_data_dir`) reads only the
changelogs' tail: the keys already on its disk are learnt when they are next read.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, Generic, TypeVar

import faust
import structlog
from faust.streams import current_event
from faust.types import EventT, TableT
from pydantic import BaseModel

from smileback.scorer.expiry import Expiry, IdleKeys
from smileback.scorer.metrics import EXPIRED
from smileback.scorer.tables import Changelogs, TableStore

__all__ = ["SWEEP_PER_WRITE", "ExpiringStore", "expiring_table"]

M = TypeVar("M", bound=BaseModel)

SWEEP_PER_WRITE = 2

log = structlog.get_logger(__name__)


class ExpiringStore(Generic[M]):
    """A `TableStore` that deletes keys idle past the horizon, a few at each write."""

    def __init__(
        self,
        *,
        table: TableT[str, Any],
        model: type[M],
        idle: IdleKeys,
        time_of: Callable[[M], float | None],
        changelogs: Changelogs,
    ) -> None:
        self._table = table
        self._store = TableStore(table=table, model=model, changelogs=changelogs)
        self._idle = idle
        self._time_of = time_of

    @property
    def changelog_topic_name(self) -> str:
        """The topic every write of this table goes to."""
        return self._table.changelog_topic.get_topic_name()

    def get(self, key: str) -> M | None:
        """The value under `key`, which counts as active now."""
        value = self._store.get(key)
        event = current_event()
        if value is not None and event is not None:
            self._idle.touch(event.message.partition, key)
        return value

    def flush(self) -> None:
        """Write the batch's values back (see `TableStore.flush`)."""
        self._store.flush()

    def put(self, key: str, value: M) -> None:
        """Store `value` (needs a current event), then delete a few of the partition's idle
        keys."""
        self._store.put(key, value)
        event = current_event()
        assert event is not None  # the put above needs one
        partition = event.message.partition
        at = self._time_of(value)
        if at is not None:
            self._idle.advance(partition, at)
        self._idle.touch(partition, key)
        for idle in self._idle.expired(partition, limit=SWEEP_PER_WRITE):
            try:
                self._store.delete(idle)
            except KeyError:  # already gone from the store; its tombstone was sent all the same
                pass
            except Exception as exc:  # the write that swept must not fail: try again later
                log.warning(
                    "idle key not deleted", table=self._table.name, key=idle, error=repr(exc)
                )
                self._idle.touch(partition, idle)
                continue
            EXPIRED.labels(table=self._table.name).inc()


def expiring_table(
    app: faust.App,
    *,
    name: str,
    partitions: int,
    model: type[M],
    expiry: Expiry[M],
    options: dict[str, Any] | None,
    changelogs: Changelogs,
) -> ExpiringStore[M]:
    """A changelog-backed table `name` whose keys expire by `expiry`, its changelog records
    kept in `changelogs` for the agent to send."""
    idle = IdleKeys(horizon=expiry.horizon)
    # Keys untyped, so Faust writes them as JSON and str keys come back as str on recovery;
    # values are bytes, written as they are: the JSON `TableStore` makes. Each table its own
    # copy of `options`: Faust's RocksDB store pops its driver out of it.
    table = app.Table(
        name,
        partitions=partitions,
        on_changelog_event=partial(_restored, idle),
        options=dict(options) if options is not None else None,
        value_type=bytes,
    )
    return ExpiringStore(
        table=table, model=model, idle=idle, time_of=expiry.time_of, changelogs=changelogs
    )


async def _restored(idle: IdleKeys, event: EventT[Any]) -> None:
    """A changelog event Faust recovers (or stands by with): its key exists, or is gone."""
    partition = event.message.partition
    if event.message.value is None:
        idle.forget(partition, str(event.key))
    else:
        idle.touch(partition, str(event.key))
