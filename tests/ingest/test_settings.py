from smileback.common.settings import load_settings
from smileback.ingest.settings import IngestSettings
from tests.support.logs import leaked, secret_environment


def test_ingest_reads_the_brands_and_not_the_other_services_settings(monkeypatch):
    monkeypatch.setenv("SMILEBACK_BRANDS", '{"acme": ["acme"]}')
    monkeypatch.setenv("SMILEBACK_API_PORT", "99999")
    monkeypatch.setenv("SMILEBACK_SCORER_BATCH_SIZE", "nine")
    assert load_settings(IngestSettings).brands == {"acme": ["acme"]}


def test_a_streaming_ingest_serves_health_and_metrics_on_the_metrics_port(monkeypatch):
    monkeypatch.setenv("SMILEBACK_METRICS_PORT", "9104")
    assert load_settings(IngestSettings).metrics_port == 9104


def test_printed_settings_show_no_secret(monkeypatch):
    secrets = secret_environment(monkeypatch)
    settings = load_settings(IngestSettings)
    assert leaked(repr(settings) + str(settings), secrets) == []
