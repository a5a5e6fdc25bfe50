"""`smileback ingest <source>`: one subcommand per source, each into Kafka or with -o a file.

As in main.py: settings are read before the runner is imported, and errors are left to
the root command's Boundary.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from smileback.cli.environment import reads
from smileback.common.errors import ConfigError
from smileback.common.settings import load_settings

if TYPE_CHECKING:
    from smileback.ingest.settings import IngestSettings

__all__ = ["ingest_app", "ingest_jetstream", "ingest_mastodon", "ingest_replay", "ingest_webhook"]

ingest_app = typer.Typer(
    help="Ingest sources: each normalises and brand-matches mentions into Kafka, or with "
    "-o into Mention JSON lines.",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help, as the root command's (see main.py)
)
_READS = reads("smileback.ingest.settings:IngestSettings")

_OUTPUT_HELP = "Write Mention JSON lines here ('-' = stdout) instead of producing to Kafka."

_RulesOption = Annotated[
    str | None,
    typer.Option(
        "--rules",
        metavar="FILE",
        help="Brand rules file (YAML, as `smileback rules check` reads) matched besides "
        "$SMILEBACK_BRANDS.",
        show_default="$SMILEBACK_INGEST_RULES_FILE",
    ),
]


def _settings(**overrides: object) -> IngestSettings:
    """IngestSettings from the environment, with the options that were given on top."""
    from smileback.ingest.settings import IngestSettings

    settings = load_settings(IngestSettings)
    given = {name: value for name, value in overrides.items() if value is not None}
    return settings.model_copy(update=given)


@ingest_app.command("replay", cls=_READS)
def ingest_replay(
    input_path: Annotated[
        Path, typer.Option("--input", "-i", help="JSONL or CSV file of mentions, '-' = stdin.")
    ],
    output: Annotated[Path | None, typer.Option("--output", "-o", help=_OUTPUT_HELP)] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="jsonl or csv.", show_default="by extension, .csv is CSV"),
    ] = None,
    mapping: Annotated[
        str | None,
        typer.Option("--map", help="TARGET=SOURCE,...: Mention fields (dotted) from input fields."),
    ] = None,
    speed: Annotated[
        str, typer.Option(help="'max', or N: replay N times as fast as created_at says.")
    ] = "max",
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Bar on stderr.",
            show_default="when stderr is a terminal",
        ),
    ] = None,
    rules: _RulesOption = None,
) -> None:
    """Replay a JSONL or CSV file of mentions; prints a JSON report of what happened."""
    settings = _settings(ingest_rules_file=rules)
    from smileback.ingest.inputs import InputFormat
    from smileback.ingest.mapping import FieldMap
    from smileback.ingest.pacing import parse_speed
    from smileback.ingest.runner import ReplayOptions, run_replay

    if fmt is not None and fmt not in {str(f) for f in InputFormat}:
        raise ConfigError(f"--format must be jsonl or csv, not {fmt!r}")
    options = ReplayOptions(
        input_path=input_path,
        fmt=None if fmt is None else InputFormat(fmt),
        mapping=None if mapping is None else FieldMap.parse(mapping),
        speed=parse_speed(speed),
        progress=sys.stderr.isatty() if progress is None else progress,
    )
    report = run_replay(settings=settings, options=options, output=output)
    # With -o -, stdout carries the mentions; the report goes beside the logs.
    typer.echo(report.to_json(), err=output is not None and str(output) == "-")


@ingest_app.command("webhook", cls=_READS)
def ingest_webhook(
    host: Annotated[
        str | None,
        typer.Option(help="Listen address [default: $SMILEBACK_INGEST_WEBHOOK_HOST, 127.0.0.1]."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            min=1, max=65535, help="Port [default: $SMILEBACK_INGEST_WEBHOOK_PORT, 8090]."
        ),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help=_OUTPUT_HELP)] = None,
    rules: _RulesOption = None,
) -> None:
    """Serve POST /v1/ingest: Standard Webhooks signed mentions, 202 once Kafka has them."""
    settings = _settings(
        ingest_webhook_host=host, ingest_webhook_port=port, ingest_rules_file=rules
    )
    from smileback.ingest.webhook.server import run_webhook

    run_webhook(settings=settings, output=output)


@ingest_app.command("mastodon", cls=_READS)
def ingest_mastodon(
    instance: Annotated[
        str, typer.Option(help="The Mastodon server, e.g. https://mastodon.social.")
    ],
    stream: Annotated[
        str, typer.Option(help="public, public:local, hashtag:TAG, list:ID or user.")
    ] = "public",
    output: Annotated[Path | None, typer.Option("--output", "-o", help=_OUTPUT_HELP)] = None,
    rules: _RulesOption = None,
) -> None:
    """Follow a Mastodon stream (token from $SMILEBACK_MASTODON_TOKEN), resuming where the
    last run stopped; runs until SIGTERM."""
    settings = _settings(ingest_rules_file=rules)
    from smileback.ingest.stream_runner import MastodonOptions, run_mastodon

    run_mastodon(
        settings=settings,
        options=MastodonOptions(instance=instance, stream=stream),
        output=output,
    )


@ingest_app.command("jetstream", cls=_READS)
def ingest_jetstream(
    url: Annotated[
        str,
        typer.Option(
            help="Jetstream's subscribe URL, e.g. wss://jetstream2.us-east.bsky.network/subscribe."
        ),
    ],
    wanted_did: Annotated[
        list[str] | None, typer.Option("--wanted-did", help="Only these accounts (repeatable).")
    ] = None,
    appview: Annotated[
        str | None,
        typer.Option(help="AppView for follower counts [default: $SMILEBACK_BLUESKY_APPVIEW]."),
    ] = None,
    zstd: Annotated[
        bool | None,
        typer.Option(
            "--zstd/--no-zstd",
            help="Ask for zstd-compressed events (compress=true), about a third of the bytes "
            "[default: $SMILEBACK_INGEST_JETSTREAM_ZSTD, off].",
        ),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help=_OUTPUT_HELP)] = None,
    rules: _RulesOption = None,
) -> None:
    """Follow Bluesky posts from Jetstream, resuming by cursor where the last run stopped;
    runs until SIGTERM."""
    settings = _settings(ingest_rules_file=rules)
    from smileback.ingest.stream_runner import JetstreamOptions, run_jetstream

    options = JetstreamOptions(
        url=url, wanted_dids=tuple(wanted_did or ()), appview=appview, zstd=zstd
    )
    run_jetstream(settings=settings, options=options, output=output)
