"""Recent negative mentions per brand: the "similar complaints in the last hour" of a packet,
and the surge rule's count of negatives outside threads that already have an incident.

In memory and bounded (per brand by count, and by age), so it starts empty after a restart
and fills again from new traffic: a surge under way at a restart is seen only as new
negatives arrive (it needs `min_negatives` of them after the restart to page), and packets
list only the similar complaints seen since. Counting what this service has itself seen
keeps the count consistent with the incidents it knows, whatever order the partitions
arrive in.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

from smileback.common.packet import PostRef

__all__ = ["RecentComplaints"]


class RecentComplaints:
    """The latest negative mentions of each brand, with their thread roots."""

    def __init__(self, *, per_brand: int = 1000, keep: timedelta = timedelta(hours=1)) -> None:
        self._per_brand = per_brand
        self._keep = keep
        self._by_brand: dict[str, deque[tuple[datetime, str, PostRef]]] = {}

    def add(self, *, brand: str, root_id: str, ref: PostRef, at: datetime) -> None:
        """Remember one negative mention of `brand` seen at `at`."""
        items = self._by_brand.setdefault(brand, deque(maxlen=self._per_brand))
        if any(r.mention_id == ref.mention_id for _, _, r in items):
            return  # a redelivered mention
        items.append((at, root_id, ref))
        while items and items[0][0] < at - self._keep:
            items.popleft()

    def similar(
        self, *, brand: str, exclude_root: str, now: datetime, window: timedelta
    ) -> list[PostRef]:
        """The brand's negative mentions of other threads within `window` before `now`."""
        return [
            ref
            for at, root, ref in self._by_brand.get(brand, ())
            if root != exclude_root and now - window <= at <= now
        ]

    def count(
        self, *, brand: str, now: datetime, window: timedelta, exclude_roots: set[str]
    ) -> int:
        """How many of the brand's negative mentions within `window` before `now` belong to
        none of `exclude_roots` (threads already paged are not part of a surge)."""
        return sum(
            1
            for at, root, _ in self._by_brand.get(brand, ())
            if root not in exclude_roots and now - window <= at <= now
        )

    def forget(self, *, mention_id: str) -> None:
        """Drop a deleted post, wherever it was remembered."""
        for brand, items in self._by_brand.items():
            kept = [item for item in items if item[2].mention_id != mention_id]
            if len(kept) != len(items):
                self._by_brand[brand] = deque(kept, maxlen=self._per_brand)
