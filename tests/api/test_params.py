"""Every query parameter at its extremes is a 200 or a 4xx in the one error shape, never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from smileback.api.app import ApiOptions, create_app
from smileback.api.pagination import encode_cursor
from smileback.api.params import EARLIEST, LATEST
from tests.support.api_fixtures import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}
ONCALL_EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "config" / "oncall.example.yaml"
# (path, parameter) for every datetime query parameter of the API.
TIME_PARAMETERS = [
    ("/v1/mentions", "since"),
    ("/v1/mentions", "until"),
    ("/v1/stats/mentions", "since"),
    ("/v1/stats/mentions", "until"),
    ("/v1/oncall", "at"),
]
EXTREMES = ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "0001-01-01T00:00:00+14:00"]
HYPOTHESIS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def api(engine: Engine) -> Iterator[TestClient]:
    """A client of an app with an on-call file (so /v1/oncall computes a schedule) and no
    rate limit to run into."""
    app = create_app(
        engine=engine,
        api_token=TOKEN,
        options=ApiOptions(oncall_file=ONCALL_EXAMPLE, rate_per_s=1e6, rate_burst=1_000_000),
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _assert_answered(response: Any) -> None:
    """A 200, or a 4xx in the one error shape."""
    assert response.status_code == 200 or 400 <= response.status_code < 500, response.text
    if response.status_code != 200:
        assert set(response.json()["error"]) >= {"code", "message"}, response.text


@pytest.mark.parametrize(("path", "name"), TIME_PARAMETERS)
@pytest.mark.parametrize("value", EXTREMES)
def test_a_time_at_datetimes_ends_is_a_422(
    api: TestClient, path: str, name: str, value: str
) -> None:
    response = api.get(path, params={name: value}, headers=AUTH)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert name in error["message"]
    assert "1970" in error["message"]


@st.composite
def _times(draw: st.DrawFn) -> datetime:
    """Any datetime, naive or with any fixed offset up to datetime's limit of ±24 h."""
    offset = draw(
        st.none() | st.integers(min_value=-1439, max_value=1439).map(lambda m: timedelta(minutes=m))
    )
    return draw(st.datetimes(timezones=st.just(timezone(offset)) if offset else st.none()))


@pytest.mark.parametrize(("path", "name"), TIME_PARAMETERS)
@HYPOTHESIS
@given(value=_times())
def test_any_time_is_answered_and_accepted_only_in_range(
    api: TestClient, path: str, name: str, value: datetime
) -> None:
    response = api.get(path, params={name: value.isoformat()}, headers=AUTH)
    _assert_answered(response)
    try:
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        utc = None
    in_range = utc is not None and EARLIEST <= utc < LATEST
    # Stats may still refuse an in-range `since` whose default 24 h span has too many buckets;
    # everything else in range is accepted.
    assert (response.status_code == 200) == in_range or path == "/v1/stats/mentions", response.text
    if not in_range:
        assert response.status_code == 422


@HYPOTHESIS
@given(
    params=st.fixed_dictionaries(
        {},
        optional={
            "limit": st.integers(min_value=-(2**70), max_value=2**70).map(str),
            "min_negativity": st.floats(allow_nan=True, allow_infinity=True).map(str),
            "is_negative": st.text(max_size=10),
            "min_reach_tier": st.text(max_size=10),
            "text": st.text(max_size=300),
            "brand": st.text(max_size=600),
            "cursor": st.text(max_size=1100)
            | st.datetimes().map(lambda at: encode_cursor(at=at.replace(tzinfo=UTC), id_="m1")),
        },
    )
)
def test_mention_search_parameters_at_their_extremes_are_answered(
    api: TestClient, params: dict[str, str]
) -> None:
    _assert_answered(api.get("/v1/mentions", params=params, headers=AUTH))


@HYPOTHESIS
@given(
    interval=st.sampled_from(["1m", "5m", "15m", "1h", "6h", "1d", "", "2h"]),
    brands=st.lists(st.text(max_size=50), max_size=25),
    since=_times(),
)
def test_stats_parameters_at_their_extremes_are_answered(
    api: TestClient, interval: str, brands: list[str], since: datetime
) -> None:
    params: dict[str, Any] = {"interval": interval, "brand": brands, "since": since.isoformat()}
    _assert_answered(api.get("/v1/stats/mentions", params=params, headers=AUTH))


@pytest.mark.parametrize(
    "at", [datetime(1970, 1, 1, tzinfo=UTC), datetime(2999, 12, 31, 23, 59, tzinfo=UTC)]
)
def test_the_ends_of_the_range_are_accepted_everywhere(api: TestClient, at: datetime) -> None:
    # Every time parameter of a path set to `at` at once (so a range is never reversed).
    by_path: dict[str, dict[str, str]] = {}
    for path, name in TIME_PARAMETERS:
        by_path.setdefault(path, {})[name] = at.isoformat()
    for path, params in by_path.items():
        response = api.get(path, params=params, headers=AUTH)
        assert response.status_code == 200, (path, response.text)


def test_a_cursor_with_a_time_out_of_range_is_an_invalid_cursor(api: TestClient) -> None:
    cursor = encode_cursor(at=datetime(1, 1, 1, tzinfo=UTC), id_="m1")
    response = api.get("/v1/mentions", params={"cursor": cursor}, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    "path", ["/v1/incidents", "/v1/smile-back", "/v1/triage", "/v1/incidents/inc_1/timeline"]
)
@HYPOTHESIS
@given(
    params=st.fixed_dictionaries(
        {},
        optional={
            "limit": st.integers(min_value=-(2**70), max_value=2**70).map(str),
            "cursor": st.text(max_size=1100),
            "status": st.text(max_size=12),
            "severity": st.text(max_size=12),
            "answered": st.text(max_size=6),
            "sort": st.sampled_from(["newest", "waiting", "audience"]) | st.text(max_size=10),
            "brand": st.text(min_size=0, max_size=600),
        },
    )
)
def test_list_parameters_at_their_extremes_are_answered(
    api: TestClient, path: str, params: dict[str, str]
) -> None:
    _assert_answered(api.get(path, params=params, headers=AUTH))
