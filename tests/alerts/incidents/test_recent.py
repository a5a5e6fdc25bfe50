"""Recent complaints per brand: remembered once, bounded by count and age, counted in a
window outside paged threads, and restored from what was stored to count the same."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from smileback.alerts.incidents import Complaint, RecentComplaints
from smileback.common.packet import PostRef

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_recent_complaints_count_and_similar_leave_out_paged_threads() -> None:
    recent = RecentComplaints()
    for i, root in enumerate(["a", "a", "b", "c"]):
        ref = PostRef(mention_id=f"m{i}", text=f"t{i}")
        recent.add(brand="acme", root_id=root, ref=ref, at=T0 + timedelta(minutes=i))
    recent.add(brand="acme", root_id="a", ref=PostRef(mention_id="m0"), at=T0)  # redelivered
    now, hour = T0 + timedelta(minutes=10), timedelta(hours=1)
    assert recent.count(brand="acme", now=now, window=hour, exclude_roots=set()) == 4
    assert recent.count(brand="acme", now=now, window=hour, exclude_roots={"a"}) == 2
    assert recent.count(brand="acme", now=now + hour, window=hour, exclude_roots=set()) == 0
    similar = recent.similar(brand="acme", exclude_root="a", now=now, window=hour)
    assert [r.mention_id for r in similar] == ["m2", "m3"]
    recent.forget(mention_id="m2")
    assert recent.count(brand="acme", now=now, window=hour, exclude_roots=set()) == 3
    assert recent.count(brand="globex", now=now, window=hour, exclude_roots=set()) == 0


def test_recent_complaints_restored_from_their_changes_count_the_same() -> None:
    recent = RecentComplaints(per_brand=3)
    stored: list[Complaint] = []

    def save() -> None:
        changes = recent.take_changes()
        stored[:] = [c for c in stored if c.key not in set(changes.dropped)] + changes.added

    for i, minutes in enumerate([0, 1, 2, 3]):  # the fourth pushes the first out
        ref = PostRef(mention_id=f"m{i}")
        recent.add(brand="acme", root_id=f"r{i}", ref=ref, at=T0 + timedelta(minutes=minutes))
    save()
    assert [c.ref.mention_id for c in stored] == ["m1", "m2", "m3"]
    recent.forget(mention_id="m2")
    recent.add(
        brand="acme",
        root_id="r4",
        ref=PostRef(mention_id="m4"),
        at=T0 + timedelta(hours=1, minutes=2),
    )
    recent.add(brand="globex", root_id="g", ref=PostRef(mention_id="g0"), at=T0)
    save()
    assert recent.take_changes().dropped == []
    assert [c.ref.mention_id for c in stored] == ["m3", "m4", "g0"]  # m1 aged out
    restored = RecentComplaints(stored, per_brand=3)
    assert not restored.take_changes()
    now, hour = T0 + timedelta(hours=1, minutes=2), timedelta(hours=1)
    for brand in ("acme", "globex"):
        assert restored.count(brand=brand, now=now, window=hour, exclude_roots=set()) == (
            recent.count(brand=brand, now=now, window=hour, exclude_roots=set())
        )
    assert restored.similar(brand="acme", exclude_root="x", now=now, window=hour) == (
        recent.similar(brand="acme", exclude_root="x", now=now, window=hour)
    )


def test_counts_match_a_scan_of_what_is_stored_whatever_the_order_of_arrival() -> None:
    rng = random.Random(7)
    recent = RecentComplaints(per_brand=50, keep=timedelta(minutes=30))
    stored: dict[tuple[str, str], Complaint] = {}
    window = timedelta(minutes=20)
    for n in range(600):
        brand = rng.choice(["acme", "globex"])
        at = T0 + timedelta(minutes=n // 10 + rng.randint(-5, 5))  # out of order, ties too
        mention_id = f"m{rng.randrange(400)}"  # some arrive again
        if rng.random() < 0.05:
            recent.forget(mention_id=mention_id)
        else:
            ref = PostRef(mention_id=mention_id)
            recent.add(brand=brand, root_id=f"r{rng.randrange(12)}", ref=ref, at=at)
        changes = recent.take_changes()
        for key in changes.dropped:
            stored.pop(key, None)
        stored.update((c.key, c) for c in changes.added)
        excluded = {f"r{rng.randrange(12)}" for _ in range(rng.randrange(4))}
        now = at + timedelta(minutes=rng.randint(-3, 3))  # on a window's edge at times
        expected = sum(
            1
            for c in stored.values()
            if c.brand == brand and c.root_id not in excluded and now - window <= c.at <= now
        )
        assert recent.count(brand=brand, now=now, window=window, exclude_roots=excluded) == (
            expected
        )
