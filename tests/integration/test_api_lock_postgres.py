"""One voice, on PostgreSQL: who acts comes from the key, and an incident has one owner.

Two responders racing to acknowledge get exactly one winner; a body naming someone else is
refused and the timeline shows the key's responder and key id; a take-over and an admin
acting for someone are recorded as such.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from smileback.api.app import ApiOptions, create_app
from smileback.api.auth import Scope
from smileback.api.store import IncidentEventRow, IncidentRow
from smileback.common.bus import InMemoryBus
from smileback.common.events import IncidentEvent, IncidentEventType, decode
from smileback.common.topics import Topics
from tests.support.api_fixtures import TOKEN
from tests.support.builders import T0
from tests.support.infra import fresh_database
from tests.support.store import make_key, opened_incident, store_on, truncate_all

pytestmark = pytest.mark.integration

TOPICS = Topics()
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
LATER = T0 + timedelta(minutes=7)
ONCALL = "responders:\n  alex: {name: Alex}\n  sam: {name: Sam}\n"


@pytest.fixture(scope="module")
def migrated(postgres_url: str) -> Iterator[Engine]:
    with fresh_database(postgres_url, prefix="api_lock") as url, store_on(url) as engine:
        yield engine


@pytest.fixture
def pg(migrated: Engine) -> Engine:
    truncate_all(migrated)
    opened_incident(migrated)
    return migrated


class _WaitsForTheRivalBus(InMemoryBus):
    """A bus whose publish (inside the request's transaction, the incident row locked) waits
    until another session waits for a lock: the rival acknowledgement is then at the row."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(TOPICS.all())
        self.engine = engine

    def flush(self, timeout_s: float | None = None) -> None:
        query = text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        deadline = time.monotonic() + 30
        while True:
            with self.engine.connect() as connection:
                if connection.execute(query).scalar():
                    return
            assert time.monotonic() < deadline, "the rival acknowledgement never reached the row"
            time.sleep(0.01)


def _events(bus: InMemoryBus) -> list[IncidentEvent]:
    return [decode(IncidentEvent, r.value) for r in bus.records(TOPICS.incidents)]


def test_two_responders_racing_to_acknowledge_get_exactly_one_winner(pg: Engine) -> None:
    keys = {who: make_key(pg, Scope.RESPOND, responder=who)[1] for who in ("alex", "sam")}
    bus = _WaitsForTheRivalBus(pg)
    app = create_app(engine=pg, api_token=TOKEN, bus=bus, topics=TOPICS, clock=lambda: LATER)
    with TestClient(app) as client, ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            who: pool.submit(client.post, "/v1/incidents/inc_1/acknowledge", headers=header)
            for who, header in keys.items()
        }
        responses = {who: future.result(timeout=60) for who, future in futures.items()}
    statuses = {who: r.status_code for who, r in responses.items()}
    assert sorted(statuses.values()) == [200, 409], {w: r.text for w, r in responses.items()}
    (winner,) = [who for who, status in statuses.items() if status == 200]
    (loser,) = [who for who, status in statuses.items() if status == 409]
    assert responses[winner].json()["owner"] == winner
    error = responses[loser].json()["error"]
    assert (error["code"], error["owner"]) == ("conflict", winner)
    (event,) = _events(bus)
    assert (event.type, event.responder) == (IncidentEventType.ACKNOWLEDGED, winner)
    with Session(pg) as session:
        row = session.get(IncidentRow, "inc_1")
        assert row is not None
        assert (row.owner, row.acknowledged_by) == (winner, winner)
        acks = select(func.count()).where(IncidentEventRow.type == "acknowledged")
        assert session.scalar(acks.select_from(IncidentEventRow)) == 1


def test_identity_comes_from_the_key_and_every_hand_over_is_audited(
    pg: Engine, tmp_path: Path
) -> None:
    oncall = tmp_path / "oncall.yaml"
    oncall.write_text(ONCALL)
    alex_id, alex = make_key(pg, Scope.RESPOND, responder="alex")
    sam_id, sam = make_key(pg, Scope.RESPOND, responder="sam")
    bus = InMemoryBus(TOPICS.all())
    ticks = itertools.count(1)  # a minute on per action: the timeline keeps their order
    app = create_app(
        engine=pg,
        api_token=TOKEN,
        bus=bus,
        topics=TOPICS,
        clock=lambda: LATER + timedelta(minutes=next(ticks)),
        options=ApiOptions(oncall_file=oncall),
    )
    url = "/v1/incidents/inc_1"
    with TestClient(app) as client:

        def post(action: str, headers: dict[str, str], body: dict[str, Any] | None = None) -> Any:
            return client.post(f"{url}/{action}", json=body, headers=headers)

        # A respond key of alex claims to be the head of comms, then hands the incident away.
        forged = post("acknowledge", alex, {"responder": "Amara Osei (Head of Comms)"})
        assert (forged.status_code, forged.json()["error"]["code"]) == (403, "forbidden")
        assert post("acknowledge", alex).status_code == 200
        stolen = post("assign", sam, {"owner": "intern", "responder": "sam"})
        assert (stolen.status_code, stolen.json()["error"]["owner"]) == (409, "alex")
        # Sam takes it over, with a reason: audited, and alex is the previous owner.
        taken = post("take-over", sam, {"reason": "Alex is off shift"})
        assert taken.status_code == 200, taken.text
        # The admin acts only for a responder the on-call file knows, and says so.
        assert post("resolve", ADMIN).status_code == 403
        assert post("resolve", ADMIN, {"on_behalf_of": "intern"}).status_code == 403
        assert post("resolve", ADMIN, {"on_behalf_of": "alex"}).json()["error"]["owner"] == "sam"
        resolved = post("resolve", ADMIN, {"on_behalf_of": "sam"})
        assert resolved.status_code == 200, resolved.text
        timeline = client.get(url, headers=alex).json()["timeline"]
    human = [e for e in timeline if e["responder"] is not None]
    assert [
        (e["type"], e["action"], e["responder"], e["key_id"], e["on_behalf_of"]) for e in human
    ] == [
        ("acknowledged", None, "alex", alex_id, None),
        ("updated", "take_over", "sam", sam_id, None),
        ("resolved", None, "sam", "bootstrap", "sam"),
    ]
    assert (human[1]["previous_owner"], human[1]["reason"]) == ("alex", "Alex is off shift")
    assert resolved.json()["owner"] is None  # resolving released the lock
    assert "Amara" not in str(timeline)
    published = _events(bus)
    assert [(e.responder, e.key_id, e.on_behalf_of) for e in published] == [
        ("alex", alex_id, None),
        ("sam", sam_id, None),
        ("sam", "bootstrap", "sam"),
    ]
