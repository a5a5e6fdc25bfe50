"""The chaos-test harness: the pipeline on a real broker and PostgreSQL, faults, common checks.

A `Cluster` runs `smileback scorer`, `alerts` and `api` as OS processes with their own topic
prefix, consumer groups and database, a signed-webhook receiver that can go down, and a
`Feeder` that replays a `Feed` through `smileback ingest replay` chunk by chunk. A test starts the
feed, waits until the pipeline is part-way through it, injects its fault, waits for
quiescence and calls `check()`, which verifies after every scenario:

(a) every mention stored exactly once in the api's store (expected from the feed);
(b) every paged incident's trigger acted on once at the receiver (one `webhook-id`; a resend
    under the same id after a kill is what a receiver de-duplicates), nothing else;
(c) every service still alive, none restarted except the one the test restarted;
(d) every pipeline consumer group committed up to the end offsets of its topics.

A failure names each broken check and ends with the tail of every service's log.
"""

from __future__ import annotations

import base64
import contextlib
import json
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from kafka import KafkaAdminClient, KafkaProducer, TopicPartition
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from smileback.common.events import DlqRecord, IncidentEvent, decode
from smileback.common.topics import Topics
from tests.support.chaos_feed import BRANDS, Feed
from tests.support.infra import Server, ensure_topics, free_ports, fresh_database
from tests.support.kafka import (
    admin_client,
    behind,
    committed_offsets,
    end_offsets,
    read_records,
    topic_partitions,
)
from tests.support.processes import ServiceProcess
from tests.support.receivers import Receiver

__all__ = [
    "Cluster",
    "ClusterError",
    "Feeder",
    "Service",
    "cluster",
]

SECRET = "chaos-webhook-secret"
TOKEN = "chaos-api-token-4f1c9a7e2b8d6053c1e9"  # 32+ characters, as `smileback api` requires
SERVICES = ("scorer", "alerts", "api")
POLL_S = 1.0
# Quiescence must hold this long (several scorer commit intervals) before the checks run.
SETTLE_S = 8.0
LOG_TAIL_LINES = 25
_TRACEBACK = "Traceback (most recent call last):"
_OUTBOX_COLUMNS = "incident_id, kind, step, status, attempts, last_error"


class ClusterError(AssertionError):
    """A wait ran out or a service died; the message carries the logs' tails."""


# --------------------------------------------------------------------------- services


@dataclass
class Service:
    """One `smileback <name>` process; each start is a new incarnation with its own log."""

    name: str
    env: dict[str, str]
    log_dir: Path
    ready_url: str
    group: str
    incarnations: list[ServiceProcess] = field(default_factory=list)
    # Consumer-group member ids seen so far: a restarted process must show a new one.
    members_seen: set[str] = field(default_factory=set)
    readiness: str = "not asked yet"  # what the last readiness probe saw

    @property
    def current(self) -> ServiceProcess:
        return self.incarnations[-1]

    def start(self) -> None:
        n = len(self.incarnations) + 1
        process = ServiceProcess(
            args=[self.name], env=self.env, log_path=self.log_dir / f"{self.name}.{n}.log"
        )
        process.__enter__()
        self.incarnations.append(process)

    def alive(self) -> bool:
        return bool(self.incarnations) and self.current.alive()

    def exit_code(self) -> int | None:
        proc = self.current.proc
        return None if proc is None else proc.poll()

    def kill(self) -> None:
        """SIGKILL, and reap it."""
        proc = self.current.proc
        assert proc is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)

    def stop(self) -> None:
        for process in self.incarnations:
            process.stop()

    def tail(self, *, lines: int = LOG_TAIL_LINES) -> str:
        """Each incarnation's last log lines; a traceback is shown condensed to the project's
        frames and the exception lines, after the log lines that led to it."""
        parts = []
        for n, process in enumerate(self.incarnations, 1):
            code = process.proc.poll() if process.proc is not None else None
            state = "running" if code is None else f"exited {code}"
            log = process.log_path.read_text(errors="replace") if process.log_path.exists() else ""
            body = "\n".join(excerpt(log.splitlines(), last=lines))
            parts.append(f"--- {self.name} #{n} ({state}) ---\n{body}")
        return "\n".join(parts)


def excerpt(log: list[str], *, before: int = 8, last: int = LOG_TAIL_LINES) -> list[str]:
    """The last `last` lines of `log`, or, when the output holds a traceback, the `before` lines
    before the first one and every traceback condensed: its headers, the frames of project
    code (not site-packages) with their source line, and the exception lines."""
    starts = [i for i, line in enumerate(log) if line.startswith(_TRACEBACK)]
    if not starts:
        return log[-last:]
    kept = [f"[... {starts[0] - before} earlier lines ...]"] if starts[0] > before else []
    kept += log[max(0, starts[0] - before) : starts[0]]
    show_source = False
    for line in log[starts[0] :]:
        if line.startswith("  File "):
            show_source = "site-packages" not in line and '"<' not in line
            if show_source:
                kept.append(line)
        elif line.startswith("    "):
            if show_source and set(line.strip()) != {"^"}:
                kept.append(line)
        elif not line.startswith("  ") and line.strip():
            kept.append(line)  # "Traceback ...", "The above exception ...", the exception
            show_source = False
    return kept


# --------------------------------------------------------------------------- feeder


@dataclass
class IngestRun:
    chunk: int
    code: int | None
    report: dict[str, int]
    log_path: Path


class Feeder:
    """Replays a feed through `smileback ingest replay`, one process per chunk, in a thread.

    `pause()` waits for the running chunk to finish and holds the next one back (the broker
    restart needs that: ingest is a one-shot client, not a service under test)."""

    def __init__(
        self,
        *,
        cluster: Cluster,
        chunks: list[list[bytes]],
        between: Callable[[int], None] | None = None,
    ) -> None:
        self.cluster = cluster
        self.chunks = chunks
        self.between = between
        self.runs: list[IngestRun] = []
        self.errors: list[str] = []
        self._go = threading.Event()
        self._go.set()
        self._closed = False
        self._idle = threading.Event()
        self._idle.set()
        self.done = threading.Event()
        self._progress = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="feeder", daemon=True)
        cluster.feeders.append(self)

    def start(self) -> Feeder:
        self._thread.start()
        return self

    @property
    def chunks_done(self) -> int:
        return len(self.runs)

    def wait_for_chunk(self, *, timeout_s: float = 120.0) -> int:
        """Block until the next chunk has been ingested; returns how many are done. A fault
        injected right then meets that chunk's mentions still on their way."""
        with self._progress:
            before = len(self.runs)
            if not self._progress.wait_for(
                lambda: len(self.runs) > before or self.done.is_set(), timeout_s
            ):
                raise ClusterError(f"no ingest run finished within {timeout_s:.0f} s")
            if len(self.runs) == before:
                raise ClusterError(f"the feed ended before chunk {before + 1}")
            return len(self.runs)

    def pause(self, *, timeout_s: float = 120.0) -> None:
        self._go.clear()
        if not self._idle.wait(timeout_s):
            raise ClusterError(f"ingest chunk still running after {timeout_s:.0f} s")

    def resume(self) -> None:
        self._go.set()

    def close(self) -> None:
        """Start no further chunk (the test is over) and wait for the running one."""
        self._closed = True
        self._go.set()
        if self._thread.is_alive():
            self._thread.join(200)

    def join(self, *, timeout_s: float) -> None:
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise ClusterError(f"feeding not finished after {timeout_s:.0f} s")

    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for run in self.runs:
            total.update(run.report)
        return total

    def _run(self) -> None:
        try:
            for i, lines in enumerate(self.chunks):
                self._go.wait()
                if self._closed:
                    return
                self._idle.clear()
                try:
                    run = self.cluster.ingest(lines, chunk=i)
                    if self.between is not None:
                        self.between(i)
                finally:
                    self._idle.set()
                with self._progress:
                    self.runs.append(run)
                    self._progress.notify_all()
        except Exception as exc:  # reported by the checks, with the ingest logs
            self.errors.append(f"feeder: {type(exc).__name__}: {exc}")
        finally:
            self.done.set()
            with self._progress:
                self._progress.notify_all()


# --------------------------------------------------------------------------- cluster


@dataclass
class Cluster:
    """The services on one broker and one database, with the knobs the chaos tests turn."""

    bootstrap: str
    database_url: str
    work_dir: Path
    kafka: Server | None = None
    postgres: Server | None = None
    receiver: Receiver = field(default_factory=lambda: Receiver(secret=SECRET))
    prefix: str = field(default_factory=lambda: f"chaos{uuid.uuid4().hex[:8]}.")
    extra_env: dict[str, str] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    # Services killed on purpose and not restarted yet: their absence is no failure.
    down: set[str] = field(default_factory=set)
    feeders: list[Feeder] = field(default_factory=list)
    _engine: Engine | None = None

    # ------------------------------------------------------------ setup

    @property
    def topics(self) -> Topics:
        return Topics(prefix=self.prefix)

    @property
    def scorer_group(self) -> str:
        return f"{self.prefix}scorer"  # the scorer's default app id under this prefix

    @property
    def groups(self) -> dict[str, list[str]]:
        """Each pipeline consumer group and the topics it consumes."""
        t = self.topics
        return {
            self.scorer_group: [t.raw, f"{self.scorer_group}-mentions-by-brand"],
            self.services["alerts"].group: [t.scored, t.incidents],
            self.services["api"].group: [t.scored, t.incidents, t.queues],
        }

    def env(self) -> dict[str, str]:
        return {
            "SMILEBACK_KAFKA_BOOTSTRAP": self.bootstrap,
            "SMILEBACK_TOPIC_PREFIX": self.prefix,
            "SMILEBACK_DATABASE_URL": self.database_url,
            "SMILEBACK_API_TOKEN": TOKEN,
            "SMILEBACK_WEBHOOK_URL": self.receiver.url,
            "SMILEBACK_WEBHOOK_SECRET": SECRET,
            "SMILEBACK_BRANDS": json.dumps(BRANDS),
            "SMILEBACK_ALERTS_GROUP": f"{self.prefix}alerts",
            "SMILEBACK_API_PROJECTOR_GROUP": f"{self.prefix}api-projector",
            # A killed scorer's partitions move after 10 s rather than 30 s.
            "SMILEBACK_SCORER_SESSION_TIMEOUT_S": "10",
            # Retries every 2, 4, 8, then 10 s: a receiver that is back gets its pages soon.
            "SMILEBACK_OUTBOX_BACKOFF_CAP_S": "10",
            **self.extra_env,
        }

    def start(self) -> None:
        """Create the topics, start the receiver and every service, wait until all are ready."""
        ensure_topics(bootstrap=self.bootstrap, prefix=self.prefix)
        self.receiver.up()
        api_port, *metrics_ports = free_ports(count=1 + len(SERVICES))
        base = self.env()
        for name, metrics_port in zip(SERVICES, metrics_ports, strict=True):
            env = {**base, "SMILEBACK_METRICS_PORT": str(metrics_port)}
            if name == "api":
                env["SMILEBACK_API_PORT"] = str(api_port)
                ready = f"http://127.0.0.1:{api_port}/readyz"
            else:
                ready = f"http://127.0.0.1:{metrics_port}/readyz"
            group = {
                "scorer": self.scorer_group,
                "alerts": base["SMILEBACK_ALERTS_GROUP"],
                "api": base["SMILEBACK_API_PROJECTOR_GROUP"],
            }[name]
            self.services[name] = Service(
                name=name, env=env, log_dir=self.work_dir, ready_url=ready, group=group
            )
        for service in self.services.values():
            service.start()
        for name in SERVICES:
            self.wait_ready(name)

    def close(self) -> None:
        for feeder in self.feeders:
            feeder.close()
        for service in self.services.values():
            service.stop()
        self.receiver.down()
        if self._engine is not None:
            self._engine.dispose()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            # No pool: after a PostgreSQL restart every query opens a fresh connection.
            self._engine = create_engine(self.database_url, poolclass=NullPool)
        return self._engine

    # ------------------------------------------------------------ readiness

    def wait_ready(self, name: str, *, timeout_s: float = 120.0) -> float:
        """Wait until `name` says it is ready; returns the seconds it took.

        The one place that decides readiness: the service's /readyz (the api's port, the
        workers' metrics port) answers 200, and, for a restarted consumer, its group is
        stable again with a new member and every partition held (a fault injected before
        that would test the rebalance, not the fault)."""
        service = self.services[name]
        started = time.monotonic()
        deadline = started + timeout_s
        while True:
            self._assert_alive()
            if self._ready(service):
                return time.monotonic() - started
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"{name} not ready after {timeout_s:.0f} s: {service.readiness}\n"
                    + self.tails()
                )
            time.sleep(POLL_S)

    def _ready(self, service: Service) -> bool:
        try:
            response = httpx.get(service.ready_url, timeout=3.0)
        except httpx.HTTPError as exc:
            service.readiness = f"{service.ready_url}: {type(exc).__name__}"
            return False
        service.readiness = f"{service.ready_url}: {response.status_code} {response.text[:200]}"
        return response.status_code == 200 and self._group_has_new_member(service)

    def _group_has_new_member(self, service: Service) -> bool:
        """The group is stable, has a member this process has not shown before, and its
        members between them hold every partition of the group's topics."""
        try:
            with self._admin() as admin:
                state, members = _describe_group(admin, service.group)
                wanted = sum(
                    len(admin.describe_topics([t])[0]["partitions"])
                    for t in self.groups[service.group]
                )
        except Exception:  # not ready while the broker cannot say
            return False
        held = sum(members.values())
        service.readiness = (
            f"group {state}, partitions held per member {members} of {wanted} "
            f"(members seen before: {len(service.members_seen)})"
        )
        if state != "Stable" or not members or set(members) <= service.members_seen:
            return False
        if held >= 0 and held < wanted:  # undecodable assignments count as -1: accepted
            return False
        service.members_seen |= set(members)
        return True

    # ------------------------------------------------------------ faults

    def kill(self, name: str) -> None:
        """SIGKILL `name` (it must be running)."""
        service = self.services[name]
        if not service.alive():
            raise ClusterError(f"{name} was not running when it was to be killed\n{self.tails()}")
        self._remember_members(service)
        self.down.add(name)
        service.kill()

    def restart(self, name: str) -> float:
        """Start a new incarnation of `name` and wait until it is ready."""
        self.services[name].start()
        self.down.discard(name)
        return self.wait_ready(name)

    def _remember_members(self, service: Service) -> None:
        with contextlib.suppress(Exception), self._admin() as admin:
            service.members_seen |= _describe_group(admin, service.group)[1]

    # ------------------------------------------------------------ ingest

    def ingest(self, lines: list[bytes], *, chunk: int) -> IngestRun:
        """Run `smileback ingest replay` over `lines`; returns its exit code and report."""
        path = self.work_dir / f"feed.{chunk:03d}.jsonl"
        path.write_bytes(b"".join(line + b"\n" for line in lines))
        log_path = self.work_dir / f"ingest.{chunk:03d}.log"
        process = ServiceProcess(
            args=["ingest", "replay", "--input", str(path)], env=self.env(), log_path=log_path
        )
        with process:
            assert process.proc is not None
            code = process.proc.wait(180)
        report: dict[str, int] = {}
        for line in log_path.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict) and entry.get("event") == "ingest finished":
                    keys = ("read", "published", "duplicates", "unmatched", "dlq")
                    report = {k: int(entry[k]) for k in keys if k in entry}
        return IngestRun(chunk=chunk, code=code, report=report, log_path=log_path)

    def producer(self) -> KafkaProducer:
        return KafkaProducer(bootstrap_servers=self.bootstrap, acks="all")

    # ------------------------------------------------------------ observation

    def stored_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM mentions")).scalar_one())

    def wait_until(
        self,
        what: str,
        condition: Callable[[], bool],
        *,
        timeout_s: float,
        allow_errors: bool = True,
    ) -> float:
        """Poll `condition` until true (an exception counts as false when `allow_errors`)."""
        started = time.monotonic()
        last_error = ""
        while True:
            self._assert_alive()
            try:
                if condition():
                    return time.monotonic() - started
            except Exception as exc:
                if not allow_errors:
                    raise
                last_error = f" (last error: {type(exc).__name__}: {exc})"
            if time.monotonic() - started > timeout_s:
                raise ClusterError(
                    f"{what}: not after {timeout_s:.0f} s{last_error}\n{self.tails()}"
                )
            time.sleep(POLL_S)

    def lags(self) -> dict[str, int]:
        """Records each group has not committed yet, summed over its topics' partitions."""
        ends, committed = self._offsets()
        return {
            group: sum(max(0, ends[tp] - committed[group].get(tp, 0)) for tp in tps)
            for group, tps in self._group_partitions(ends).items()
        }

    def outbox_status(self) -> Counter[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT status, count(*) FROM alerts_outbox GROUP BY status"))
            return Counter({str(status): int(n) for status, n in rows})

    def outbox_rows(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            result = conn.execute(text(f"SELECT {_OUTBOX_COLUMNS} FROM alerts_outbox"))
            return [dict(row._mapping) for row in result]

    def wait_for_quiescence(self, *, timeout_s: float = 240.0, logs: bool = True) -> float:
        """Wait until every group is at the end offsets, the outbox holds nothing undelivered
        and nothing changes (pages, stored mentions) for SETTLE_S; returns the seconds taken.

        A service that exits does not end the wait: the others are waited for (its own group
        and, for alerts, the outbox left out), so the checks that follow show what it left
        undone rather than what the rest had not finished yet; then ClusterError names it."""
        started = time.monotonic()
        deadline = started + timeout_s
        stable_since: float | None = None
        last: tuple[object, ...] | None = None
        detail = "nothing observed yet"
        while True:
            dead = self._dead()
            try:
                lags = self.lags()
                outbox = self.outbox_status()
                state = (
                    tuple(sorted(lags.items())),
                    tuple(sorted(outbox.items())),
                    len(self.receiver.deliveries()),
                    self.stored_count(),
                    tuple(s.name for s in dead),
                )
                detail = f"lags {lags}, outbox {dict(outbox)}, pages {state[2]}, stored {state[3]}"
                dead_groups = {s.group for s in dead}
                quiet = not any(n for g, n in lags.items() if g not in dead_groups)
                if "alerts" not in state[4]:
                    quiet = quiet and set(outbox) <= {"delivered"}
            except Exception as exc:  # broker or database still coming back
                quiet, state, detail = False, None, f"{type(exc).__name__}: {exc}"
            now = time.monotonic()
            if quiet and state == last:
                stable_since = stable_since or now
                if now - stable_since >= SETTLE_S:
                    break
            else:
                stable_since = now if quiet else None
            last = state
            if now > deadline:
                died = f"; exited: {self._describe_dead(dead)}" if dead else ""
                tails = f"\n{self.tails()}" if logs else ""
                raise ClusterError(f"no quiescence after {timeout_s:.0f} s: {detail}{died}{tails}")
            time.sleep(POLL_S)
        took = time.monotonic() - started
        if dead:
            tails = f"\n{self.tails()}" if logs else ""
            raise ClusterError(
                f"service exited: {self._describe_dead(dead)}; "
                f"the rest quiesced after {took:.0f} s{tails}"
            )
        return took

    # ------------------------------------------------------------ checks

    def finish(
        self,
        *,
        feed: Feed,
        feeder: Feeder,
        restarted: Mapping[str, int] | None = None,
        timeout_s: float = 240.0,
    ) -> float:
        """Let the feed end, wait for quiescence, then run every check; returns the seconds
        quiescence took. One AssertionError lists all that failed (a service that exited
        ends the wait, and the checks still run to show what it left undone)."""
        problems: list[str] = []
        took = -1.0
        try:
            feeder.join(timeout_s=timeout_s)
            took = self.wait_for_quiescence(timeout_s=timeout_s, logs=False)
        except ClusterError as exc:
            problems.append(f"before the checks: {exc}")
        problems += self.problems(feed=feed, feeder=feeder, restarted=restarted or {})
        if problems:
            raise AssertionError(
                "chaos checks failed:\n- " + "\n- ".join(problems) + "\n" + self.tails()
            )
        return took

    def problems(self, *, feed: Feed, feeder: Feeder, restarted: Mapping[str, int]) -> list[str]:
        """Checks (a)-(d) and the ingest reports: what failed, one line each."""
        problems: list[str] = []
        checks: list[tuple[str, Callable[[], list[str]]]] = [
            ("ingest", lambda: self._check_ingest(feed=feed, feeder=feeder)),
            ("(a)", lambda: self._check_stored(feed=feed)),
            ("(b)", lambda: self._check_pages(feed=feed)),
            ("(c)", lambda: self._check_alive(restarted=restarted)),
            ("(d)", self._check_offsets),
        ]
        for name, check in checks:
            try:
                problems += check()
            except Exception as exc:  # e.g. the database did not come back
                problems.append(f"{name} could not be checked: {type(exc).__name__}: {exc}")
        return problems

    def _check_ingest(self, *, feed: Feed, feeder: Feeder) -> list[str]:
        problems = list(feeder.errors)
        for run in feeder.runs:
            if run.code != 0:
                tail = "\n".join(run.log_path.read_text(errors="replace").splitlines()[-10:])
                problems.append(f"ingest chunk {run.chunk} exited {run.code}:\n{tail}")
        totals = feeder.totals()
        expected = {
            "published": len(feed.stored),
            "unmatched": len(feed.unmatched),
            "dlq": len(feed.bad),
            "duplicates": 0,
        }
        got = {k: totals.get(k, 0) for k in expected}
        if got != expected:
            problems.append(f"ingest reports {got}, the feed has {expected}")
        return problems

    def _check_stored(self, *, feed: Feed) -> list[str]:
        """(a) the store holds exactly the feed's good mentions, each scored, brand as expected."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, brand, negativity, model_version FROM mentions")
            ).all()
        ids = Counter(str(r[0]) for r in rows)
        problems = []
        twice = sorted(i for i, n in ids.items() if n > 1)
        missing = [i for i in feed.stored if i not in ids]
        extra = sorted(set(ids) - set(feed.stored))
        if twice:
            problems.append(f"(a) {len(twice)} mentions stored more than once: {twice[:10]}")
        if missing:
            problems.append(
                f"(a) {len(missing)} of {len(feed.stored)} mentions not stored "
                f"(stored {len(ids)}); first missing: {self._trace(missing[:10])}"
            )
        if extra:
            problems.append(f"(a) {len(extra)} unexpected mentions stored: {extra[:10]}")
        wrong_brand = [
            str(r[0]) for r in rows if str(r[0]) in feed.stored and r[1] != feed.stored[str(r[0])]
        ]
        unscored = [str(r[0]) for r in rows if r[2] is None or not r[3]]
        if wrong_brand:
            problems.append(
                f"(a) {len(wrong_brand)} mentions with the wrong brand: {wrong_brand[:10]}"
            )
        if unscored:
            problems.append(f"(a) {len(unscored)} mentions stored without scores: {unscored[:10]}")
        return problems

    def _check_pages(self, *, feed: Feed) -> list[str]:
        """(b) each paged incident's trigger acted on exactly once at the receiver, and nothing
        else. A receiver acts once per `webhook-id` (Standard Webhooks; PagerDuty once per
        open `dedup_key`): a service killed, or a database lost, between the receiver's answer
        and the outbox marking the row delivered sends it again under the same id, which is
        at-least-once delivery made one page; a second id for one trigger is a second page."""
        problems = []
        paged: dict[str, set[str]] = {}
        for event in self.incident_events():
            if event.type == "paged":
                paged.setdefault(event.incident_id, set()).add(event.event_id)
        with self.engine.connect() as conn:
            outbox = conn.execute(text(f"SELECT {_OUTBOX_COLUMNS} FROM alerts_outbox")).all()
        triggers: Counter[str] = Counter(str(r[0]) for r in outbox if r[1] == "trigger")
        deliveries = self.receiver.deliveries()
        received = Counter(
            key
            for key, _ in {
                (d.body["dedup_key"], d.webhook_id)
                for d in deliveries
                if d.body.get("event") == "trigger"
            }
        )
        others = Counter(
            str(d.body.get("event")) for d in deliveries if d.body.get("event") != "trigger"
        )
        rejected = self.receiver.rejected()
        if rejected:
            problems.append(f"(b) {len(rejected)} webhook bodies failed the signature check")
        missing_pages = sorted(feed.must_page - set(paged))
        if missing_pages:
            problems.append(
                f"(b) large-audience complaints never paged (no 'paged' event): {missing_pages}"
            )
        for incident in sorted(set(paged) | set(triggers) | set(received)):
            want = len(paged.get(incident, ()))
            rows, got = triggers.get(incident, 0), received.get(incident, 0)
            if not want == rows == got:
                times = [
                    (round(d.at, 1), d.webhook_id)
                    for d in deliveries
                    if d.body.get("dedup_key") == incident
                ]
                problems.append(
                    f"(b) incident {incident}: {want} 'paged' events, {rows} outbox triggers, "
                    f"{got} webhook-ids at the receiver (arrived at, id: {times})"
                )
        not_delivered = [r for r in outbox if r[3] != "delivered"]
        if not_delivered:
            problems.append(
                f"(b) {len(not_delivered)} outbox rows not delivered: "
                + "; ".join(
                    f"{r[0]} {r[1]} {r[3]} after {r[4]} attempts: {r[5]}" for r in not_delivered[:5]
                )
            )
        if others:
            problems.append(f"(b) unexpected notifications at the receiver: {dict(others)}")
        if not paged:
            problems.append("(b) no incident was paged at all")
        return problems

    def _check_alive(self, *, restarted: Mapping[str, int]) -> list[str]:
        """(c) every service runs, started once, plus the restarts the test made."""
        problems = []
        for name, service in self.services.items():
            if not service.alive():
                problems.append(
                    f"(c) {name} is not running: #{len(service.incarnations)} exited "
                    f"{service.exit_code()}"
                )
            starts = 1 + restarted.get(name, 0)
            if len(service.incarnations) != starts:
                problems.append(
                    f"(c) {name} started {len(service.incarnations)} times, expected {starts}"
                )
        return problems

    def _check_offsets(self) -> list[str]:
        """(d) committed offsets at the end offsets, for every group and partition; for a
        partition behind, the mention at its committed offset and whether it was stored."""
        problems = []
        ends, committed = self._offsets()
        for group, tps in self._group_partitions(ends).items():
            short = behind(ends, committed[group], tps)
            if short:
                at = self._records_at({tp: done for tp, (done, _) in short.items()})
                listed = ", ".join(
                    f"{tp.topic}[{tp.partition}] committed {committed[group].get(tp)} "
                    f"of {end} (there: {at.get(tp, '?')})"
                    for tp, (_, end) in short.items()
                )
                problems.append(f"(d) group {group} behind: {listed}")
        return problems

    def _records_at(self, offsets: Mapping[TopicPartition, int]) -> dict[TopicPartition, str]:
        """The mention id at each (partition, offset), and whether the store holds it."""
        out: dict[TopicPartition, str] = {}
        with contextlib.suppress(Exception):
            stored = self._stored_ids()
            for topic in {tp.topic for tp in offsets}:
                for partition, offset, value in self.read_records(topic):
                    tp = TopicPartition(topic, partition)
                    if offsets.get(tp) == offset:
                        mention_id = _id_of(value)
                        state = "stored" if mention_id in stored else "NOT stored"
                        out[tp] = f"{mention_id}, {state}" if mention_id else "no mention id"
        return out

    def _stored_ids(self) -> set[str]:
        with self.engine.connect() as conn:
            return {str(r[0]) for r in conn.execute(text("SELECT id FROM mentions"))}

    def _trace(self, ids: list[str]) -> str:
        """Where the given mention ids are on the raw, by-brand and scored topics."""
        try:
            topics = [self.topics.raw, f"{self.scorer_group}-mentions-by-brand", self.topics.scored]
            found = {topic: self.mention_positions(topic) for topic in topics}
        except Exception as exc:  # the broker may be what failed
            return f"{ids} (not traced: {type(exc).__name__}: {exc})"
        names = ("raw", "by-brand", "scored")
        return "; ".join(
            f"{i} ("
            + ", ".join(
                f"{name} {','.join(found[t].get(i, [])) or 'absent'}"
                for name, t in zip(names, topics, strict=True)
            )
            + ")"
            for i in ids
        )

    # ------------------------------------------------------------ kafka reads

    def _admin(self) -> contextlib.AbstractContextManager[KafkaAdminClient]:
        return admin_client(self.bootstrap, client_id="smileback-chaos-check")

    def _offsets(
        self,
    ) -> tuple[dict[TopicPartition, int], dict[str, dict[TopicPartition, int]]]:
        topics = {t for tps in self.groups.values() for t in tps}
        ends = end_offsets(self.bootstrap, topic_partitions(self.bootstrap, topics))
        with self._admin() as admin:
            committed = {
                group: committed_offsets(self.bootstrap, group, admin=admin)
                for group in self.groups
            }
        return ends, committed

    def _group_partitions(
        self, ends: Mapping[TopicPartition, int]
    ) -> dict[str, list[TopicPartition]]:
        groups = self.groups
        out = {g: [tp for tp in ends if tp.topic in topics] for g, topics in groups.items()}
        for group, topics in groups.items():
            known = {tp.topic for tp in out[group]}
            if known != set(topics):
                raise ClusterError(
                    f"group {group}: topics without partitions: {set(topics) - known}"
                )
        return out

    def read_topic(self, topic: str) -> list[bytes]:
        """Every record value of `topic` from the beginning up to its end offsets now."""
        return [value for _, _, value in self.read_records(topic)]

    def read_records(self, topic: str) -> list[tuple[int, int, bytes]]:
        """(partition, offset, value) of every record of `topic` up to its end offsets now."""
        return read_records(self.bootstrap, topic)

    def mention_positions(self, topic: str) -> dict[str, list[str]]:
        """Mention id -> where it is in `topic` ("[partition]@offset"), for records with an id."""
        where: dict[str, list[str]] = {}
        for partition, offset, value in self.read_records(topic):
            mention_id = _id_of(value)
            if mention_id is not None:
                where.setdefault(mention_id, []).append(f"[{partition}]@{offset}")
        return where

    def incident_events(self) -> list[IncidentEvent]:
        return [decode(IncidentEvent, v) for v in self.read_topic(self.topics.incidents)]

    def dlq_records(self) -> list[DlqRecord]:
        return [decode(DlqRecord, v) for v in self.read_topic(self.topics.dlq)]

    # ------------------------------------------------------------ diagnosis

    def _dead(self) -> list[Service]:
        """Services that exited without the test killing them."""
        return [
            s
            for s in self.services.values()
            if s.incarnations and not s.alive() and s.name not in self.down
        ]

    @staticmethod
    def _describe_dead(dead: list[Service]) -> str:
        return ", ".join(f"{s.name} (exit {s.exit_code()})" for s in dead)

    def _assert_alive(self) -> None:
        dead = self._dead()
        if dead:
            raise ClusterError(f"service exited: {self._describe_dead(dead)}\n{self.tails()}")

    def tails(self) -> str:
        return "\n".join(service.tail() for service in self.services.values())


# --------------------------------------------------------------------------- kafka-python admin


def _id_of(value: bytes) -> str | None:
    """The "id" of a JSON record, if it has one."""
    try:
        data = json.loads(value)
    except ValueError:
        return None
    mention_id = data.get("id") if isinstance(data, dict) else None
    return mention_id if isinstance(mention_id, str) else None


def _describe_group(admin: KafkaAdminClient, group: str) -> tuple[str, dict[str, int]]:
    """The group's state and, per member, how many partitions it is assigned (-1: the
    assignment could not be read); kafka-python 2.x or 3.x."""
    if hasattr(admin, "describe_groups"):  # kafka-python 3
        info = admin.describe_groups([group])[group]
        members = {m["member_id"]: _count(m.get("member_assignment")) for m in info["members"]}
        return str(info.get("group_state")), members
    (old,) = admin.describe_consumer_groups([group])
    return str(old.state), {m.member_id: _count(m.member_assignment) for m in old.members}


def _count(assignment: object) -> int:
    """Partitions in a decoded consumer-protocol assignment, or -1 if it cannot be read."""
    if isinstance(assignment, dict):
        parts = assignment.get("assigned_partitions") or assignment.get("assignment") or []
        return sum(
            len(p.get("partitions", [])) if isinstance(p, dict) else len(p[1]) for p in parts
        )
    partitions = getattr(assignment, "partitions", None)
    if callable(partitions):
        return len(partitions())
    assigned = getattr(assignment, "assignment", None)
    if isinstance(assigned, list):
        return sum(len(p) for _, p in assigned)
    return -1


# --------------------------------------------------------------------------- fixtures' helpers


@contextlib.contextmanager
def cluster(
    *,
    work_dir: Path,
    bootstrap: str,
    postgres_url: str,
    kafka: Server | None = None,
    postgres: Server | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[Cluster]:
    """A started Cluster on its own topics, groups and database; stopped afterwards."""
    with fresh_database(postgres_url, prefix="chaos") as url:
        c = Cluster(
            bootstrap=bootstrap,
            database_url=url,
            work_dir=work_dir,
            kafka=kafka,
            postgres=postgres,
            extra_env=dict(extra_env or {}),
        )
        try:
            c.start()
            yield c
        finally:
            c.close()


def dlq_payload(record: DlqRecord) -> bytes:
    """The raw bytes a DLQ record kept."""
    return base64.b64decode(record.raw_b64)
