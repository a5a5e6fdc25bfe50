"""Remember recently seen mention ids, within a fixed memory bound."""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["SeenIds"]


class SeenIds:
    """A bounded LRU set of ids: the least recently seen id is forgotten first."""

    def __init__(self, capacity: int = 100_000) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self._capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def seen_before(self, mention_id: str) -> bool:
        """True if `mention_id` was seen recently; either way it becomes the most recent."""
        if mention_id in self._ids:
            self._ids.move_to_end(mention_id)
            return True
        self._ids[mention_id] = None
        if len(self._ids) > self._capacity:
            self._ids.popitem(last=False)
        return False

    def __len__(self) -> int:
        return len(self._ids)
