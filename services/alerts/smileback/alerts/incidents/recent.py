"""Recent negative mentions per brand: the "similar complaints in the last hour" of a packet,
and the surge rule's count of negatives outside threads that already have an incident.

Bounded per brand by count and by age. The service persists what `take_changes` returns in
the transaction that stores the batch's incidents and pages, and a restart loads it back: a
batch replayed after a crash must count exactly what the batch counted the first time, or
a surge page it already announced would not be made again, and would never be sent.
Counting what this service has itself seen keeps the count consistent with the incidents it
knows, whatever order the partitions arrive in.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from smileback.common.packet import PostRef

__all__ = ["Complaint", "ComplaintChanges", "RecentComplaints"]


@dataclass(frozen=True)
class Complaint:
    """One negative mention of a brand, as remembered: its thread root and when it was made."""

    brand: str
    root_id: str
    ref: PostRef
    at: datetime

    @property
    def key(self) -> tuple[str, str]:
        """(brand, mention id): what a complaint is remembered and forgotten by."""
        return self.brand, self.ref.mention_id


@dataclass(frozen=True)
class ComplaintChanges:
    """What to store: complaints remembered since the last call, in the order they arrived,
    and the (brand, mention id) of every complaint to drop first (forgotten or re-added)."""

    dropped: list[tuple[str, str]]
    added: list[Complaint]

    def __bool__(self) -> bool:
        return bool(self.dropped or self.added)


class RecentComplaints:
    """The latest negative mentions of each brand, with their thread roots."""

    def __init__(
        self,
        complaints: Iterable[Complaint] = (),
        *,
        per_brand: int = 1000,
        keep: timedelta = timedelta(hours=1),
    ) -> None:
        """Start from `complaints` as stored, oldest first."""
        self._per_brand = per_brand
        self._keep = keep
        self._by_brand: dict[str, deque[Complaint]] = {}
        # (brand, mention id) -> the complaint to store, or None to drop it; last change wins.
        self._changes: dict[tuple[str, str], Complaint | None] = {}
        for complaint in complaints:
            self._remember(complaint)

    def add(self, *, brand: str, root_id: str, ref: PostRef, at: datetime) -> None:
        """Remember one negative mention of `brand` seen at `at`."""
        items = self._by_brand.get(brand, ())
        if any(c.ref.mention_id == ref.mention_id for c in items):
            return  # a redelivered mention
        complaint = Complaint(brand=brand, root_id=root_id, ref=ref, at=at)
        self._remember(complaint)
        self._changes.pop(complaint.key, None)  # stored after the drops, in arrival order
        self._changes[complaint.key] = complaint

    def take_changes(self) -> ComplaintChanges:
        """What changed since the last call (to persist)."""
        changes, self._changes = self._changes, {}
        return ComplaintChanges(
            dropped=list(changes), added=[c for c in changes.values() if c is not None]
        )

    def similar(
        self, *, brand: str, exclude_root: str, now: datetime, window: timedelta
    ) -> list[PostRef]:
        """The brand's negative mentions of other threads within `window` before `now`."""
        return [
            c.ref
            for c in self._by_brand.get(brand, ())
            if c.root_id != exclude_root and now - window <= c.at <= now
        ]

    def count(
        self, *, brand: str, now: datetime, window: timedelta, exclude_roots: set[str]
    ) -> int:
        """How many of the brand's negative mentions within `window` before `now` belong to
        none of `exclude_roots` (threads already paged are not part of a surge)."""
        return sum(
            1
            for c in self._by_brand.get(brand, ())
            if c.root_id not in exclude_roots and now - window <= c.at <= now
        )

    def forget(self, *, mention_id: str) -> None:
        """Drop a deleted post, wherever it was remembered."""
        for brand, items in self._by_brand.items():
            kept = [c for c in items if c.ref.mention_id != mention_id]
            if len(kept) != len(items):
                self._by_brand[brand] = deque(kept, maxlen=self._per_brand)
                self._changes[(brand, mention_id)] = None

    def _remember(self, complaint: Complaint) -> None:
        """Append, then drop what no longer fits: the oldest past `per_brand`, and those
        older than `keep` before this one."""
        items = self._by_brand.setdefault(complaint.brand, deque(maxlen=self._per_brand))
        if len(items) == self._per_brand:
            self._drop(items.popleft())
        items.append(complaint)
        while items and items[0].at < complaint.at - self._keep:
            self._drop(items.popleft())

    def _drop(self, complaint: Complaint) -> None:
        self._changes[complaint.key] = None
