"""`smileback ingest replay`, run as a user runs it: the console script in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from smileback.common.events import Mention, decode
from tests.support.jetstream_server import JetstreamServer, post
from tests.support.processes import SMILEBACK, ServiceProcess
from tests.support.stream_ingest import serving, wait

T0 = 1_773_480_000_000_000
DEAD = "http://127.0.0.1:9"  # no AppView: counts stay unknown, posts still go out

CSV = """\
post,body,user,posted
p1,Acme again,ann,2026-03-14T09:00:00Z
p2,nothing to see,bob,2026-03-14T09:00:01Z
p3,acme,carl,not a time
"""


def _ingest(*args: str, cwd: Path, env: dict[str, str] | None = None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SMILEBACK_")}
    return subprocess.run(
        [str(SMILEBACK), "ingest", *args],
        env={**clean, "SMILEBACK_BRANDS": '{"acme": ["acme"]}', **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_replay_of_a_mapped_csv_to_stdout(tmp_path: Path) -> None:
    (tmp_path / "posts.csv").write_text(CSV)
    done = _ingest(
        "replay",
        "-i",
        "posts.csv",
        "-o",
        "-",
        "--map",
        "id=post,text=body,author.handle=user,created_at=posted",
        "--speed",
        "1000",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    (mention,) = [decode(Mention, line.encode()) for line in done.stdout.splitlines()]
    assert (mention.id, mention.brand, mention.author.handle) == ("p1", "acme", "ann")
    assert "record 3: created_at: " in done.stderr
    # With -o -, stdout is the mentions; the report is on stderr.
    report = next(json.loads(x) for x in done.stderr.splitlines() if x.startswith('{"read"'))
    assert report == {"read": 3, "published": 1, "duplicates": 0, "unmatched": 1, "dlq": 1}


def test_replay_to_a_file_prints_the_report_on_stdout(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text('{"id": "m1", "text": "acme"}\n')
    done = _ingest("replay", "--input", "in.jsonl", "--output", "out.jsonl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["published"] == 1
    assert decode(Mention, (tmp_path / "out.jsonl").read_bytes().strip()).brand == "acme"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--map", "mood=body"], "smileback: --map: unknown target 'mood' (Mention has fields:"),
        (["--speed", "fast"], "smileback: --speed must be 'max' or a positive number, not 'fast'"),
        (["--format", "xml"], "smileback: --format must be jsonl or csv, not 'xml'"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(tmp_path: Path, args, message) -> None:
    (tmp_path / "in.jsonl").write_text("")
    done = _ingest("replay", "-i", "in.jsonl", "-o", "-", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(message)
    assert len(done.stderr.splitlines()) == 1


def test_ingest_without_a_source_lists_the_sources(tmp_path: Path) -> None:
    done = _ingest(cwd=tmp_path)
    assert "replay" in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (None, "smileback: SMILEBACK_INGEST_WEBHOOK_SECRET: required by `ingest webhook`"),
        ("whsec_bm90IGJhc2U2NA", "smileback: SMILEBACK_INGEST_WEBHOOK_SECRET: must be whsec_"),
    ],
)
def test_the_webhook_needs_a_valid_secret_and_never_repeats_it(tmp_path: Path, secret, message):
    env = {} if secret is None else {"SMILEBACK_INGEST_WEBHOOK_SECRET": secret}
    done = _ingest("webhook", "-o", "-", cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert done.stderr.startswith(message)
    assert secret is None or secret.removeprefix("whsec_") not in done.stderr


def test_jetstream_with_zstd_writes_the_inflated_posts_to_a_file(tmp_path: Path) -> None:
    """`--zstd` end to end through the command: compressed frames from a local Jetstream
    become Mention lines; no Kafka, no AppView needed for the text."""
    log = [post("did:plc:alice", f"3k{n}", f"acme coffee {n}", time_us=T0 + n) for n in range(3)]
    out = tmp_path / "mentions.jsonl"
    with serving(JetstreamServer(log=log)) as server:
        args = ["ingest", "jetstream", "--url", server.url, "--zstd", "-o", str(out)]
        env = {
            "SMILEBACK_BRANDS": '{"acme": ["acme"]}',
            "SMILEBACK_BLUESKY_APPVIEW": DEAD,
            "SMILEBACK_METRICS_PORT": "0",  # whatever else has the default port here
        }
        with ServiceProcess(args=args, env=env, log_path=tmp_path / "ingest.log") as process:
            wait(lambda: out.exists() and out.read_text().count("\n") == 3, "three posts")
            assert process.stop() == 0, process.tail()
        assert server.queries[0]["compress"] == ["true"]
    texts = [decode(Mention, line).text for line in out.read_bytes().splitlines()]
    assert texts == ["acme coffee 0", "acme coffee 1", "acme coffee 2"]


def test_replay_with_a_rules_file_matches_its_queries_besides_the_brands(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text("brands:\n  zeta:\n    query: zeta AND NOT tea\n")
    lines = [
        {"id": "m1", "text": "acme is late"},
        {"id": "m2", "text": "zeta beans"},
        {"id": "m3", "text": "zeta tea"},
    ]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    done = _ingest("replay", "-i", "in.jsonl", "-o", "-", "--rules", "rules.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = [decode(Mention, line.encode()) for line in done.stdout.splitlines()]
    assert [(m.id, m.brand) for m in written] == [("m1", "acme"), ("m2", "zeta")]


def test_a_rules_file_that_does_not_parse_is_exit_2_naming_line_and_column(tmp_path: Path):
    (tmp_path / "rules.yaml").write_text("brands:\n  zeta:\n    query: zeta OR\n")
    (tmp_path / "in.jsonl").write_text("")
    env = {"SMILEBACK_INGEST_RULES_FILE": "rules.yaml"}
    done = _ingest("replay", "-i", "in.jsonl", "-o", "-", cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert done.stderr.startswith("smileback: rules.yaml:3:19: brands.zeta.query: expected a term")
