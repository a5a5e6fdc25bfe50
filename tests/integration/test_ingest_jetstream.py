"""`smileback ingest jetstream` as its own process against the real broker, a local Jetstream
and a local AppView: posts with their follower counts, tombstones, the DLQ; a restart
resumes from the cursor saved in Kafka."""

from __future__ import annotations

import base64
import contextlib
import json
from pathlib import Path

from smileback.ingest.stream_runner import parse_position
from tests.support.appview_server import AppViewServer, profile
from tests.support.jetstream_server import JetstreamServer, commit, post
from tests.support.kafka import read_records, unique_topics
from tests.support.processes import ServiceProcess
from tests.support.stream_ingest import ingest, on_topic, saved_position, serving, wait

ALICE = "did:plc:alice"
T0 = 1_773_480_000_000_000


def test_posts_tombstones_dlq_and_a_restart_that_resumes_by_cursor(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    topics = unique_topics(kafka_bootstrap, stem="it-jetstream-")
    log = [
        post(ALICE, "3k1", "acme coffee, cold again", time_us=T0, cursor=1),
        post(ALICE, "3k2", "nothing to see", time_us=T0 + 1, cursor=2),
        commit(ALICE, "3k1", "delete", time_us=T0 + 2, cursor=3),
    ]
    garbage = '{"did": "did:plc:x", "time_us": '
    jetstream = JetstreamServer(log=log, garbage=[garbage])
    appview = AppViewServer(profiles={ALICE: profile(ALICE, followers=1234)})
    with serving(appview), serving(jetstream):
        key = f"jetstream:{jetstream.url}"
        args = ["jetstream", "--url", jetstream.url, "--appview", appview.url]

        def run(name: str) -> contextlib.AbstractContextManager[ServiceProcess]:
            return ingest(
                args=args, bootstrap=kafka_bootstrap, topics=topics, env={}, log=tmp_path / name
            )

        def saved_cursor() -> int | None:
            position = parse_position(saved_position(kafka_bootstrap, topics, key))
            return None if position is None else position.cursor

        with run("1"):
            wait(lambda: len(on_topic(kafka_bootstrap, topics)) >= 2, "post and tombstone")
            wait(lambda: saved_cursor() == 3, "the cursor of the last event")
        uri = f"at://{ALICE}/app.bsky.feed.post/3k1"
        mentions = [m for _, m in on_topic(kafka_bootstrap, topics)]
        assert [(m.id, m.deleted) for m in mentions] == [(uri, False), (uri, True)]
        assert mentions[0].author.followers == 1234
        dlq = read_records(kafka_bootstrap, topics.dlq)
        assert [base64.b64decode(json.loads(v)["raw_b64"]) for _, _, v in dlq] == [garbage.encode()]

        jetstream.log.append(post(ALICE, "3k4", "acme once more", time_us=T0 + 3, cursor=4))
        with run("2"):
            wait(
                lambda: (
                    f"at://{ALICE}/app.bsky.feed.post/3k4"
                    in {m.id for _, m in on_topic(kafka_bootstrap, topics)}
                ),
                "the post made while ingest was down",
            )
        assert jetstream.queries[1]["cursor"] == ["3"]
