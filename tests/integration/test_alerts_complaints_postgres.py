"""Recent complaints on PostgreSQL: a batch's new complaints are copied in, in the order they
arrived, a dropped one is deleted, and a restart loads them back in that order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from smileback.alerts.incidents import Complaint, ComplaintChanges
from smileback.alerts.outbox.complaints import ComplaintStore
from smileback.alerts.outbox.db import create_schema, make_engine
from smileback.common.packet import PostRef
from tests.support.infra import fresh_database
from tests.support.statements import statements_run

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def _complaint(n: int, *, brand: str = "acme") -> Complaint:
    text = f'complaint {n}: "cold" \\ again\ttab, caf\u00e9 \U0001f64c'
    return Complaint(
        brand=brand,
        root_id=f"root{n % 3}",
        ref=PostRef(mention_id=f"m{n}", handle=f"user{n}", text=text, negativity=0.9, at=T0),
        at=T0 + timedelta(seconds=n, microseconds=250),
    )


def test_complaints_are_copied_in_order_and_load_back_as_they_were(postgres_url: str) -> None:
    with fresh_database(postgres_url, prefix="alerts_complaints") as url:
        engine = make_engine(url)
        try:
            create_schema(engine)
            store = ComplaintStore(engine)
            # Arrival order is not id order nor time order: the rows keep the arrival order.
            first = [_complaint(n) for n in (5, 1, 3)] + [_complaint(2, brand="globex")]
            with statements_run(engine) as statements, Session(engine) as session, session.begin():
                store.save(session, changes=ComplaintChanges(dropped=[], added=first))
            assert not any(many for _, many in statements), statements  # copied, not a row each
            assert "INSERT" not in [verb for verb, _ in statements]
            later = [_complaint(4)]
            with Session(engine) as session, session.begin():
                store.save(session, changes=ComplaintChanges(dropped=[("acme", "m1")], added=later))
            loaded = store.load()
        finally:
            engine.dispose()
    expected = [c for c in first if c.ref.mention_id != "m1"] + later
    assert loaded == expected
