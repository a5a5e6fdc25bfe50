"""Kafka client security: TLS and SASL settings, and the options every Kafka client is built
with from them (kafka-python's keyword arguments, Faust's `broker_credentials`).

The `incidents` topic is a control channel (an `acknowledged` event stops escalation), so in
production every client authenticates (SCRAM) over TLS and the broker's ACLs decide what
each service may write. PLAINTEXT stays the default for the embedded and local runs.
"""

from __future__ import annotations

import socket
import ssl
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationInfo, field_validator

from smileback.common.errors import BusError, ConfigError

if TYPE_CHECKING:
    from faust.types.auth import CredentialsT

__all__ = [
    "KafkaSecuritySettings",
    "SaslMechanism",
    "SecurityProtocol",
    "cannot_connect",
    "faust_credentials",
    "kafka_client_options",
    "ssl_context",
]

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_SSL", "SASL_PLAINTEXT"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]

_SASL = frozenset({"SASL_SSL", "SASL_PLAINTEXT"})
_TLS = frozenset({"SSL", "SASL_SSL"})


class KafkaSecuritySettings(BaseModel):
    """How every Kafka client authenticates and encrypts (a part of `CommonSettings`).

    A plain model, not settings of its own: the settings class it is mixed into reads the
    environment, with the prefix and config all settings share.
    """

    kafka_security_protocol: SecurityProtocol = Field(
        default="PLAINTEXT",
        description="`SASL_SSL` (SCRAM over TLS) in production; `SSL` for TLS alone; "
        "`SASL_PLAINTEXT` only for development (the traffic is readable)",
    )
    kafka_sasl_mechanism: SaslMechanism = Field(
        default="SCRAM-SHA-512",
        description="SASL mechanism; `PLAIN` sends the password itself, so only with `SASL_SSL`",
    )
    kafka_sasl_username: str | None = Field(
        default=None, description="SASL user (required with `SASL_*`), e.g. `smileback-alerts`"
    )
    kafka_sasl_password: SecretStr | None = Field(
        default=None,
        validate_default=True,
        description="SASL password (required with `SASL_*`); never logged",
    )
    kafka_ssl_cafile: str | None = Field(
        default=None,
        description="PEM file of the CA(s) that signed the brokers' certificates (TLS); "
        "none: the system's trusted CAs",
    )
    kafka_ssl_certfile: str | None = Field(
        default=None, description="PEM client certificate, for brokers that require mutual TLS"
    )
    kafka_ssl_keyfile: str | None = Field(
        default=None,
        validate_default=True,
        description="PEM private key of `SMILEBACK_KAFKA_SSL_CERTFILE` (unencrypted)",
    )

    @field_validator("kafka_sasl_mechanism")
    @classmethod
    def _plain_only_over_tls(cls, value: str, info: ValidationInfo) -> str:
        protocol = info.data.get("kafka_security_protocol")
        if value == "PLAIN" and protocol is not None and protocol != "SASL_SSL":
            raise ValueError("PLAIN sends the password in clear: use it only with SASL_SSL")
        return value

    @field_validator("kafka_sasl_password")
    @classmethod
    def _sasl_has_credentials(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        protocol = info.data.get("kafka_security_protocol")
        if protocol in _SASL and (not info.data.get("kafka_sasl_username") or not value):
            raise ValueError(f"{protocol} needs both a SASL username and a password")
        return value

    @field_validator("kafka_ssl_keyfile")
    @classmethod
    def _key_with_certificate(cls, value: str | None, info: ValidationInfo) -> str | None:
        cert = info.data.get("kafka_ssl_certfile")
        if (value is None) != (cert is None) and "kafka_ssl_certfile" in info.data:
            raise ValueError("a client certificate and its key go together: set both or neither")
        return value


def ssl_context(security: KafkaSecuritySettings) -> ssl.SSLContext | None:
    """The TLS context of `SSL` and `SASL_SSL` (None otherwise): the brokers' certificates are
    checked against the CA file and the host name, and the client certificate is presented
    when one is set. ConfigError when a file cannot be read."""
    if security.kafka_security_protocol not in _TLS:
        return None
    # Read when a client is built (at start), not when the settings are: the files are
    # mounts of the pod that runs the service, not of whatever checks its settings.
    try:
        context = ssl.create_default_context(cafile=security.kafka_ssl_cafile)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"SMILEBACK_KAFKA_SSL_CAFILE: cannot read its CAs ({exc})") from None
    if security.kafka_ssl_certfile is not None:
        try:
            context.load_cert_chain(security.kafka_ssl_certfile, security.kafka_ssl_keyfile)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                "SMILEBACK_KAFKA_SSL_CERTFILE, SMILEBACK_KAFKA_SSL_KEYFILE: cannot read the "
                f"client certificate and key ({exc})"
            ) from None
    return context


def kafka_client_options(security: KafkaSecuritySettings | None) -> dict[str, object]:
    """kafka-python's keyword arguments for `security` (none: PLAINTEXT, no arguments)."""
    if security is None:
        return {}
    protocol = security.kafka_security_protocol
    options: dict[str, object] = {"security_protocol": protocol}
    context = ssl_context(security)
    if context is not None:
        options["ssl_context"] = context
    if protocol in _SASL:
        password = security.kafka_sasl_password
        options["sasl_mechanism"] = security.kafka_sasl_mechanism
        options["sasl_plain_username"] = security.kafka_sasl_username
        options["sasl_plain_password"] = password.get_secret_value() if password else None
    return options


def faust_credentials(security: KafkaSecuritySettings) -> CredentialsT | None:
    """Faust's `broker_credentials` for `security` (None: PLAINTEXT)."""
    # Imported here: only the scorer pays for importing Faust.
    import faust

    protocol = security.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = ssl_context(security)
    if protocol == "SSL":
        return faust.SSLCredentials(context)
    password = security.kafka_sasl_password
    # With an ssl_context Faust speaks SASL_SSL, without one SASL_PLAINTEXT.
    return faust.SASLCredentials(
        username=security.kafka_sasl_username,
        password=password.get_secret_value() if password else None,
        ssl_context=context,
        mechanism=security.kafka_sasl_mechanism,
    )


def cannot_connect(
    bootstrap: str,
    security: KafkaSecuritySettings | None,
    error: Exception,
    *,
    timeout_s: float = 5.0,
) -> BusError:
    """The BusError of a client that could not bootstrap, with the likely reason when the
    connection is secured.

    kafka-python logs the broker's refusal (a failed TLS handshake, a refused SASL login) and
    then reports only "Unable to bootstrap", so a TLS handshake of our own (at most
    `timeout_s`) tells an untrusted certificate from a broker that answers but refused the
    login. The message names the user, never the password.
    """
    message = f"cannot reach Kafka at {bootstrap}: {error}"
    reason = _likely_refusal(bootstrap, security, timeout_s=timeout_s)
    return BusError(f"{message}; {reason}" if reason else message)


def _likely_refusal(
    bootstrap: str, security: KafkaSecuritySettings | None, *, timeout_s: float
) -> str | None:
    if security is None or security.kafka_security_protocol == "PLAINTEXT":
        return None
    host, _, port = bootstrap.split(",")[0].strip().rpartition(":")
    host = host.strip("[]")
    context = ssl_context(security)
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s) as connection:
            if context is not None:
                context.wrap_socket(connection, server_hostname=host).close()
    except ssl.SSLCertVerificationError as exc:
        return (
            f"the broker's certificate is not trusted ({exc.verify_message}): "
            "check SMILEBACK_KAFKA_SSL_CAFILE"
        )
    except (OSError, ValueError):
        return None  # nothing answers: the client's own error says as much
    if security.kafka_security_protocol not in _SASL:
        return None
    return (
        f"the broker answers, so it most likely refused the SASL login of "
        f"{security.kafka_sasl_username!r} ({security.kafka_sasl_mechanism}): check "
        "SMILEBACK_KAFKA_SASL_USERNAME and SMILEBACK_KAFKA_SASL_PASSWORD"
    )
