import pytest

from smileback.api.settings import ApiSettings
from smileback.common.errors import ConfigError
from smileback.common.settings import load_settings
from tests.support.logs import leaked, secret_environment


def test_the_api_reads_its_own_and_the_shared_variables(monkeypatch):
    monkeypatch.setenv("SMILEBACK_API_TOKEN", "s3cret-token")
    monkeypatch.setenv("SMILEBACK_DATABASE_URL", "sqlite:///elsewhere.db")
    monkeypatch.setenv("SMILEBACK_ONCALL_FILE", "oncall.yaml")
    settings = load_settings(ApiSettings)
    assert settings.api_token is not None
    assert settings.api_token.get_secret_value() == "s3cret-token"
    assert "s3cret-token" not in repr(settings)
    assert (settings.database_url, settings.oncall_file) == (
        "sqlite:///elsewhere.db",
        "oncall.yaml",
    )


def test_a_port_out_of_range_names_the_variable(monkeypatch):
    monkeypatch.setenv("SMILEBACK_API_PORT", "99999")
    with pytest.raises(ConfigError) as raised:
        load_settings(ApiSettings)
    assert str(raised.value) == "SMILEBACK_API_PORT: must be ≤ 65535"


def test_other_services_settings_are_not_read(monkeypatch):
    monkeypatch.setenv("SMILEBACK_SCORER_BATCH_SIZE", "0")
    monkeypatch.setenv("SMILEBACK_SMTP_PORT", "0")
    assert load_settings(ApiSettings).api_port == 8000


def test_printed_settings_show_no_secret(monkeypatch):
    secrets = secret_environment(monkeypatch)
    settings = load_settings(ApiSettings)
    assert leaked(repr(settings) + str(settings), secrets) == []
