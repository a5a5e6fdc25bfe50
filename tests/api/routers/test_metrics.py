"""/metrics: every registered metric, the smile-back queue read from the store per scrape,
and nothing promtool finds wrong."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from smileback.api.app import create_app
from smileback.common.events import QueueItem, QueueName
from tests.support.api_fixtures import TOKEN
from tests.support.builders import T0
from tests.support.promtool import promtool_problems
from tests.support.store import store_queue

NOW = T0 + timedelta(minutes=10)


@pytest.fixture
def at_now(engine: Engine) -> Iterator[TestClient]:
    """A client of an API whose clock says NOW."""
    with TestClient(create_app(engine=engine, api_token=TOKEN, clock=lambda: NOW)) as client:
        yield client


def _gauges(client: TestClient) -> dict[str, float]:
    wanted = {"smileback_smile_queue_depth", "smileback_smile_queue_oldest_age_seconds"}
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(client.get("/metrics").text)
        for sample in family.samples
        if sample.name in wanted
    }


def _kind(mention_id: str, *, minutes: int, queue: QueueName = QueueName.SMILE_BACK) -> QueueItem:
    return QueueItem(
        mention_id=mention_id,
        brand="acme",
        queue=queue,
        reason="kind words",
        at=T0 + timedelta(minutes=minutes),
    )


def test_an_empty_queue_is_zero_deep_and_zero_old(at_now: TestClient) -> None:
    assert _gauges(at_now) == {
        "smileback_smile_queue_depth": 0.0,
        "smileback_smile_queue_oldest_age_seconds": 0.0,
    }


def test_the_queue_gauges_count_what_waits_for_an_answer(
    engine: Engine, at_now: TestClient, auth: dict[str, str]
) -> None:
    store_queue(
        engine,
        [
            _kind("k1", minutes=1),
            _kind("k2", minutes=4),
            _kind("t1", minutes=0, queue=QueueName.TRIAGE),  # another queue: not counted
        ],
    )
    assert _gauges(at_now) == {
        "smileback_smile_queue_depth": 2.0,
        "smileback_smile_queue_oldest_age_seconds": 540.0,
    }
    answered = at_now.post("/v1/smile-back/k1/answered", json={"on_behalf_of": "sam"}, headers=auth)
    assert answered.status_code == 200, answered.text
    assert _gauges(at_now) == {
        "smileback_smile_queue_depth": 1.0,
        "smileback_smile_queue_oldest_age_seconds": 360.0,
    }


def test_promtool_finds_no_problem_in_the_apis_metrics(
    engine: Engine, at_now: TestClient, auth: dict[str, str]
) -> None:
    store_queue(engine, [_kind("k1", minutes=1)])
    at_now.get("/v1/mentions", headers=auth)
    at_now.get("/v1/incidents/nope", headers=auth)
    body = at_now.get("/metrics").text
    assert "smileback_api_requests_total" in body
    assert promtool_problems(body) == []
    # The check itself can fail: a counter without `_total` and without help text.
    assert len(promtool_problems("# TYPE oops counter\noops 1\n")) == 2


def test_while_the_database_is_reported_down_a_scrape_keeps_the_last_values(
    engine: Engine,
) -> None:
    down: list[str | None] = [None]
    app = create_app(
        engine=engine, api_token=TOKEN, clock=lambda: NOW, database_check=lambda: down[-1]
    )
    with TestClient(app) as client:
        store_queue(engine, [_kind("k1", minutes=1)])
        assert _gauges(client)["smileback_smile_queue_depth"] == 1.0
        down.append("unavailable (OperationalError)")
        store_queue(engine, [_kind("k2", minutes=2)])  # not read while the store is "down"
        assert _gauges(client)["smileback_smile_queue_depth"] == 1.0
        down.append(None)
        assert _gauges(client)["smileback_smile_queue_depth"] == 2.0
