"""The system under test: a Kafka broker and PostgreSQL from the deploy/ scripts, the services as
separate `smileback` processes, and a local webhook receiver that timestamps each page.

Everything started here is stopped by the context managers, on success and on failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from benchmarks.e2e.results import service_of

__all__ = [
    "Broker",
    "Pages",
    "Services",
    "StackError",
    "broker",
    "free_port",
    "fresh_database",
    "pages_receiver",
    "postgres",
    "service_env",
    "services",
]

REPO = Path(__file__).resolve().parents[2]
KAFKA_SH = REPO / "deploy" / "kafka" / "kafka.sh"
POSTGRES_SH = REPO / "deploy" / "postgres" / "postgres.sh"
SMILEBACK = Path(sys.executable).with_name("smileback")
WEBHOOK_SECRET = "bench-webhook-secret"
API_TOKEN = "bench-api-token-7c2e9f14a05b83d6e1f0"  # 32+ characters, as `smileback api` requires
READY_TIMEOUT_S = 180.0


class StackError(RuntimeError):
    """A script failed or a service did not become ready; the message says which and why."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _script(script: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    done = subprocess.run(
        ["bash", str(script), *args],
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise StackError(f"{script.name} {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done.stdout


@dataclass(frozen=True)
class Broker:
    """A running broker: its bootstrap address and how to create a prefix's topics."""

    bootstrap: str
    where: tuple[str, ...]

    def create_topics(self, prefix: str) -> None:
        _script(KAFKA_SH, "topics", *self.where, env={"TOPIC_PREFIX": prefix})


@contextlib.contextmanager
def _scratch(prefix: str) -> Iterator[Path]:
    # A directory of its own under the system temp dir: postgres.sh hands it to the `postgres`
    # user when run as root, which a 0700 parent such as a home directory would lock out.
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def broker() -> Iterator[Broker]:
    """A single-node KRaft broker on free ports with a fresh data dir, stopped afterwards."""
    port, controller = free_port(), free_port()
    with _scratch("bench-e2e-kafka-") as data_dir:
        where = (
            *("--port", str(port), "--controller-port", str(controller)),
            *("--data-dir", str(data_dir)),
        )
        try:
            _script(KAFKA_SH, "start", *where)
            yield Broker(bootstrap=f"127.0.0.1:{port}", where=where)
        finally:
            _script(KAFKA_SH, "stop", *where)


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """PostgreSQL on a free port with a fresh data dir; yields its URL; stopped afterwards."""
    with _scratch("bench-e2e-pg-") as data_dir:
        where = ("--port", str(free_port()), "--data-dir", str(data_dir))
        try:
            # postgres.sh prints the URL as its last line.
            yield _script(POSTGRES_SH, "start", *where).strip().splitlines()[-1]
        finally:
            _script(POSTGRES_SH, "stop", *where)


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new empty database on the server, dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with contextlib.suppress(Exception), admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Pages:
    """Pages received: the first arrival time (epoch seconds) of each dedup key."""

    url: str
    first: dict[str, float] = field(default_factory=dict)
    total: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def arrived(self, dedup_key: str) -> float | None:
        with self.lock:
            return self.first.get(dedup_key)


@contextlib.contextmanager
def pages_receiver() -> Iterator[Pages]:
    """A webhook receiver on a free port that accepts every page and notes when it came."""
    server: ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            at = time.time()
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(204)
            self.end_headers()
            with contextlib.suppress(ValueError, AttributeError):
                key = json.loads(body).get("dedup_key")
                if isinstance(key, str):
                    with pages.lock:
                        pages.first.setdefault(key, at)
                        pages.total += 1

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: one line per page would drown the progress output."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    pages = Pages(url=f"http://127.0.0.1:{server.server_address[1]}/page")
    thread = threading.Thread(target=server.serve_forever, name="pages", daemon=True)
    thread.start()
    try:
        yield pages
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Services:
    """The scorer, alerts and api processes of one topic prefix and database."""

    prefix: str
    database_url: str
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]]


def service_env(
    *, bootstrap: str, prefix: str, database_url: str, brands: Mapping[str, list[str]], pages: Pages
) -> dict[str, str]:
    """The settings every process of one run shares (ingest included)."""
    return {
        "SMILEBACK_KAFKA_BOOTSTRAP": bootstrap,
        "SMILEBACK_TOPIC_PREFIX": prefix,
        "SMILEBACK_DATABASE_URL": database_url,
        "SMILEBACK_BRANDS": json.dumps(brands),
        "SMILEBACK_API_TOKEN": API_TOKEN,
        "SMILEBACK_WEBHOOK_URL": pages.url,
        "SMILEBACK_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SMILEBACK_ALERTS_GROUP": f"{prefix}alerts",
        "SMILEBACK_API_PROJECTOR_GROUP": f"{prefix}api-projector",
        "SMILEBACK_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
    }


@contextlib.contextmanager
def services(*, env: Mapping[str, str], log_dir: Path, scorers: int = 1) -> Iterator[Services]:
    """Start `smileback scorer` (`scorers` workers in one group: `scorer`, `scorer-2`, ...),
    `alerts` and `api`; wait until each says it is ready."""
    processes: dict[str, subprocess.Popen[bytes]] = {}
    ready: dict[str, str] = {}
    workers = ["scorer", *(f"scorer-{n}" for n in range(2, scorers + 1))]
    try:
        for name in (*workers, "alerts", "api"):
            own = {**env, "SMILEBACK_METRICS_PORT": str(free_port())}
            if name == "api":
                own["SMILEBACK_API_PORT"] = str(free_port())
                ready[name] = f"http://127.0.0.1:{own['SMILEBACK_API_PORT']}/readyz"
            else:
                ready[name] = f"http://127.0.0.1:{own['SMILEBACK_METRICS_PORT']}/readyz"
            with (log_dir / f"{name}.log").open("ab") as log:
                processes[name] = subprocess.Popen(
                    [str(SMILEBACK), service_of(name)],
                    env={**os.environ, **own},
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
        for name, url in ready.items():
            _wait_ready(name, url, processes[name], log_dir / f"{name}.log")
        yield Services(
            prefix=env["SMILEBACK_TOPIC_PREFIX"],
            database_url=env["SMILEBACK_DATABASE_URL"],
            env=dict(env),
            processes=processes,
        )
    finally:
        for process in processes.values():
            _stop(process)


def _wait_ready(name: str, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
            raise StackError(f"{name} exited {process.returncode} before it was ready:\n{tail}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise StackError(f"{name} not ready after {READY_TIMEOUT_S:.0f} s (see {log})")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
