"""Whether a service is alive and ready, and the state of each dependency it needs.

A `Dependency` is up or down as its probe and its callers report. It says once that an
outage began and once that it ended (with how long it lasted), and keeps two metrics:
`smileback_dependency_up` (1 or 0) and `smileback_dependency_reconnects_total` (outages
ended). `Health` gathers a service's dependencies with a heartbeat of its main loop:
live while the loop beats, ready while every dependency is up and the worker's own checks
(`require`: its consumer owns partitions and polls them) pass. `serve_health` answers
`/healthz`, `/readyz` and `/metrics` on one port for the workers that have no web app.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, generate_latest

from smileback.common.errors import ConfigError

__all__ = ["DEPENDENCY_UP", "RECONNECTS", "Dependency", "Health", "Probe", "Status", "serve_health"]

log = structlog.get_logger(__name__)

# Returns None when the dependency answers, else what is wrong.
Probe = Callable[[], str | None]

DEPENDENCY_UP = Gauge(
    "smileback_dependency_up",
    "1 while the dependency answers, 0 while it does not.",
    ["dependency"],
)
RECONNECTS = Counter(
    "smileback_dependency_reconnects_total",
    "Outages of a dependency that ended (it answered again).",
    ["dependency"],
)


class Dependency:
    """One dependency's state; thread-safe, and quiet unless the state changes."""

    def __init__(self, name: str, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._up: bool | None = None  # unknown until the first report
        self._since = monotonic()
        self._reason = "not checked yet"
        # Both series exist from the start, so rate() and absent() behave from the first scrape.
        RECONNECTS.labels(dependency=name)
        DEPENDENCY_UP.labels(dependency=name).set(0)

    @property
    def is_up(self) -> bool:
        """True once the dependency answered and until it fails."""
        return self._up is True

    @property
    def reason(self) -> str:
        """ "up", or what the last failure said."""
        return "up" if self._up else self._reason

    def up(self) -> None:
        """The dependency answered."""
        with self._lock:
            was, self._up = self._up, True
            if was is False:
                outage_s = self._monotonic() - self._since
                RECONNECTS.labels(dependency=self.name).inc()
                log.info("dependency back", dependency=self.name, outage_s=round(outage_s, 1))
            if was is not True:
                self._since = self._monotonic()
        DEPENDENCY_UP.labels(dependency=self.name).set(1)

    def down(self, reason: str) -> None:
        """The dependency failed; `reason` is a short description, never a secret."""
        with self._lock:
            was, self._up, self._reason = self._up, False, reason
            if was is not False:
                self._since = self._monotonic()
                log.warning("dependency down", dependency=self.name, reason=reason)
        DEPENDENCY_UP.labels(dependency=self.name).set(0)

    def check(self, probe: Probe) -> str | None:
        """Run `probe`, record its answer, and return it."""
        problem = probe()
        if problem is None:
            self.up()
        else:
            self.down(problem)
        return problem


@dataclass(frozen=True)
class Status:
    """An answer to a health question, with the detail behind it."""

    ok: bool
    detail: Mapping[str, str]


class Health:
    """A service's dependencies and the heartbeat of its main loop."""

    def __init__(
        self,
        *,
        needs: Iterable[str],
        stall_s: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`needs` names every dependency up front: not ready until each has answered."""
        self._stall_s = stall_s
        self._monotonic = monotonic
        self._dependencies = {name: Dependency(name, monotonic=monotonic) for name in needs}
        self._checks: dict[str, Probe] = {}
        self._last_beat = monotonic()

    def dependency(self, name: str) -> Dependency:
        """The tracker for `name`, made on first use."""
        if name not in self._dependencies:
            self._dependencies[name] = Dependency(name, monotonic=self._monotonic)
        return self._dependencies[name]

    def require(self, name: str, check: Probe) -> None:
        """Readiness also asks `check` (None: fine), a state of the worker itself rather than
        of a dependency, e.g. whether its consumer owns partitions and polls them."""
        self._checks[name] = check

    def beat(self) -> None:
        """The main loop went round once (or is waiting out an outage on purpose)."""
        self._last_beat = self._monotonic()

    def liveness(self) -> Status:
        """Live while the main loop beat within `stall_s`."""
        silent_s = self._monotonic() - self._last_beat
        ok = silent_s <= self._stall_s
        return Status(ok=ok, detail={"loop": "ok" if ok else f"no progress for {silent_s:.0f} s"})

    def readiness(self) -> Status:
        """Ready while every dependency is up and every required check passes."""
        detail = {name: dep.reason for name, dep in sorted(self._dependencies.items())}
        ok = all(d.is_up for d in self._dependencies.values())
        for name, check in sorted(self._checks.items()):
            problem = check()
            detail[name] = problem or "ok"
            ok = ok and problem is None
        return Status(ok=ok, detail=detail)

    def watch(
        self,
        probes: Mapping[str, Probe],
        *,
        every_s: float,
        stop: threading.Event,
        deadline_s: float | None = None,
    ) -> threading.Thread:
        """Probe each dependency every `every_s` in a daemon thread until `stop` is set.

        A probe that has not answered within `deadline_s` (default `every_s`) counts as down:
        a frozen server accepts connections and then answers nothing, and a probe waiting
        on it must not keep the last "up" standing. It is not started again until it returns.
        """
        deadline = every_s if deadline_s is None else deadline_s
        running: dict[str, Future[str | None]] = {}
        pool = ThreadPoolExecutor(max_workers=len(probes) or 1, thread_name_prefix="probe")

        def once(name: str, probe: Probe) -> None:
            future = running.get(name)
            if future is None or future.done():
                future = running[name] = pool.submit(probe)
            try:
                problem = future.result(timeout=deadline)
            except FutureTimeout:
                problem = f"no answer within {deadline:.0f} s"
            except Exception as exc:  # a probe's own bug must not end the watch
                problem = f"probe failed: {type(exc).__name__}"
            self.dependency(name).check(lambda: problem)

        def loop() -> None:
            while True:
                for name, probe in probes.items():
                    once(name, probe)
                if stop.wait(every_s):
                    pool.shutdown(wait=False, cancel_futures=True)
                    return

        thread = threading.Thread(target=loop, name="health-watch", daemon=True)
        thread.start()
        return thread

    def answer(self, name: str) -> Probe:
        """A probe that answers from the last check of `name`, without waiting on it."""
        dependency = self.dependency(name)
        return lambda: None if dependency.is_up else dependency.reason


def serve_health(*, health: Health, port: int, host: str) -> ThreadingHTTPServer | None:
    """Serve /healthz, /readyz and /metrics on `port` from a daemon thread (0 turns it off);
    ConfigError when the port cannot be had."""
    if not port:
        return None

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._send(200, generate_latest(), CONTENT_TYPE_LATEST)
            elif path in ("/healthz", "/readyz"):
                status = health.liveness() if path == "/healthz" else health.readiness()
                body = {"status": "ok" if status.ok else "unavailable", **status.detail}
                self._send(200 if status.ok else 503, json.dumps(body).encode(), "application/json")
            else:
                self._send(404, b'{"status": "not found"}', "application/json")

        def _send(self, code: int, body: bytes, content_type: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Probes every few seconds would flood the log; metrics count what matters."""

    try:
        server = ThreadingHTTPServer((host, port), Handler)
    except OSError as exc:  # e.g. another worker on this host has the default port
        raise ConfigError(
            f"cannot serve /metrics, /healthz and /readyz on {host}:{port}: "
            f"{exc.strerror or exc}; set SMILEBACK_METRICS_PORT to a free port (0: none)"
        ) from None
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="health-http", daemon=True).start()
    return server
