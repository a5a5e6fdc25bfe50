from smileback.alerts.settings import AlertsSettings
from smileback.common.settings import load_settings
from tests.support.logs import SECRETS, leaked, secret_environment


def test_printed_settings_show_no_secret(monkeypatch):
    secrets = secret_environment(monkeypatch)
    settings = load_settings(AlertsSettings)
    assert leaked(repr(settings) + str(settings), secrets) == []


def test_the_webhook_url_reaches_the_notifier_whole(monkeypatch):
    secret_environment(monkeypatch)
    settings = load_settings(AlertsSettings)
    assert settings.webhook_url is not None
    assert settings.webhook_url.get_secret_value() == SECRETS["SMILEBACK_WEBHOOK_URL"]
