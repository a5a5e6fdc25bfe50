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

from bisect import bisect_left, bisect_right, insort
from collections import deque
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
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


class _BrandComplaints:
    """One brand's complaints in arrival order, indexed by mention id and, sorted by time,
    overall and per thread root: counting a window is then a few binary searches, not a scan
    of up to `per_brand` complaints for every negative mention."""

    def __init__(self) -> None:
        self.items: deque[Complaint] = deque()
        self.ids: set[str] = set()
        self._times: list[datetime] = []
        self._times_by_root: dict[str, list[datetime]] = {}

    def append(self, complaint: Complaint) -> None:
        self.items.append(complaint)
        self.ids.add(complaint.ref.mention_id)
        insort(self._times, complaint.at)
        insort(self._times_by_root.setdefault(complaint.root_id, []), complaint.at)

    def popleft(self) -> Complaint:
        complaint = self.items.popleft()
        self._unindex(complaint)
        return complaint

    def remove(self, mention_id: str) -> bool:
        """Drop the complaint with this mention id; False if there is none."""
        if mention_id not in self.ids:
            return False
        kept: deque[Complaint] = deque()
        for complaint in self.items:
            if complaint.ref.mention_id == mention_id:
                self._unindex(complaint)
            else:
                kept.append(complaint)
        self.items = kept
        return True

    def count(self, *, since: datetime, until: datetime, exclude_roots: AbstractSet[str]) -> int:
        """Complaints at `since` to `until` (both included) outside `exclude_roots`."""
        by_root = self._times_by_root
        roots = (
            [r for r in exclude_roots if r in by_root]
            if len(exclude_roots) <= len(by_root)
            else [r for r in by_root if r in exclude_roots]
        )
        return _within(self._times, since, until) - sum(
            _within(by_root[r], since, until) for r in roots
        )

    def _unindex(self, complaint: Complaint) -> None:
        self.ids.discard(complaint.ref.mention_id)
        _remove_sorted(self._times, complaint.at)
        times = self._times_by_root[complaint.root_id]
        _remove_sorted(times, complaint.at)
        if not times:
            del self._times_by_root[complaint.root_id]


def _within(times: list[datetime], since: datetime, until: datetime) -> int:
    return bisect_right(times, until) - bisect_left(times, since)


def _remove_sorted(times: list[datetime], at: datetime) -> None:
    del times[bisect_left(times, at)]


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
        self._by_brand: dict[str, _BrandComplaints] = {}
        # (brand, mention id) -> the complaint to store, or None to drop it; last change wins.
        self._changes: dict[tuple[str, str], Complaint | None] = {}
        for complaint in complaints:
            self._remember(complaint)

    def add(self, *, brand: str, root_id: str, ref: PostRef, at: datetime) -> None:
        """Remember one negative mention of `brand` seen at `at`."""
        known = self._by_brand.get(brand)
        if known is not None and ref.mention_id in known.ids:
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
        known = self._by_brand.get(brand)
        return [
            c.ref
            for c in (known.items if known is not None else ())
            if c.root_id != exclude_root and now - window <= c.at <= now
        ]

    def count(
        self, *, brand: str, now: datetime, window: timedelta, exclude_roots: AbstractSet[str]
    ) -> int:
        """How many of the brand's negative mentions within `window` before `now` belong to
        none of `exclude_roots` (threads already paged are not part of a surge)."""
        known = self._by_brand.get(brand)
        if known is None:
            return 0
        return known.count(since=now - window, until=now, exclude_roots=exclude_roots)

    def forget(self, *, mention_id: str) -> None:
        """Drop a deleted post, wherever it was remembered."""
        for brand, known in self._by_brand.items():
            if known.remove(mention_id):
                self._changes[(brand, mention_id)] = None

    def _remember(self, complaint: Complaint) -> None:
        """Append, then drop what no longer fits: the oldest past `per_brand`, and those
        older than `keep` before this one."""
        known = self._by_brand.setdefault(complaint.brand, _BrandComplaints())
        if len(known.items) == self._per_brand:
            self._drop(known.popleft())
        known.append(complaint)
        items = known.items
        while items and items[0].at < complaint.at - self._keep:
            self._drop(known.popleft())

    def _drop(self, complaint: Complaint) -> None:
        self._changes[complaint.key] = None
