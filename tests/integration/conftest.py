"""Session fixtures that provide a real Kafka broker and PostgreSQL to integration tests.

Set SMILEBACK_TEST_KAFKA_BOOTSTRAP / SMILEBACK_TEST_DATABASE_URL to reuse running servers;
otherwise throwaway ones are started through deploy/kafka/kafka.sh and deploy/postgres/postgres.sh
and stopped at the end of the session, also when tests fail.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from smileback.common.topics import Topics
from tests.support import infra
from tests.support.console_browser import browser, page, site  # noqa: F401 (fixtures)
from tests.support.kafka import unique_topics
from tests.support.scorer_cluster import Reader

_HERE = Path(__file__).resolve().parent


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _stop_servers_on_sigterm() -> None:
    # pytest tears fixtures down on Ctrl-C but dies silently on SIGTERM (e.g. a cancelled CI
    # job), which would leave the broker and PostgreSQL running.
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/integration as `integration`."""
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap address ("127.0.0.1:PORT") of a broker that has the Smileback topics."""
    reuse = os.environ.get(infra.KAFKA_BOOTSTRAP_ENV)
    if reuse:
        infra.ensure_topics(bootstrap=reuse)
        yield reuse
        return
    _stop_servers_on_sigterm()
    with infra.running_kafka() as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL (postgresql+psycopg://...) of a PostgreSQL database the tests may write to."""
    reuse = os.environ.get(infra.DATABASE_URL_ENV)
    if reuse:
        yield reuse
        return
    _stop_servers_on_sigterm()
    with infra.running_postgres() as url:
        yield url


@pytest.fixture
def topics(kafka_bootstrap: str) -> Topics:
    """Smileback topics under a prefix of this test's own (a module may define its own)."""
    return unique_topics(kafka_bootstrap)


@pytest.fixture
def reader(kafka_bootstrap: str, topics: Topics) -> Iterator[Reader]:
    """Reads what the scorer publishes on `topics`."""
    reader = Reader(kafka_bootstrap, topics)
    yield reader
    reader.close()
