#!/usr/bin/env python3
"""The image's health check: exit 0 when the service in this container answers 200.

    smileback-healthcheck                               # liveness of the service PID 1 runs
    smileback-healthcheck http://127.0.0.1:8000/readyz  # this URL

One image runs every service, each on its own port, so without a URL the check reads the
command of PID 1 (`smileback api`, `smileback scorer`, ...) and takes the port from that
service's own settings class, read from the same environment: it cannot disagree with
where the service listens. It prints one line, which Docker keeps with the result.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from pathlib import Path

__all__ = ["liveness_url", "main", "service_command"]

_TIMEOUT_S = 4.0


def service_command(cmdline: list[str]) -> list[str]:
    """The words after `smileback` in a process's argv (`python .../smileback api` -> [api]);
    after the entrypoint's name when PID 1 is an init (`docker run --init`) that started it."""
    for index, word in enumerate(cmdline):
        if Path(word).name in ("smileback", "smileback-entrypoint"):
            return cmdline[index + 1 :]
    raise ValueError(f"not a smileback process: {' '.join(cmdline)}")


def liveness_url(command: list[str]) -> str:
    """The /healthz URL of the service `command` runs, on the port its settings give."""
    # Imported here: a check with a URL needs none of the settings.
    from smileback.common.settings import load_settings

    match command:
        case ["api", *_]:
            from smileback.api.settings import ApiSettings

            port = load_settings(ApiSettings).api_port
        case ["scorer", *_]:
            from smileback.scorer.settings import ScorerSettings

            port = load_settings(ScorerSettings).metrics_port
        case ["alerts", *_]:
            from smileback.alerts.settings import AlertsSettings

            port = load_settings(AlertsSettings).metrics_port
        case ["ingest", "webhook", *_]:
            from smileback.ingest.settings import IngestSettings

            port = load_settings(IngestSettings).ingest_webhook_port
        case _:
            raise ValueError(f"`smileback {' '.join(command)}` serves no health endpoint")
    return f"http://127.0.0.1:{port}/healthz"


def main(argv: list[str]) -> int:
    """Probe the URL given, or the service's liveness; 0 when it answers 200, else 1."""
    try:
        if argv:
            (url,) = argv
        else:
            cmdline = Path("/proc/1/cmdline").read_bytes().decode().split("\0")
            url = liveness_url(service_command([word for word in cmdline if word]))
        with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as answer:  # noqa: S310 (local URL)
            print(f"{url}: {answer.status}")
            return 0 if answer.status == 200 else 1
    except urllib.error.HTTPError as exc:
        print(f"{url}: {exc.code}")
    except Exception as exc:  # any other failure is a failed check, said in one line
        print(f"unhealthy: {type(exc).__name__}: {exc}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
