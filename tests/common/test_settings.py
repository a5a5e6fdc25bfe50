import pytest
from pydantic import ValidationError

from smileback.common.settings import Settings
from smileback.common.topics import Topics


def test_settings_read_prefixed_environment(monkeypatch):
    monkeypatch.setenv("SMILEBACK_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
    monkeypatch.setenv("SMILEBACK_API_TOKEN", "s3cret-token")
    monkeypatch.setenv("SMILEBACK_BRANDS", '{"acme": ["acme", "@acmecoffee"]}')
    settings = Settings()
    assert settings.kafka_bootstrap == "127.0.0.1:19092"
    assert settings.brands == {"acme": ["acme", "@acmecoffee"]}
    assert settings.api_token is not None
    assert settings.api_token.get_secret_value() == "s3cret-token"


def test_secrets_never_show_in_repr(monkeypatch):
    monkeypatch.setenv("SMILEBACK_API_TOKEN", "s3cret-token")
    monkeypatch.setenv("SMILEBACK_WEBHOOK_SECRET", "hmac-key")
    settings = Settings()
    assert "s3cret-token" not in repr(settings)
    assert "hmac-key" not in str(settings.model_dump())


def test_invalid_values_fail_fast(monkeypatch):
    monkeypatch.setenv("SMILEBACK_API_PORT", "99999")
    with pytest.raises(ValidationError, match="api_port"):
        Settings()


def test_unprefixed_variables_are_ignored(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP", "elsewhere:1")
    assert Settings().kafka_bootstrap == "127.0.0.1:9092"


def test_topics_follow_the_prefix():
    topics = Topics(prefix="t1.")
    assert topics.raw == "t1.mentions.raw"
    assert topics.all()["t1.dlq"] == 1
    assert set(topics.all()) == {
        topics.raw,
        topics.scored,
        topics.incidents,
        topics.queues,
        topics.dlq,
    }
