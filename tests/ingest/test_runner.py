from pathlib import Path

import pytest

from smileback.common.errors import ConfigError
from smileback.ingest import runner
from smileback.ingest.settings import IngestSettings


@pytest.fixture(autouse=True)
def _keep_test_logging(monkeypatch):
    monkeypatch.setattr(runner, "configure_logging", lambda **_: None)


def _must_not_connect(*args, **kwargs):
    raise AssertionError("connected to Kafka before checking its input")


def test_a_missing_input_file_fails_before_connecting(monkeypatch, tmp_path):
    monkeypatch.setattr(runner, "KafkaBus", _must_not_connect)
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(ConfigError, match=r"cannot read input .*nope\.jsonl: No such file"):
        runner.run(settings=IngestSettings(), input_path=missing)


def test_invalid_brand_terms_fail_before_connecting(monkeypatch):
    monkeypatch.setattr(runner, "KafkaBus", _must_not_connect)
    with pytest.raises(ConfigError, match="brand 'acme' has no match terms"):
        runner.run(settings=IngestSettings(brands={"acme": []}), input_path=Path("-"))
