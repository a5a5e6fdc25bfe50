"""A Kafka broker that takes only SASL_SSL (SCRAM-SHA-512) clients and authorises them with the
ACLs of deploy/k8s/strimzi/users.yaml, so the tests check the manifests' ACLs on a real broker.

Its CA and certificate are made here with `openssl`; the broker reads a PEM keystore. The
controller listener stays PLAINTEXT on 127.0.0.1: the broker's own metadata requests come
through it as `User:ANONYMOUS`, which is therefore a super user (as is `admin`, the broker's
inter-broker and the tests' set-up principal).
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    KafkaAdminClient,
    ResourcePattern,
    ResourcePatternFilter,
    ResourceType,
)
from pydantic import SecretStr

from smileback.common.kafka_security import KafkaSecuritySettings, kafka_client_options
from tests.support.infra import REPO_ROOT, kafka_server, scratch_dir

__all__ = ["ADMIN", "STRIMZI_USERS", "SecureKafka", "make_ca", "secure_kafka", "strimzi_acls"]

ADMIN = "admin"
STRIMZI_USERS = REPO_ROOT / "deploy" / "k8s" / "strimzi" / "users.yaml"

_SCRAM_JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required"

# Appended to deploy/kafka/server.properties.template; kafka.sh fills in ${PORT} and the rest.
_BROKER = """
listeners=SASL_SSL://127.0.0.1:${{PORT}},CONTROLLER://127.0.0.1:${{CONTROLLER_PORT}}
advertised.listeners=SASL_SSL://127.0.0.1:${{PORT}}
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
inter.broker.listener.name=SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config={jaas}
ssl.keystore.type=PEM
ssl.keystore.location={keystore}
ssl.truststore.type=PEM
ssl.truststore.location={ca}
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:{admin};User:ANONYMOUS
"""

_CLIENT = """
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config={jaas}
ssl.truststore.type=PEM
ssl.truststore.location={ca}
"""


@dataclass(frozen=True)
class SecureKafka:
    """The running broker: where it is, the CA that signed it, and each user's password."""

    bootstrap: str
    ca_file: Path
    passwords: Mapping[str, str]

    def security(
        self, user: str, *, password: str | None = None, ca_file: Path | None = None
    ) -> KafkaSecuritySettings:
        """The client settings of `user` (its own password and the broker's CA unless given)."""
        return KafkaSecuritySettings(
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_username=user,
            kafka_sasl_password=SecretStr(password or self.passwords[user]),
            kafka_ssl_cafile=str(ca_file or self.ca_file),
        )

    def environment(self, user: str) -> dict[str, str]:
        """The SMILEBACK_ variables that make a service process connect as `user`."""
        return {
            "SMILEBACK_KAFKA_BOOTSTRAP": self.bootstrap,
            "SMILEBACK_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "SMILEBACK_KAFKA_SASL_USERNAME": user,
            "SMILEBACK_KAFKA_SASL_PASSWORD": self.passwords[user],
            "SMILEBACK_KAFKA_SSL_CAFILE": str(self.ca_file),
        }


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=60)


def make_ca(directory: Path, *, name: str = "ca") -> tuple[Path, Path]:
    """A self-signed CA: (certificate, key) as PEM files in `directory`."""
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", f"/CN=smileback-test-{name}", "-keyout", key, "-out", cert,
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    return cert, key


def _broker_keystore(directory: Path, *, ca: tuple[Path, Path]) -> Path:
    """The broker's key and a certificate for 127.0.0.1 signed by `ca`, in one PEM file."""
    key, request, cert = (
        directory / "broker.key",
        directory / "broker.csr",
        directory / "broker.crt",
    )
    extensions = directory / "broker.ext"
    extensions.write_text(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
    )
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", key, "-out", request,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", request, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial",
        "-days", "2", "-extfile", extensions, "-out", cert,
    )  # fmt: skip
    keystore = directory / "broker.pem"
    keystore.write_text(key.read_text() + cert.read_text())
    return keystore


def _jaas(user: str, password: str) -> str:
    return f'{_SCRAM_JAAS} username="{user}" password="{password}";'


def strimzi_acls(path: Path = STRIMZI_USERS) -> list[ACL]:
    """The ACLs of the KafkaUser resources in `path`, as the broker's `User:<name>` ACLs."""
    acls = []
    for user in yaml.safe_load_all(path.read_text()):
        if not user or user.get("kind") != "KafkaUser":
            continue
        principal = f"User:{user['metadata']['name']}"
        for rule in user["spec"]["authorization"]["acls"]:
            resource: dict[str, Any] = rule["resource"]
            pattern = ResourcePattern(
                ResourceType[resource["type"].upper()],
                resource.get("name", "kafka-cluster"),
                ACLResourcePatternType.PREFIXED
                if resource.get("patternType") == "prefix"
                else ACLResourcePatternType.LITERAL,
            )
            acls.extend(
                ACL(principal, "*", _operation(op), ACLPermissionType.ALLOW, pattern)
                for op in rule["operations"]
            )
    return acls


def _operation(strimzi: str) -> ACLOperation:
    """Strimzi's `DescribeConfigs` is the broker's DESCRIBE_CONFIGS."""
    return ACLOperation["".join(f"_{c}" if c.isupper() else c for c in strimzi)[1:].upper()]


def _wait_for_acls(admin: KafkaAdminClient, *, count: int, timeout_s: float = 30.0) -> None:
    # The controller commits them; the broker's authorizer applies them a moment later.
    everything = ACLFilter(
        principal=None,
        host="*",
        operation=ACLOperation.ANY,
        permission_type=ACLPermissionType.ANY,
        resource_pattern=ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY),
    )
    deadline = time.monotonic() + timeout_s
    while len(admin.describe_acls(everything)[0]) < count:
        assert time.monotonic() < deadline, f"fewer than {count} ACLs after {timeout_s:.0f} s"
        time.sleep(0.2)


@contextlib.contextmanager
def secure_kafka() -> Iterator[SecureKafka]:
    """A SASL_SSL-only broker with the Smileback topics, a SCRAM user for `admin` and for each
    Strimzi KafkaUser, and those users' ACLs in force."""
    with scratch_dir(prefix="smileback-kafka-tls-") as directory:
        ca = make_ca(directory)
        keystore = _broker_keystore(directory, ca=ca)
        acls = strimzi_acls()
        names = {acl.principal.removeprefix("User:") for acl in acls} | {ADMIN}
        passwords = {name: secrets.token_hex(12) for name in sorted(names)}
        broker = directory / "broker.properties"
        admin_jaas = _jaas(ADMIN, passwords[ADMIN])
        broker.write_text(_BROKER.format(jaas=admin_jaas, keystore=keystore, ca=ca[0], admin=ADMIN))
        client = directory / "admin.properties"
        client.write_text(_CLIENT.format(jaas=admin_jaas, ca=ca[0]))
        env = {
            "EXTRA_PROPERTIES": str(broker),
            "CLIENT_CONFIG": str(client),
            "SCRAM_USERS": " ".join(f"{name}={secret}" for name, secret in passwords.items()),
        }
        with kafka_server(env=env) as (bootstrap, _):
            kafka = SecureKafka(bootstrap=bootstrap, ca_file=ca[0], passwords=passwords)
            admin = KafkaAdminClient(
                bootstrap_servers=bootstrap,
                client_id="smileback-tests-acls",
                **kafka_client_options(kafka.security(ADMIN)),
            )
            try:
                admin.create_acls(acls)
                _wait_for_acls(admin, count=len(acls))
            finally:
                admin.close()
            yield kafka
