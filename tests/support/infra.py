"""Start and stop the real local infrastructure (Kafka, PostgreSQL) through the deploy/ scripts.

The shell scripts are the one way to run the infrastructure, by hand or from tests; this
module only picks free ports and scratch directories and makes sure everything is stopped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from smileback.common.topics import PARTITIONS, Topics

REPO_ROOT = Path(__file__).resolve().parents[2]
KAFKA_SCRIPT = REPO_ROOT / "deploy" / "kafka" / "kafka.sh"
POSTGRES_SCRIPT = REPO_ROOT / "deploy" / "postgres" / "postgres.sh"

KAFKA_BOOTSTRAP_ENV = "SMILEBACK_TEST_KAFKA_BOOTSTRAP"
DATABASE_URL_ENV = "SMILEBACK_TEST_DATABASE_URL"
TOPIC_PREFIX = "smileback."

# Maven may download ~50 MB on a fresh machine; kafka.sh start itself gives up after 90 s.
JARS_TIMEOUT_S = 900.0
START_TIMEOUT_S = 180.0
COMMAND_TIMEOUT_S = 120.0


class InfraError(RuntimeError):
    """A deploy/ script or a readiness check failed; the message carries the details."""


def topic_names(*, prefix: str = TOPIC_PREFIX) -> dict[str, int]:
    """Return the full Smileback topic names with their partition counts."""
    return {prefix + suffix: parts for suffix, parts in PARTITIONS.items()}


def free_ports(*, count: int, host: str = "127.0.0.1") -> list[int]:
    """Return `count` distinct TCP ports that are free right now on `host`."""
    with contextlib.ExitStack() as stack:
        # Hold all sockets until every one is bound, so the OS cannot hand out a port twice.
        socks = [
            stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            for _ in range(count)
        ]
        for sock in socks:
            sock.bind((host, 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def run_script(
    *,
    script: Path,
    args: Sequence[str],
    env: Mapping[str, str] | None = None,
    timeout: float = COMMAND_TIMEOUT_S,
) -> str:
    """Run a deploy/ bash script and return its stdout; raise InfraError with its output."""
    command = f"{script.name} {' '.join(args)}"
    try:
        done = subprocess.run(
            ["bash", str(script), *args],
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise InfraError(f"{command} timed out after {timeout:.0f} s") from exc
    if done.returncode != 0:
        raise InfraError(
            f"{command} exited {done.returncode}\n"
            f"--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}"
        )
    return done.stdout


@contextlib.contextmanager
def scratch_dir(*, prefix: str) -> Iterator[Path]:
    """Yield a fresh directory under the system temp dir and remove it afterwards."""
    # Not pytest's tmp_path: its 0700 parents lock out the `postgres` user when run as root.
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class Server:
    """A throwaway server run by a deploy/ script, on fixed ports and data dir, so it can be
    stopped and started again on its own data, or frozen, as the outage tests do."""

    def __init__(
        self,
        *,
        script: Path,
        where: list[str],
        pid_file: Path,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.script, self.where, self.env = script, where, dict(env or {})
        self.pid_file = pid_file

    def freeze(self) -> None:
        """SIGSTOP the server and its children: connections stay open and nothing answers."""
        self._signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT after `freeze`."""
        self._signal(signal.SIGCONT)

    def _signal(self, sig: signal.Signals) -> None:
        # The first line of both kafka.pid and PostgreSQL's postmaster.pid is the pid.
        pid = int(self.pid_file.read_text().split()[0])
        children = subprocess.run(
            ["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        for target in [pid, *map(int, children)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(target, sig)

    def start(self) -> str:
        """Start (or restart) the server; returns the script's stdout."""
        return run_script(
            script=self.script, args=["start", *self.where], env=self.env, timeout=START_TIMEOUT_S
        )

    def stop(self) -> None:
        """Stop the server cleanly (SIGTERM for Kafka, a fast shutdown for PostgreSQL)."""
        run_script(script=self.script, args=["stop", *self.where], env=self.env)


@contextlib.contextmanager
def kafka_server(
    *, topic_prefix: str = TOPIC_PREFIX, env: Mapping[str, str] | None = None
) -> Iterator[tuple[str, Server]]:
    """Start a throwaway KRaft broker with the Smileback topics; yield its bootstrap and handle.

    `env`: more of kafka.sh's variables, e.g. a secured broker's (see kafka_tls.py)."""
    port, controller_port = free_ports(count=2)
    with scratch_dir(prefix="smileback-kafka-") as data_dir:
        where = ["--port", str(port), "--controller-port", str(controller_port)]
        where += ["--data-dir", str(data_dir)]
        server = Server(
            script=KAFKA_SCRIPT,
            where=where,
            pid_file=data_dir / "kafka.pid",
            env={"TOPIC_PREFIX": topic_prefix, **(env or {})},
        )
        run_script(script=KAFKA_SCRIPT, args=["jars"], timeout=JARS_TIMEOUT_S)
        try:
            server.start()
            run_script(script=KAFKA_SCRIPT, args=["topics", *where], env=server.env)
            yield f"127.0.0.1:{port}", server
        finally:
            # Also after a failed step: the broker may be up even though `topics` failed.
            server.stop()


@contextlib.contextmanager
def running_kafka(*, topic_prefix: str = TOPIC_PREFIX) -> Iterator[str]:
    """Start a throwaway KRaft broker with the Smileback topics; yield "127.0.0.1:PORT"."""
    with kafka_server(topic_prefix=topic_prefix) as (bootstrap, _):
        yield bootstrap


@contextlib.contextmanager
def postgres_server() -> Iterator[tuple[str, Server]]:
    """Start a throwaway PostgreSQL cluster on a free port; yield its SQLAlchemy URL and handle."""
    (port,) = free_ports(count=1)
    with scratch_dir(prefix="smileback-pg-") as data_dir:
        server = Server(
            script=POSTGRES_SCRIPT,
            where=["--port", str(port), "--data-dir", str(data_dir)],
            pid_file=data_dir / "postmaster.pid",
        )
        try:
            # postgres.sh prints the URL as its last line.
            yield server.start().strip().splitlines()[-1], server
        finally:
            server.stop()


@contextlib.contextmanager
def running_postgres() -> Iterator[str]:
    """Start a throwaway PostgreSQL cluster on a free port; yield its SQLAlchemy URL."""
    with postgres_server() as (url, _):
        yield url


def ensure_topics(*, bootstrap: str, prefix: str = TOPIC_PREFIX, timeout: float = 30.0) -> None:
    """Create the missing Smileback topics under `prefix` and wait until all have leaders."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic

    wanted = topic_names(prefix=prefix)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="smileback-tests-setup")
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(
                name=name,
                num_partitions=parts,
                replication_factor=1,
                topic_configs=Topics(prefix=prefix).configs(name),
            )
            for name, parts in wanted.items()
            if name not in existing
        ]
        if missing:
            admin.create_topics(missing)
        # Creation returns once the controller has the topic; producers need the leaders too.
        deadline = time.monotonic() + timeout
        while True:
            ready = {
                topic.get("name") or topic.get("topic")
                for topic in admin.describe_topics(list(wanted))
                if topic["error_code"] == 0
                and topic["partitions"]
                and all(p["error_code"] == 0 and p["leader_id"] >= 0 for p in topic["partitions"])
            }
            if ready >= set(wanted):
                return
            if time.monotonic() > deadline:
                missing_names = sorted(set(wanted) - ready)
                raise InfraError(f"topics without leaders after {timeout:.0f} s: {missing_names}")
            time.sleep(0.2)
    finally:
        admin.close()


@contextlib.contextmanager
def fresh_database(server_url: str, *, prefix: str = "api") -> Iterator[str]:
    """A new, empty database (`<prefix>_<10 hex>`) on the PostgreSQL server of `server_url`;
    dropped forcibly afterwards (quietly, when the server is gone by then)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with contextlib.suppress(Exception), admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
