"""The `smileback` command: one subcommand per service, plus the demo and offline scoring.

Entry points stay thin: read settings, call the service's runner, translate errors.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from smileback.common.errors import ConfigError
from smileback.common.settings import Settings

__all__ = ["app"]

app = typer.Typer(
    name="smileback",
    help="Brand social monitoring: score mentions, page the one human on call, smile back.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        typer.echo(f"smileback: invalid settings: {exc}", err=True)
        raise typer.Exit(2) from exc


def _fail(exc: ConfigError) -> typer.Exit:
    typer.echo(f"smileback: {exc}", err=True)
    return typer.Exit(2)


@app.command()
def demo(
    once: Annotated[
        bool, typer.Option("--once", help="Replay the scenario, print a JSON summary, exit.")
    ] = False,
    port: Annotated[int, typer.Option(help="API port on 127.0.0.1.")] = 8000,
    speed: Annotated[
        float, typer.Option(help="Scenario minutes replayed per wall-clock second.")
    ] = 6.0,
) -> None:
    """Run every service in one process on an in-process bus and SQLite."""
    from smileback.cli.demo import run_demo

    run_demo(once=once, port=port, speed=speed)


@app.command()
def ingest(
    input_path: Annotated[
        Path, typer.Option("--input", "-i", help="JSONL file of mentions, '-' for stdin.")
    ],
) -> None:
    """Replay a JSONL file of mentions into Kafka."""
    from smileback.ingest.runner import run

    report = run(settings=_settings(), input_path=input_path)
    typer.echo(report.to_json())


@app.command()
def scorer() -> None:
    """Run the faust-streaming scorer worker."""
    from smileback.scorer.app import run

    run(settings=_settings())


@app.command()
def alerts() -> None:
    """Run the alerts service."""
    from smileback.alerts.runner import run

    try:
        run(settings=_settings())
    except ConfigError as exc:
        raise _fail(exc) from exc


@app.command()
def api() -> None:
    """Run the REST API and its projector."""
    from smileback.api.runner import run

    try:
        run(settings=_settings())
    except ConfigError as exc:
        raise _fail(exc) from exc


@app.command()
def score(
    input_path: Annotated[str, typer.Option("--input", "-i", help="Mentions JSONL, '-' = stdin.")],
    output_path: Annotated[
        str, typer.Option("--output", "-o", help="ScoredMention JSONL, '-' = stdout.")
    ],
) -> None:
    """Score a file of mentions offline, in file order, keeping per-thread state."""
    from smileback.cli.offline import score_files

    report = score_files(input_path=input_path, output_path=output_path)
    typer.echo(f"scored {report.scored}, bad lines {report.bad}", err=True)
    if report.scored == 0 and report.bad:
        raise typer.Exit(1)


def main() -> None:
    """Console entry point."""
    app(prog_name="smileback", args=sys.argv[1:])
