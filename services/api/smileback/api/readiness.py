"""The Kafka half of readiness: a short metadata request, reusing one admin connection."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import structlog
from kafka import KafkaAdminClient
from kafka.errors import KafkaError

__all__ = ["KafkaProbe"]

log = structlog.get_logger(__name__)


class KafkaProbe:
    """Callable: None when the broker lists the topics the API needs, else what is wrong."""

    def __init__(self, *, bootstrap: str, topics: Sequence[str], timeout_s: float = 2.0) -> None:
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
                        client_id="smileback-api-readiness",
                        request_timeout_ms=self._timeout_ms,
                        bootstrap_timeout_ms=self._timeout_ms,
                    )
                present = set(self._admin.list_topics())
            except (KafkaError, OSError) as exc:
                log.warning("readiness: kafka check failed", error_type=type(exc).__name__)
                self._close()
                return "unavailable"
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
                log.debug("readiness: closing the admin client failed")
            self._admin = None
