"""`smileback ingest mastodon` as its own process against the real broker and a local
Mastodon: mentions keyed by thread root, tombstones, the DLQ; a restart resumes from the
position saved in Kafka (the backfill asks since it); a broker stopped mid-stream loses
nothing the stream delivered."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from smileback.common.events import Mention, decode
from smileback.common.kafka_bus import KafkaBus
from smileback.common.topics import Topics
from smileback.ingest.positions import KafkaPositions
from tests.support import infra
from tests.support.kafka import read_records, unique_topics
from tests.support.mastodon_server import HANG, MastodonServer, Script, sse, status
from tests.support.processes import ServiceProcess

TOKEN = "user-token"


@contextlib.contextmanager
def serving(server: MastodonServer) -> Iterator[MastodonServer]:
    """Run the local Mastodon on its own event loop in a thread, beside the process."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.__aenter__(), loop).result(10)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.__aexit__(None, None, None), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@contextlib.contextmanager
def ingest(
    *, bootstrap: str, topics: Topics, server: MastodonServer, log: Path
) -> Iterator[ServiceProcess]:
    env = {
        "SMILEBACK_KAFKA_BOOTSTRAP": bootstrap,
        "SMILEBACK_TOPIC_PREFIX": topics.prefix,
        "SMILEBACK_BRANDS": '{"acme": ["acme"]}',
        "SMILEBACK_MASTODON_TOKEN": TOKEN,
        "SMILEBACK_INGEST_CHECKPOINT_EVERY_S": "0.3",
        "SMILEBACK_INGEST_FLUSH_TIMEOUT_S": "2",
    }
    args = ["ingest", "mastodon", "--instance", server.url, "--stream", "public"]
    with ServiceProcess(args=args, env=env, log_path=log) as process:
        yield process
        assert process.alive(), process.tail()
        assert process.stop() == 0, process.tail()
    assert TOKEN not in log.read_text()


def wait(condition: Callable[[], bool], what: str, *, timeout_s: float = 40.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def on_topic(bootstrap: str, topics: Topics) -> list[tuple[int, Mention]]:
    return [(p, decode(Mention, value)) for p, _, value in read_records(bootstrap, topics.raw)]


def saved_position(bootstrap: str, topics: Topics, host: str) -> str | None:
    bus = KafkaBus(bootstrap)
    try:
        positions = KafkaPositions(bus=bus, bootstrap=bootstrap, topic=topics.positions)
        return positions.load(f"mastodon:{host}:public")
    finally:
        bus.close()


def reply(status_id: int, text: str, *, to: int) -> dict[str, object]:
    return {**status(status_id, text), "in_reply_to_id": str(to)}


def test_mentions_tombstones_dlq_and_a_restart_that_resumes(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    topics = unique_topics(kafka_bootstrap, stem="it-mastodon-")
    first: Script = [
        sse("update", status(1001, "acme coffee, cold again")),
        sse("update", reply(1002, "acme never answers", to=1001)),
        b"event: delete\ndata: 1001\n\n",
        b'event: update\ndata: {"id": "1003", \n\n',
        sse("update", status(1004, "nothing to see")),
        HANG,
    ]
    timeline = [status(1001, "acme coffee, cold again"), status(1004, "nothing to see")]
    server = MastodonServer(token=TOKEN, scripts=[first], timeline=timeline)
    with serving(server):
        host = "127.0.0.1"
        with ingest(bootstrap=kafka_bootstrap, topics=topics, server=server, log=tmp_path / "1"):
            wait(lambda: len(on_topic(kafka_bootstrap, topics)) >= 3, "three records")
            wait(
                lambda: saved_position(kafka_bootstrap, topics, host) == "1004",
                "the position after the last status",
            )
        records = on_topic(kafka_bootstrap, topics)
        by_id = {(m.id, m.deleted): (p, m) for p, m in records}
        root = f"mastodon:{host}:1001"
        assert set(by_id) == {(root, False), (f"mastodon:{host}:1002", False), (root, True)}
        assert by_id[(f"mastodon:{host}:1002", False)][1].root_id == root
        assert len({p for p, _ in by_id.values()}) == 1  # one thread, one partition
        dlq = read_records(kafka_bootstrap, topics.dlq)
        assert len(dlq) == 1
        assert base64.b64decode(json.loads(dlq[0][2])["raw_b64"]) == b'{"id": "1003", '

        # Posted while ingest was down: the restart backfills it, asking since the saved id.
        server.timeline.append(status(1005, "acme while you were away"))
        server.scripts.append([sse("update", status(1006, "acme once more")), HANG])
        with ingest(bootstrap=kafka_bootstrap, topics=topics, server=server, log=tmp_path / "2"):
            wait(
                lambda: (
                    {f"mastodon:{host}:1005", f"mastodon:{host}:1006"}
                    <= {m.id for _, m in on_topic(kafka_bootstrap, topics)}
                ),
                "the backfilled and the streamed status",
            )
        # One backfill (its pages all ask since the saved id), at the restart only.
        asked = [r.query.get("since_id") for r in server.served("/api/v1/timelines/public")]
        assert asked
        assert all(since == ["1004"] for since in asked)


def test_a_broker_stopped_mid_stream_loses_nothing_the_stream_delivered(tmp_path: Path) -> None:
    statuses = [status(3000 + n, f"acme number {n}") for n in range(1, 41)]
    # What the stream delivered is on the server's timelines too, as on a real instance.
    scripts: list[Script] = [
        [step for s in statuses[:20] for step in (sse("update", s), 0.15)] + [HANG],
        [step for s in statuses[20:] for step in (sse("update", s), 0.05)] + [HANG],
    ]
    server = MastodonServer(token=TOKEN, scripts=scripts, timeline=list(statuses))
    topics = Topics()
    with (
        infra.kafka_server() as (bootstrap, kafka),
        serving(server),
        ingest(bootstrap=bootstrap, topics=topics, server=server, log=tmp_path / "log"),
    ):
        wait(lambda: len(on_topic(bootstrap, topics)) >= 3, "the first mentions")
        kafka.stop()
        time.sleep(3)
        kafka.start()
        wanted = {f"mastodon:127.0.0.1:{s['id']}" for s in statuses}
        wait(
            lambda: wanted <= {m.id for _, m in on_topic(bootstrap, topics)},
            "every status on the topic",
            timeout_s=50,
        )
