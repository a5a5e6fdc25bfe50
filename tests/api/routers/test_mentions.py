"""Mention search filters beyond the basics: platform, reach tier, text, author, bad values."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from smileback.common.events import ReachTier, ScoredMention
from tests.support.builders import T0, scored
from tests.support.store import store_mentions


def _variant(
    mention_id: str, *, minutes: int, platform: str = "mastodon", tier: ReachTier, **kw: Any
) -> ScoredMention:
    base = scored(mention_id, created_at=T0 + timedelta(minutes=minutes), **kw)
    return base.model_copy(
        update={
            "platform": platform,
            "scores": base.scores.model_copy(update={"reach_tier": tier}),
        }
    )


@pytest.fixture
def stored(engine: Engine) -> None:
    store_mentions(
        engine,
        [
            _variant(
                "m1", minutes=1, tier=ReachTier.NANO, text="100% refund please", handle="Alice"
            ),
            _variant(
                "m2",
                minutes=2,
                tier=ReachTier.MACRO,
                text="the refund_policy is odd",
                handle="carol",
            ),
            _variant(
                "m3",
                minutes=3,
                platform="bluesky",
                tier=ReachTier.MEGA,
                text="Where is my REFUND?",
                handle="@Bob.bsky.social",
            ),
            _variant("m4", minutes=4, tier=ReachTier.NONE, text="love it", handle="alice"),
        ],
    )


def _ids(client: TestClient, auth: dict[str, str], **params: Any) -> list[str]:
    response = client.get("/v1/mentions", params=params, headers=auth)
    assert response.status_code == 200, response.text
    return [m["id"] for m in response.json()["items"]]


@pytest.mark.usefixtures("stored")
def test_search_filters(client: TestClient, auth: dict[str, str]) -> None:
    assert _ids(client, auth, platform="bluesky") == ["m3"]
    assert _ids(client, auth, min_reach_tier="macro") == ["m3", "m2"]
    assert _ids(client, auth, min_reach_tier="none") == ["m4", "m3", "m2", "m1"]
    assert _ids(client, auth, text="refund") == ["m3", "m2", "m1"]  # case-insensitive
    assert _ids(client, auth, text="100%") == ["m1"]  # % and _ are literal, not wildcards
    assert _ids(client, auth, text="d_p") == ["m2"]
    assert _ids(client, auth, text="0%_") == []
    assert _ids(client, auth, author="ALICE") == ["m4", "m1"]
    assert _ids(client, auth, author="@bob.bsky.social") == ["m3"]  # stored as "@Bob…"
    assert _ids(client, auth, author="bob.bsky.social") == ["m3"]
    assert _ids(client, auth, author="@alice") == ["m4", "m1"]
    assert _ids(client, auth, text="refund", min_reach_tier="macro", platform="mastodon") == ["m2"]


@pytest.mark.parametrize(
    "params",
    [
        {"min_reach_tier": "huge"},
        {"text": ""},
        {"text": "x" * 201},
        {"limit": "ten"},
        {"since": "0001-01-01T00:00:00+14:00"},  # cannot be expressed in UTC
        {"since": "2025-03-02T00:00:00Z", "until": "2025-03-01T00:00:00Z"},
        {"brand": "a\x00b"},
        {"cursor": "x" * 1001},
    ],
)
def test_bad_filter_values_are_422(
    client: TestClient, auth: dict[str, str], params: dict[str, str]
) -> None:
    response = client.get("/v1/mentions", params=params, headers=auth)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"


def test_a_nul_in_the_path_is_422(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get("/v1/mentions/a%00b", headers=auth)
    assert response.status_code == 422
    assert "NUL" in response.json()["error"]["message"]
