"""The one way a service connects to PostgreSQL: connections that notice a dead server."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL

__all__ = ["POSTGRES_CONNECT_ARGS", "postgres_engine"]

# libpq options. Without them a connection to a server that went away, or that accepts TCP
# and then answers nothing, waits forever: a new connection gives up after 10 s; an idle
# one is probed by TCP keepalives; data unacknowledged for 30 s drops the connection.
POSTGRES_CONNECT_ARGS: dict[str, Any] = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
}


def postgres_engine(url: str | URL) -> Engine:
    """An engine whose pooled connections are checked before use (a restart left them dead)."""
    return create_engine(url, pool_pre_ping=True, connect_args=POSTGRES_CONNECT_ARGS)
