"""`smileback ingest jetstream` as its own process against the real broker, a local Jetstream
and a local AppView: posts with their follower counts, tombstones, the DLQ; a restart
resumes from the cursor saved in Kafka; a broker stopped while the stream goes on loses no
post the stream sent."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smileback.common.topics import Topics
from smileback.ingest.stream_runner import parse_position
from tests.support import infra
from tests.support.appview_server import AppViewServer, profile
from tests.support.jetstream_server import JetstreamServer, commit, post
from tests.support.kafka import read_records, unique_topics
from tests.support.processes import ServiceProcess
from tests.support.stream_ingest import ingest, on_topic, pauses, saved_position, serving, wait

ALICE = "did:plc:alice"
BOB = "did:plc:bob"
T0 = 1_773_480_000_000_000
EVERY_S = 0.05  # the firehose's pace, in real time and in time_us
# After a broker restart the producer reconnects with a backoff of up to 30 s and ingest
# reopens the stream with one of up to 30 s; a loaded machine stretches both.
RECOVERY_S = 240.0


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


@contextlib.contextmanager
def firehose(server: JetstreamServer, *, sequenced: bool) -> Iterator[None]:
    """Append a post to the server's log every EVERY_S until the block ends: every third
    one mentions nothing, the others mention acme. `sequenced`: with v2 cursors."""
    stop = threading.Event()

    def feed() -> None:
        n = 0
        while not stop.wait(EVERY_S):
            n += 1
            text = f"nothing to see {n}" if n % 3 == 0 else f"acme number {n}"
            author = (ALICE, BOB)[n % 2]
            time_us = T0 + n * int(EVERY_S * 1_000_000)
            cursor = n if sequenced else None
            server.log.append(post(author, f"3p{n}", text, time_us=time_us, cursor=cursor))

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        yield
    finally:
        stop.set()
        feeder.join(10)


def sent_count(server: JetstreamServer) -> int:
    return sum(len(events) for events in server.sent)


@pytest.mark.parametrize("sequenced", [True, False], ids=["v2-cursor", "v1-time_us"])
def test_a_broker_stopped_mid_stream_loses_nothing_the_stream_sent(
    tmp_path: Path, *, sequenced: bool
) -> None:
    jetstream = JetstreamServer(live=True)
    appview = AppViewServer(
        profiles={ALICE: profile(ALICE, followers=10), BOB: profile(BOB, followers=20)}
    )
    topics = Topics()
    with (
        infra.kafka_server() as (bootstrap, kafka),
        serving(appview),
        serving(jetstream),
        ingest(
            args=["jetstream", "--url", jetstream.url, "--appview", appview.url],
            bootstrap=bootstrap,
            topics=topics,
            env={},
            log=tmp_path / "log",
        ) as run,
    ):
        # Ingest starts at now: the firehose begins once it is connected, so every post
        # in the log is one it must get.
        wait(lambda: len(jetstream.queries) == 1, "ingest connected")
        with firehose(jetstream, sequenced=sequenced):
            wait(lambda: len(on_topic(bootstrap, topics)) >= 5, "the first posts on the topic")
            kafka.stop()
            sent_at_stop = sent_count(jetstream)
            # Down until ingest has paused, with posts sent to it that Kafka never took.
            wait(lambda: pauses(run) >= 1, "the stream paused", timeout_s=RECOVERY_S)
            wait(lambda: sent_count(jetstream) > sent_at_stop, "posts sent while down")
            assert run.alive(), run.tail()
            kafka.start()
            restarted = len(jetstream.log)
            wait(
                lambda: bool(
                    {uri(e) for e in jetstream.log[restarted:]}
                    & {m.id for _, m in on_topic(bootstrap, topics)}
                ),
                "a post made after the restart on the topic",
                timeout_s=RECOVERY_S,
            )
        posts = [e for e in jetstream.log if e["commit"]["record"]["text"].startswith("acme")]
        wait(
            lambda: {uri(e) for e in posts} <= {m.id for _, m in on_topic(bootstrap, topics)},
            "every post the stream sent on the topic",
            timeout_s=RECOVERY_S,
        )


def uri(event: dict[str, Any]) -> str:
    return f"at://{event['did']}/app.bsky.feed.post/{event['commit']['rkey']}"
