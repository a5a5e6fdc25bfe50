"""Probes for `Health`: Kafka answers a metadata request, the database answers `SELECT 1`.

Each returns None when the dependency answers, else a short reason. They stay quiet:
`Dependency` logs the start and the end of an outage once each.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import structlog
from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from smileback.common.health import Probe
from smileback.common.kafka_security import KafkaSecuritySettings, kafka_client_options

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["KafkaProbe", "database_probe"]

log = structlog.get_logger(__name__)


class KafkaProbe:
    """Callable: None when the broker lists the topics a service needs, else what is wrong."""

    def __init__(
        self,
        *,
        bootstrap: str,
        topics: Sequence[str],
        client_id: str,
        timeout_s: float = 2.0,
        security: KafkaSecuritySettings | None = None,
    ) -> None:
        self._client_id = client_id
        self._security = kafka_client_options(security)
        self._bootstrap = bootstrap
        self._topics = frozenset(topics)
        self._timeout_ms = int(timeout_s * 1000)
        self._admin: KafkaAdminClient | None = None
        self._lock = threading.Lock()

    def __call__(self) -> str | None:
        """Ask the broker for its topics."""
        with self._lock:
            try:
                if self._admin is None:
                    self._admin = KafkaAdminClient(
                        bootstrap_servers=self._bootstrap,
                        client_id=self._client_id,
                        request_timeout_ms=self._timeout_ms,
                        bootstrap_timeout_ms=self._timeout_ms,
                        **self._security,
                    )
                present = set(self._admin.list_topics())
            except (KafkaError, OSError) as exc:
                self._close()
                return f"unavailable ({type(exc).__name__})"
        missing = sorted(self._topics - present)
        return f"missing topics {', '.join(missing)}" if missing else None

    def close(self) -> None:
        """Drop the admin connection."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._admin is not None:
            try:
                self._admin.close()
            except (KafkaError, OSError):
                log.debug("probe: closing the admin client failed")
            self._admin = None


def database_probe(engine: Engine) -> Probe:
    """A probe that runs `SELECT 1` on a pooled connection of `engine`."""
    # Imported here: the scorer and ingest use this module for Kafka alone, and SQLAlchemy
    # would cost each of them about 11 MB of memory for nothing.
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    def probe() -> str | None:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            return f"unavailable ({type(exc).__name__})"
        return None

    return probe
