"""Faust tables as state stores, and the event context a table write needs inside a batch.

A Faust table write goes to the changelog partition of the *current event*, which Faust
finds through a context variable its stream iterator sets. Inside `take_events(...)` the
loop body runs outside that iterator, so a plain write fails with "Cannot modify table
key from outside of stream iteration" (faust-streaming issue #497). `current_event(event)`
sets the same variable for one event of the batch, so each state update is written exactly
as it would be in a plain `async for event in stream` loop.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

import faust
import structlog
from faust.streams import _current_event
from faust.types import TableT
from pydantic import BaseModel, ValidationError

__all__ = ["TableStore", "current_event"]

M = TypeVar("M", bound=BaseModel)
log = structlog.get_logger(__name__)


class TableStore(Generic[M]):
    """State values in a changelog-backed Faust table, stored as plain JSON dicts."""

    def __init__(self, *, table: TableT[str, Any], model: type[M]) -> None:
        self._table = table
        self._model = model

    def get(self, key: str) -> M | None:
        """The value under `key`; a value that no longer parses is dropped, not fatal."""
        raw = self._table.get(key)
        if raw is None:
            return None
        try:
            return self._model.model_validate(raw)
        except ValidationError as exc:
            log.warning("unreadable state ignored", table=self._table.name, key=key, error=str(exc))
            return None

    def put(self, key: str, value: M) -> None:
        """Store `value` (needs a current event: see `current_event`)."""
        self._table[key] = value.model_dump(mode="json")


@contextmanager
def current_event(event: faust.EventT[Any]) -> Iterator[None]:
    """Make `event` the current one, so table writes go to its partition's changelog."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)
