"""What the deployment tests (tests/deploy) check compose and Kubernetes files against: the
`smileback` CLI, each service's settings class, and the rendering of kustomize overlays."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import typer.main
import yaml
from pydantic import SecretStr
from pydantic_settings import BaseSettings

from smileback.alerts.settings import AlertsSettings
from smileback.api.settings import ApiSettings
from smileback.cli.main import app
from smileback.common.settings import env_name, load_settings
from smileback.ingest.settings import IngestSettings
from smileback.scorer.settings import ScorerSettings

__all__ = [
    "LISTENS",
    "PROBES",
    "ROOT",
    "SETTINGS",
    "kustomize_build",
    "load_script",
    "resolve_command",
    "secret_settings",
    "settings_from",
    "variables_of",
]

ROOT = Path(__file__).resolve().parents[2]

# The first word of a command -> the settings class that command reads.
SETTINGS: dict[str, type[BaseSettings]] = {
    "ingest": IngestSettings,
    "scorer": ScorerSettings,
    "alerts": AlertsSettings,
    "api": ApiSettings,
}
# Secret settings a deployed command never reads: the Mastodon source is not deployed, and a
# file replay needs neither the webhook's secret nor Mastodon's token.
_UNUSED_SECRETS: dict[tuple[str, ...], frozenset[str]] = {
    ("ingest", "webhook"): frozenset({"mastodon_token"}),
    ("ingest", "replay"): frozenset({"mastodon_token", "ingest_webhook_secret"}),
}
# Where each long-running command serves /healthz and /readyz: its port and host settings.
LISTENS: dict[tuple[str, ...], tuple[str, str]] = {
    ("api",): ("api_port", "api_host"),
    ("scorer",): ("metrics_port", "metrics_host"),
    ("alerts",): ("metrics_port", "metrics_host"),
    ("ingest", "webhook"): ("ingest_webhook_port", "ingest_webhook_host"),
}
PROBES = ("/healthz", "/readyz")


def resolve_command(args: list[str]) -> tuple[str, ...]:
    """The path of the `smileback` command `args` run (e.g. ("ingest", "webhook")), after
    parsing every option as the CLI would; click's UsageError for an unknown command or
    option."""
    command: Any = typer.main.get_command(app)
    path: list[str] = []
    parent = None
    while True:
        ctx = command.make_context(command.name, list(args), parent=parent)
        if not hasattr(command, "resolve_command"):
            return tuple(path)
        name, command, args = command.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
        path.append(name)
        parent = ctx


def variables_of(command: tuple[str, ...]) -> set[str]:
    """Every SMILEBACK_ variable the command's settings class reads."""
    return {env_name(field) for field in SETTINGS[command[0]].model_fields}


def secret_settings(command: tuple[str, ...]) -> set[str]:
    """The variables of the command's secret settings (SecretStr) that it uses."""
    cls = SETTINGS[command[0]]
    return {
        env_name(field)
        for field, info in cls.model_fields.items()
        if SecretStr in (info.annotation, *getattr(info.annotation, "__args__", ()))
        and field not in _UNUSED_SECRETS.get(command, frozenset())
    }


@contextmanager
def _only_environment(variables: Mapping[str, str]) -> Iterator[None]:
    saved = {name: value for name, value in os.environ.items() if name.startswith("SMILEBACK_")}
    for name in saved:
        del os.environ[name]
    os.environ.update(variables)
    try:
        yield
    finally:
        for name in variables:
            os.environ.pop(name, None)
        os.environ.update(saved)


def settings_from(command: tuple[str, ...], variables: Mapping[str, str]) -> BaseSettings:
    """The settings the command starts with given exactly these SMILEBACK_ variables;
    ConfigError when one is invalid."""
    with _only_environment(variables):
        return load_settings(SETTINGS[command[0]])


def kustomize_build(directory: Path) -> list[dict[str, Any]]:
    """The objects `kustomize build directory` renders: the kustomize scripts/test.sh
    installs in .tools/bin, else one on the PATH, else kubectl's own."""
    local = ROOT / ".tools" / "bin" / "kustomize"
    if local.exists():
        command = [str(local), "build"]
    elif shutil.which("kustomize"):
        command = ["kustomize", "build"]
    elif shutil.which("kubectl"):
        command = ["kubectl", "kustomize"]
    else:
        raise AssertionError("no kustomize: run scripts/test.sh, which installs it")
    done = subprocess.run(
        [*command, str(directory)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def load_script(path: Path) -> ModuleType:
    """A script that is not part of a package (scripts/, deploy/docker/) as a module."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
