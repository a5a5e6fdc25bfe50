import socket
import ssl

import faust
import pytest
from faust.types.auth import AuthProtocol, SASLMechanism
from pydantic import SecretStr

from smileback.common.errors import ConfigError
from smileback.common.kafka_security import (
    KafkaSecuritySettings,
    cannot_connect,
    faust_credentials,
    kafka_client_options,
    ssl_context,
)
from smileback.common.settings import CommonSettings, load_settings
from tests.support.kafka_tls import make_ca

SECRET = "correct-horse-battery-staple"


@pytest.fixture
def pem(tmp_path):
    """A certificate and its key (a CA's will do for loading a chain)."""
    return make_ca(tmp_path)


def _sasl_ssl(**more):
    return KafkaSecuritySettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="smileback-alerts",
        kafka_sasl_password=SecretStr(SECRET),
        **more,
    )


def test_every_service_reads_the_security_settings_from_the_environment(monkeypatch, pem):
    monkeypatch.setenv("SMILEBACK_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("SMILEBACK_KAFKA_SASL_USERNAME", "smileback-api")
    monkeypatch.setenv("SMILEBACK_KAFKA_SASL_PASSWORD", SECRET)
    monkeypatch.setenv("SMILEBACK_KAFKA_SSL_CAFILE", str(pem[0]))
    settings = load_settings(CommonSettings)
    assert settings.kafka_security_protocol == "SASL_SSL"
    assert settings.kafka_sasl_mechanism == "SCRAM-SHA-512"
    assert settings.kafka_sasl_username == "smileback-api"
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)


def test_plaintext_is_the_default_and_adds_no_client_options():
    settings = load_settings(CommonSettings)
    assert settings.kafka_security_protocol == "PLAINTEXT"
    assert kafka_client_options(settings) == {"security_protocol": "PLAINTEXT"}
    assert kafka_client_options(None) == {}
    assert faust_credentials(settings) is None


@pytest.mark.parametrize("protocol", ["SASL_PLAINTEXT", "PLAINTEXT", "SSL"])
def test_plain_is_refused_without_tls_at_start(monkeypatch, protocol):
    monkeypatch.setenv("SMILEBACK_KAFKA_SECURITY_PROTOCOL", protocol)
    monkeypatch.setenv("SMILEBACK_KAFKA_SASL_MECHANISM", "PLAIN")
    monkeypatch.setenv("SMILEBACK_KAFKA_SASL_USERNAME", "u")
    monkeypatch.setenv("SMILEBACK_KAFKA_SASL_PASSWORD", SECRET)
    with pytest.raises(ConfigError) as raised:
        load_settings(CommonSettings)
    assert str(raised.value) == (
        "SMILEBACK_KAFKA_SASL_MECHANISM: PLAIN sends the password in clear: use it only with "
        "SASL_SSL"
    )


def test_plain_over_sasl_ssl_is_allowed(monkeypatch):
    monkeypatch.setenv("SMILEBACK_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("SMILEBACK_KAFKA_SASL_MECHANISM", "PLAIN")
    monkeypatch.setenv("SMILEBACK_KAFKA_SASL_USERNAME", "u")
    monkeypatch.setenv("SMILEBACK_KAFKA_SASL_PASSWORD", SECRET)
    assert load_settings(CommonSettings).kafka_sasl_mechanism == "PLAIN"


@pytest.mark.parametrize("given", [{}, {"USERNAME": "u"}, {"PASSWORD": SECRET}])
def test_sasl_needs_a_user_and_a_password(monkeypatch, given):
    monkeypatch.setenv("SMILEBACK_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    for name, value in given.items():
        monkeypatch.setenv(f"SMILEBACK_KAFKA_SASL_{name}", value)
    with pytest.raises(ConfigError) as raised:
        load_settings(CommonSettings)
    assert str(raised.value) == (
        "SMILEBACK_KAFKA_SASL_PASSWORD: SASL_SSL needs both a SASL username and a password"
    )
    assert SECRET not in str(raised.value)


def test_a_ca_file_that_cannot_be_read_is_a_config_error_when_a_client_is_built(tmp_path):
    security = _sasl_ssl(kafka_ssl_cafile=str(tmp_path / "ca.pem"))
    with pytest.raises(ConfigError, match="SMILEBACK_KAFKA_SSL_CAFILE: cannot read its CAs"):
        kafka_client_options(security)


def test_a_client_key_that_does_not_fit_is_a_config_error(tmp_path, pem):
    _, other_key = make_ca(tmp_path, name="other")
    security = _sasl_ssl(kafka_ssl_certfile=str(pem[0]), kafka_ssl_keyfile=str(other_key))
    with pytest.raises(ConfigError, match="cannot read the client certificate and key"):
        faust_credentials(security)


def test_a_client_certificate_needs_its_key(monkeypatch, pem):
    monkeypatch.setenv("SMILEBACK_KAFKA_SSL_CERTFILE", str(pem[0]))
    with pytest.raises(ConfigError, match="SMILEBACK_KAFKA_SSL_KEYFILE: a client certificate"):
        load_settings(CommonSettings)


def test_sasl_ssl_gives_kafka_python_the_login_and_a_verifying_tls_context(pem):
    options = kafka_client_options(_sasl_ssl(kafka_ssl_cafile=str(pem[0])))
    context = options.pop("ssl_context")
    assert options == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "smileback-alerts",
        "sasl_plain_password": SECRET,
    }
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert [ca["subject"] for ca in context.get_ca_certs()] == [
        ((("commonName", "smileback-test-ca"),),)
    ]


def test_ssl_alone_sends_no_login_and_may_present_a_client_certificate(pem):
    security = KafkaSecuritySettings(
        kafka_security_protocol="SSL",
        kafka_ssl_cafile=str(pem[0]),
        kafka_ssl_certfile=str(pem[0]),
        kafka_ssl_keyfile=str(pem[1]),
    )
    options = kafka_client_options(security)
    assert set(options) == {"security_protocol", "ssl_context"}
    credentials = faust_credentials(security)
    assert isinstance(credentials, faust.SSLCredentials)
    assert credentials.protocol is AuthProtocol.SSL
    assert isinstance(credentials.context, ssl.SSLContext)


def test_no_tls_context_without_tls():
    security = KafkaSecuritySettings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_username="u",
        kafka_sasl_password=SecretStr(SECRET),
    )
    assert ssl_context(security) is None
    assert "ssl_context" not in kafka_client_options(security)
    credentials = faust_credentials(security)
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol is AuthProtocol.SASL_PLAINTEXT


def test_faust_gets_scram_over_tls_for_sasl_ssl():
    credentials = faust_credentials(_sasl_ssl())
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol is AuthProtocol.SASL_SSL
    assert credentials.mechanism is SASLMechanism.SCRAM_SHA_512
    assert (credentials.username, credentials.password) == ("smileback-alerts", SECRET)
    assert SECRET not in repr(credentials)


def test_a_plaintext_bootstrap_failure_is_reported_as_it_is():
    error = cannot_connect("127.0.0.1:1", None, TimeoutError("Unable to bootstrap"))
    assert str(error) == "cannot reach Kafka at 127.0.0.1:1: Unable to bootstrap"


def test_a_secured_bootstrap_failure_adds_nothing_when_nothing_answers():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    error = cannot_connect(f"127.0.0.1:{port}", _sasl_ssl(), TimeoutError("Unable to bootstrap"))
    assert str(error) == f"cannot reach Kafka at 127.0.0.1:{port}: Unable to bootstrap"
