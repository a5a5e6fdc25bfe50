"""The api as the channel callback tests run it: one open incident (`inc_1`), a fixed clock,
an on-call file naming each responder's PagerDuty and Slack ids, and an in-memory bus whose
incident events the tests read back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from smileback.api.app import ApiOptions, create_app
from smileback.api.routers.callbacks_common import Channels
from smileback.common.bus import InMemoryBus
from smileback.common.events import IncidentEvent, decode
from smileback.common.topics import Topics
from tests.support.api_fixtures import TOKEN
from tests.support.builders import T0
from tests.support.store import opened_incident

__all__ = ["AUTH", "NOW", "TOPICS", "callbacks_client", "published"]

TOPICS = Topics()
NOW = T0 + timedelta(minutes=7)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@contextmanager
def callbacks_client(
    *, engine: Engine, bus: InMemoryBus, tmp_path: Path, oncall: str, channels: Channels
) -> Iterator[TestClient]:
    """A client of the api over `engine` with `inc_1` open, `oncall` as its on-call file."""
    opened_incident(engine)
    oncall_file = tmp_path / "oncall.yaml"
    oncall_file.write_text(oncall)
    app = create_app(
        engine=engine,
        api_token=TOKEN,
        bus=bus,
        topics=TOPICS,
        clock=lambda: NOW,
        options=ApiOptions(oncall_file=oncall_file),
        channels=channels,
    )
    with TestClient(app) as client:
        yield client


def published(bus: InMemoryBus) -> list[IncidentEvent]:
    """The incident events the api has published so far."""
    return [decode(IncidentEvent, r.value) for r in bus.records(TOPICS.incidents)]
