"""Volume and negative share per bucket and brand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from smileback.api.app import create_app
from smileback.api.store.stats import Bucket, bucket_of, fill_buckets
from tests.support.api_fixtures import TOKEN
from tests.support.builders import scored
from tests.support.store import store_mentions

H = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_buckets_are_aligned_to_the_epoch() -> None:
    assert bucket_of(H, interval_s=3600) == int(H.timestamp()) // 3600
    assert bucket_of(H + timedelta(minutes=59), interval_s=3600) == bucket_of(H, interval_s=3600)
    assert bucket_of(H - timedelta(seconds=1), interval_s=3600) == bucket_of(H, interval_s=3600) - 1


def test_fill_buckets_adds_empty_ones_per_brand() -> None:
    filled = fill_buckets(
        [Bucket("b", 11, 2, 1), Bucket(None, 10, 1, 0), Bucket("a", 12, 5, 5)], first=10, last=12
    )
    assert list(filled) == [None, "a", "b"]
    assert [(b.index, b.volume) for b in filled["b"]] == [(10, 0), (11, 2), (12, 0)]
    assert [b.negative for b in filled["a"]] == [0, 0, 5]


def test_hourly_series_by_brand(engine: Engine, client: TestClient) -> None:
    store_mentions(
        engine,
        [
            scored("a1", brand="acme", created_at=H + timedelta(minutes=5), negativity=0.9),
            scored("a2", brand="acme", created_at=H + timedelta(minutes=50), negativity=0.1),
            scored("a3", brand="acme", created_at=H + timedelta(hours=2), negativity=0.8),
            scored("b1", brand="bolt", created_at=H + timedelta(hours=1), negativity=0.2),
            scored("old", brand="acme", created_at=H - timedelta(hours=1), negativity=0.9),
        ],
    )
    params = {
        "interval": "1h",
        "since": H.isoformat(),
        "until": (H + timedelta(hours=3)).isoformat(),
    }
    body = client.get("/v1/stats/mentions", params=params, headers=AUTH).json()
    assert body["interval"] == "1h"
    series = {s["brand"]: s["points"] for s in body["series"]}
    assert list(series) == ["acme", "bolt"]
    acme = series["acme"]
    assert [p["start"][:16] for p in acme] == [
        "2025-03-01T12:00",
        "2025-03-01T13:00",
        "2025-03-01T14:00",
        "2025-03-01T15:00",  # the bucket `until` falls in
    ]
    assert [(p["volume"], p["negative"], p["negative_share"]) for p in acme] == [
        (2, 1, 0.5),
        (0, 0, None),
        (1, 1, 1.0),
        (0, 0, None),
    ]
    only_bolt = client.get(
        "/v1/stats/mentions", params={**params, "brand": ["bolt"]}, headers=AUTH
    ).json()
    assert [s["brand"] for s in only_bolt["series"]] == ["bolt"]
    daily = client.get(
        "/v1/stats/mentions", params={**params, "interval": "1d"}, headers=AUTH
    ).json()
    assert [p["volume"] for p in daily["series"][0]["points"]] == [3]


def test_the_default_range_is_the_last_day(engine: Engine) -> None:
    now = H + timedelta(hours=30)
    store_mentions(engine, [scored("new", created_at=now - timedelta(hours=1)), scored("old")])
    app = create_app(engine=engine, api_token=TOKEN, clock=lambda: now)
    with TestClient(app) as client:
        body = client.get("/v1/stats/mentions", headers=AUTH).json()
    assert body["until"].startswith("2025-03-02T18:00")
    assert body["since"].startswith("2025-03-01T18:00")
    assert sum(p["volume"] for p in body["series"][0]["points"]) == 1


def test_too_many_buckets_or_a_reversed_range_is_422(client: TestClient) -> None:
    too_many = client.get(
        "/v1/stats/mentions",
        params={"interval": "1m", "since": "2025-01-01T00:00:00Z", "until": "2025-02-01T00:00:00Z"},
        headers=AUTH,
    )
    assert too_many.status_code == 422
    assert "buckets" in too_many.json()["error"]["message"]
    reversed_range = client.get(
        "/v1/stats/mentions",
        params={"since": "2025-02-01T00:00:00Z", "until": "2025-01-01T00:00:00Z"},
        headers=AUTH,
    )
    assert reversed_range.json()["error"]["message"] == "since is after until"
    assert (
        client.get("/v1/stats/mentions", params={"interval": "2h"}, headers=AUTH).status_code == 422
    )
