import json
from pathlib import Path

import pytest

from smileback.common.errors import ConfigError
from smileback.common.events import Mention, decode
from smileback.ingest import runner
from smileback.ingest.mapping import FieldMap
from smileback.ingest.runner import ReplayOptions, run_replay
from smileback.ingest.settings import IngestSettings

ACME = IngestSettings(brands={"acme": ["acme"]})


@pytest.fixture(autouse=True)
def _keep_test_logging(monkeypatch):
    monkeypatch.setattr(runner, "configure_logging", lambda **_: None)


def _must_not_connect(*args, **kwargs):
    raise AssertionError("connected to Kafka")


def test_a_missing_input_file_fails_before_connecting(monkeypatch, tmp_path):
    monkeypatch.setattr(runner, "KafkaBus", _must_not_connect)
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(ConfigError, match=r"cannot read input .*nope\.jsonl: No such file"):
        run_replay(settings=IngestSettings(), options=ReplayOptions(missing), output=None)


def test_invalid_brand_terms_fail_before_connecting(monkeypatch):
    monkeypatch.setattr(runner, "KafkaBus", _must_not_connect)
    with pytest.raises(ConfigError, match="brand 'acme' has no match terms"):
        run_replay(
            settings=IngestSettings(brands={"acme": []}),
            options=ReplayOptions(Path("-")),
            output=None,
        )


def test_with_an_output_file_a_csv_replay_never_connects_and_writes_mentions(
    monkeypatch, tmp_path, capsys
):
    monkeypatch.setattr(runner, "KafkaBus", _must_not_connect)
    source = tmp_path / "posts.csv"
    source.write_text(
        "post,body,user,followers\n"
        'p1,"Acme, again",ann,12\n'
        "p2,nothing to see,bob,\n"
        "p3,acme,carl,lots\n"
    )
    out = tmp_path / "out.jsonl"
    options = ReplayOptions(
        source,
        mapping=FieldMap.parse("id=post,text=body,author.handle=user,author.followers=followers"),
    )
    report = run_replay(settings=ACME, options=options, output=out)
    assert (report.read, report.published, report.unmatched, report.dlq) == (3, 1, 1, 1)
    (mention,) = [decode(Mention, raw) for raw in out.read_bytes().splitlines()]
    assert (mention.id, mention.brand, mention.author.handle) == ("p1", "acme", "ann")
    assert mention.author.followers == 12
    assert "record 3: " in capsys.readouterr().err


def test_output_dash_writes_mentions_to_stdout(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(runner, "KafkaBus", _must_not_connect)
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "m1", "text": "acme"}) + "\n")
    run_replay(settings=ACME, options=ReplayOptions(source), output=Path("-"))
    # Only the mention: structlog's test default also prints to stdout, configure_logging
    # (patched out here) sends logs to stderr.
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    assert [decode(Mention, x.encode()).id for x in lines] == ["m1"]


def test_an_unwritable_output_is_a_config_error(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("")
    with pytest.raises(ConfigError, match="cannot write output"):
        run_replay(settings=ACME, options=ReplayOptions(source), output=tmp_path / "no" / "x")


@pytest.mark.parametrize(("setting", "expected"), [("gzip", "gzip"), ("none", None)])
def test_the_kafka_sink_produces_with_the_configured_compression(
    monkeypatch, tmp_path, setting, expected
):
    made: list[dict] = []

    class FakeBus:
        def __init__(self, bootstrap, **kwargs):
            made.append(kwargs)

        def flush(self, timeout_s=None):
            pass

        def close(self):
            pass

    monkeypatch.setattr(runner, "KafkaBus", FakeBus)
    source = tmp_path / "in.jsonl"
    source.write_text("")
    settings = IngestSettings(ingest_compression=setting, ingest_live_rules=False)
    run_replay(settings=settings, options=ReplayOptions(source), output=None)
    assert made[0]["compression"] == expected
