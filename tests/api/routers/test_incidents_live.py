"""An incident's detail carries its thread's figures now, beside the packet's figures from
page time; the list and the detail answer conditional GETs (ETag, If-None-Match)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from smileback.common.events import IncidentEventType, ScoredMention
from tests.support.builders import T0, incident_event, quoting_packet, scored
from tests.support.store import store_events, store_mentions


def _reply(
    mention_id: str, *, minutes: int, negativity: float, velocity: float, risk: float
) -> ScoredMention:
    """A reply in inc_1's thread, scored with this velocity and pile-on risk."""
    reply = scored(
        mention_id,
        root="root-inc_1",
        created_at=T0 + timedelta(minutes=minutes),
        negativity=negativity,
        velocity=velocity,
        handle=f"replier{minutes}",
    )
    return reply.model_copy(
        update={"scores": reply.scores.model_copy(update={"pile_on_risk": risk})}
    )


def _incident_with_replies(engine: Engine) -> ScoredMention:
    headline = scored("root-inc_1")
    store_events(
        engine,
        [incident_event(IncidentEventType.OPENED, packet=quoting_packet(headline))],
    )
    store_mentions(
        engine,
        [
            headline,
            _reply("r1", minutes=1, negativity=0.8, velocity=1.5, risk=0.3),
            _reply("r2", minutes=3, negativity=0.2, velocity=2.0, risk=0.4),
            _reply("r3", minutes=2, negativity=0.9, velocity=4.25, risk=0.75),
            # Another brand's thread of the same root is not this incident's.
            scored("other", root="root-inc_1", brand="globex", created_at=T0 + timedelta(hours=1)),
        ],
    )
    return headline


def test_the_detail_shows_the_thread_now_beside_the_packet_from_page_time(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    _incident_with_replies(engine)
    body = client.get("/v1/incidents/inc_1", headers=auth).json()
    # The newest post (r2, three minutes in) carries the scorer's figures now.
    assert body["live"] == {
        "mentions": 4,
        "mentions_at_page_time": 1,
        "negatives": 3,
        "thread_velocity": 2.0,
        "pile_on_risk": 0.4,
        "as_of": (T0 + timedelta(minutes=3)).isoformat().replace("+00:00", "Z"),
    }
    # The packet keeps the figures of page time.
    assert body["context"]["why"]["thread_velocity"] == 0.0
    assert body["context"]["why"]["pile_on_risk"] == 0.0


def test_a_thread_with_no_stored_post_has_zero_figures_now_and_no_time(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    store_events(engine, [incident_event(IncidentEventType.OPENED)])
    body = client.get("/v1/incidents/inc_1", headers=auth).json()
    assert body["live"] == {
        "mentions": 0,
        "mentions_at_page_time": 1,
        "negatives": 0,
        "thread_velocity": 0.0,
        "pile_on_risk": 0.0,
        "as_of": None,
    }


def test_an_unchanged_list_is_not_sent_again_and_a_change_is(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    store_events(engine, [incident_event(IncidentEventType.OPENED)])
    first = client.get("/v1/incidents", params={"status": "open"}, headers=auth)
    assert first.status_code == 200
    etag = first.headers["etag"]

    again = client.get(
        "/v1/incidents", params={"status": "open"}, headers={**auth, "If-None-Match": etag}
    )
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)

    store_events(engine, [incident_event(IncidentEventType.OPENED, incident_id="inc_2")])
    changed = client.get(
        "/v1/incidents", params={"status": "open"}, headers={**auth, "If-None-Match": etag}
    )
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert [item["id"] for item in changed.json()["items"]] == ["inc_2", "inc_1"]


def test_the_detail_is_revalidated_by_its_etag(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    _incident_with_replies(engine)
    first = client.get("/v1/incidents/inc_1", headers=auth)
    etag = first.headers["etag"]
    listed = f'"other", W/{etag}'  # a list of tags, one of them weak, still matches
    same = client.get("/v1/incidents/inc_1", headers={**auth, "If-None-Match": listed})
    assert same.status_code == 304

    # A new reply changes the figures now, so the detail is sent again.
    store_mentions(engine, [_reply("r4", minutes=5, negativity=0.9, velocity=6.0, risk=0.9)])
    changed = client.get("/v1/incidents/inc_1", headers={**auth, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["live"]["mentions"] == 5
    assert changed.json()["live"]["thread_velocity"] == 6.0


def test_a_conditional_get_of_an_unknown_incident_is_still_a_404(
    client: TestClient, auth: dict[str, str]
) -> None:
    response = client.get("/v1/incidents/nope", headers={**auth, "If-None-Match": "*"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_list_shows_each_incident_s_audience_and_the_start_of_its_post(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    long_post = scored("root-inc_1", text="Acme Coffee " + "never again " * 40, followers=98_765)
    store_events(
        engine,
        [
            incident_event(IncidentEventType.OPENED, packet=quoting_packet(long_post)),
            incident_event(IncidentEventType.OPENED, incident_id="inc_2"),  # no packet
        ],
    )
    items = client.get("/v1/incidents", headers=auth).json()["items"]
    shown = {item["id"]: (item["author_followers"], item["excerpt"]) for item in items}
    assert shown == {"inc_1": (98_765, long_post.text[:200]), "inc_2": (None, None)}
