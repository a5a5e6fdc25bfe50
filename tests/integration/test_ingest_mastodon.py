"""`smileback ingest mastodon` as its own process against the real broker and a local
Mastodon: mentions keyed by thread root, tombstones, the DLQ; a restart resumes from the
position saved in Kafka (the backfill asks since it); a broker stopped mid-stream loses
nothing the stream delivered."""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

from smileback.common.topics import Topics
from tests.support import infra
from tests.support.kafka import read_records, unique_topics
from tests.support.mastodon_server import HANG, MastodonServer, Script, sse, status
from tests.support.stream_ingest import ingest, on_topic, saved_position, serving, wait

TOKEN = "user-token"


@contextlib.contextmanager
def mastodon(
    *, bootstrap: str, topics: Topics, server: MastodonServer, log: Path
) -> Iterator[None]:
    args = ["mastodon", "--instance", server.url, "--stream", "public"]
    env = {"SMILEBACK_MASTODON_TOKEN": TOKEN}
    with ingest(args=args, bootstrap=bootstrap, topics=topics, env=env, log=log):
        yield
    assert TOKEN not in log.read_text()


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
        with mastodon(bootstrap=kafka_bootstrap, topics=topics, server=server, log=tmp_path / "1"):
            wait(lambda: len(on_topic(kafka_bootstrap, topics)) >= 3, "three records")
            wait(
                lambda: (
                    saved_position(kafka_bootstrap, topics, f"mastodon:{host}:public") == "1004"
                ),
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
        with mastodon(bootstrap=kafka_bootstrap, topics=topics, server=server, log=tmp_path / "2"):
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
        mastodon(bootstrap=bootstrap, topics=topics, server=server, log=tmp_path / "log"),
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
