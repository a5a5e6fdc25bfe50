import pytest

from smileback.common.errors import ConfigError
from smileback.common.settings import (
    BrandSettings,
    CommonSettings,
    DatabaseSettings,
    MetricsSettings,
    env_name,
    load_settings,
)
from smileback.common.topics import Topics
from tests.support.logs import leaked, secret_environment


class _Everything(CommonSettings, MetricsSettings, DatabaseSettings, BrandSettings):
    """A composition like a service's: the parts keep their variables."""


def test_settings_read_prefixed_environment(monkeypatch):
    monkeypatch.setenv("SMILEBACK_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
    monkeypatch.setenv("SMILEBACK_BRANDS", '{"acme": ["acme", "@acmecoffee"]}')
    monkeypatch.setenv("SMILEBACK_METRICS_PORT", "0")
    settings = load_settings(_Everything)
    assert settings.kafka_bootstrap == "127.0.0.1:19092"
    assert settings.brands == {"acme": ["acme", "@acmecoffee"]}
    assert settings.metrics_port == 0
    assert settings.database_url == "sqlite:///smileback.db"


def test_unprefixed_variables_are_ignored(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP", "elsewhere:1")
    assert load_settings(CommonSettings).kafka_bootstrap == "127.0.0.1:9092"


def test_a_part_reads_only_its_own_variables(monkeypatch):
    monkeypatch.setenv("SMILEBACK_METRICS_PORT", "99999")
    monkeypatch.setenv("SMILEBACK_BRANDS", "{not json")
    assert load_settings(DatabaseSettings).database_url == "sqlite:///smileback.db"
    with pytest.raises(ConfigError):
        load_settings(_Everything)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SMILEBACK_METRICS_PORT", "99999", "SMILEBACK_METRICS_PORT: must be ≤ 65535"),
        ("SMILEBACK_METRICS_PORT", "-1", "SMILEBACK_METRICS_PORT: must be ≥ 0"),
        ("SMILEBACK_METRICS_PORT", "nine", "SMILEBACK_METRICS_PORT: must be a whole number"),
        ("SMILEBACK_LOG_LEVEL", "LOUD", "SMILEBACK_LOG_LEVEL: must be one of 'DEBUG', "),
        ("SMILEBACK_BRANDS", "{not json", "SMILEBACK_BRANDS: must be valid JSON"),
        (
            "SMILEBACK_DATABASE_URL",
            "sqlite://:x@h:port",
            "SMILEBACK_DATABASE_URL: not a SQLAlchemy",
        ),
        ("SMILEBACK_BRANDS", '{"acme": "acme"}', "SMILEBACK_BRANDS[acme]: must be a JSON list"),
    ],
)
def test_an_invalid_value_is_one_line_naming_the_variable(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        load_settings(_Everything)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)
    assert raised.value.__cause__ is None  # pydantic's message would repeat the input


def test_every_invalid_variable_is_named(monkeypatch):
    monkeypatch.setenv("SMILEBACK_METRICS_PORT", "99999")
    monkeypatch.setenv("SMILEBACK_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError) as raised:
        load_settings(_Everything)
    assert "SMILEBACK_METRICS_PORT" in str(raised.value)
    assert "SMILEBACK_LOG_FORMAT" in str(raised.value)


def test_env_name():
    assert env_name("api_port") == "SMILEBACK_API_PORT"


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
        topics.positions,
        topics.brand_rules,
    }


def test_printed_settings_show_no_database_password(monkeypatch):
    secrets = secret_environment(monkeypatch)
    settings = load_settings(_Everything)
    assert leaked(repr(settings) + str(settings), secrets) == []
    assert "database_url='postgresql+psycopg://smileback:***@db:5432/sb'" in repr(settings)
    assert settings.database_url.startswith("postgresql+psycopg://smileback:db-password-")
