import json
import subprocess

from smileback.common.events import ScoredMention, decode
from tests.support.processes import SMILEBACK

LINES = [
    b'{"id": "t:1", "text": "@acme this is the worst service, I am furious"}',
    b'{"id": "t:2", "text": ',
    b'{"id": "t:3", "text": "thank you @acme, lovely coffee!", "thread": {"root_id": "t:1"}}',
    b'{"id": "t:4", "text": "\xff\xfe"}',
]


def _score(stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(SMILEBACK), "score", "-i", "-", "-o", "-"],
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_score_reads_stdin_writes_stdout_and_reports_bad_lines():
    done = _score(b"\n".join(LINES) + b"\n")
    assert done.returncode == 0
    scored = [decode(ScoredMention, line) for line in done.stdout.splitlines()]
    assert [m.id for m in scored] == ["t:1", "t:3"]
    assert scored[0].scores.is_negative
    assert not scored[1].scores.is_negative
    assert 0.0 <= scored[0].scores.negativity <= 1.0
    err = done.stderr.decode()
    assert "line 2:" in err
    assert "line 4:" in err
    assert "invalid UTF-8" in err


def test_score_files_on_disk(tmp_path):
    source = tmp_path / "in.jsonl"
    target = tmp_path / "out.jsonl"
    source.write_bytes(LINES[0] + b"\n" + LINES[2] + b"\n")
    done = subprocess.run(
        [str(SMILEBACK), "score", "-i", str(source), "-o", str(target)],
        capture_output=True,
        timeout=120,
        check=True,
    )
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["t:1", "t:3"]
    assert all("negativity" in r["scores"] for r in rows)
    assert b"scored 2, bad lines 0" in done.stderr


def test_score_fails_when_nothing_could_be_scored():
    assert _score(b"not json\n").returncode == 1
