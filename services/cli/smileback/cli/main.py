"""The `smileback` command: one subcommand per service, plus the demo and offline scoring.

Entry points stay thin: read the service's settings (before importing its runner, so an
invalid value fails before the slow imports), call its runner. Errors are translated once,
by `Boundary` (boundary.py): a user's error is one stderr line and exit code 2. Logs go to
stderr, data to stdout.
"""

from __future__ import annotations

import gc
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Annotated

import typer

from smileback.cli.boundary import Boundary
from smileback.cli.environment import reads
from smileback.cli.ingest import ingest_app
from smileback.common.errors import ConfigError
from smileback.common.settings import DatabaseSettings, OncallFileSettings, load_settings

__all__ = [
    "YOUNG_GENERATION_THRESHOLD",
    "alerts",
    "api",
    "app",
    "demo",
    "evaluate",
    "keys_create",
    "keys_list",
    "keys_revoke",
    "main",
    "rules_check",
    "score",
    "scorer",
    "train",
]

# Allocations of container objects between the collector's youngest-generation passes;
# Python's default is 700. A service allocates a few dozen per record, so at 700 the
# collector ran every few dozen records and took about a sixth of the scoring pipeline's
# CPU (benchmarks/README.md); at 10,000 it runs a fourteenth as often, and the garbage a
# pass finds is still collected, a few thousand objects later.
YOUNG_GENERATION_THRESHOLD = 10_000

app = typer.Typer(
    name="smileback",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=Boundary,
    # Plain click help: typer's rich help shows a `<bool>` type beside every flag and reads
    # `[...]` in help texts as markup, dropping it.
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(version("smileback"))
        raise typer.Exit()


@app.callback()
def _root(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version, exit."
        ),
    ] = False,
) -> None:
    """Brand social monitoring: score mentions, page the one human on call, smile back."""


@app.command()
def demo(
    once: Annotated[
        bool,
        typer.Option(
            "--once", help="Tell the story without serving, end with a JSON summary, exit."
        ),
    ] = False,
    port: Annotated[int, typer.Option(help="API port on 127.0.0.1.")] = 8000,
    speed: Annotated[
        float, typer.Option(help="Scenario minutes replayed per wall-clock second.")
    ] = 6.0,
) -> None:
    """Run every service in one process on an in-process bus and SQLite, replaying the
    bundled scenario so it ends now and telling what happens.

    The API's admin token is $SMILEBACK_DEMO_TOKEN, or a new random one it prints.
    """
    try:
        from smileback.cli.demo.run import run_demo
    except ModuleNotFoundError as exc:
        if exc.name != "smileback.cli.demo":
            raise
        typer.echo(
            "smileback demo: not in this install (service images leave it out); "
            "run it from the repository with `make demo`",
            err=True,
        )
        raise typer.Exit(2) from None
    run_demo(once=once, port=port, speed=speed)


app.add_typer(ingest_app, name="ingest")


@app.command(cls=reads("smileback.scorer.settings:ScorerSettings"))
def scorer() -> None:
    """Run the faust-streaming scorer worker; a broker away at start is waited for."""
    from smileback.scorer.settings import ScorerSettings

    settings = load_settings(ScorerSettings)
    from smileback.scorer.app import run

    run(settings=settings)


@app.command(cls=reads("smileback.alerts.settings:AlertsSettings"))
def alerts() -> None:
    """Run the alerts service; Kafka or a database away at start is waited for."""
    from smileback.alerts.settings import AlertsSettings

    settings = load_settings(AlertsSettings)
    from smileback.alerts.runner import run

    run(settings=settings)


@app.command(cls=reads("smileback.api.settings:ApiSettings"))
def api() -> None:
    """Run the REST API and its projector; Kafka or a database away at start is waited for."""
    from smileback.api.settings import ApiSettings

    settings = load_settings(ApiSettings)
    from smileback.api.runner import run

    run(settings=settings)


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


keys_app = typer.Typer(
    help="API keys of `smileback api` (stored hashed in SMILEBACK_DATABASE_URL).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(keys_app, name="keys")


@keys_app.command(
    "create",
    cls=reads(
        "smileback.common.settings:DatabaseSettings",
        "smileback.common.settings:OncallFileSettings",
    ),
)
def keys_create(
    name: Annotated[str, typer.Option("--name", help="Who or what uses the key.")],
    scope: Annotated[
        str, typer.Option("--scope", help="read, respond (read + incident actions) or admin.")
    ],
    expires_days: Annotated[
        int | None,
        typer.Option("--expires-days", help="Valid for this many days.", show_default="no end"),
    ] = None,
    responder: Annotated[
        str | None,
        typer.Option(
            "--responder",
            help="The on-call file's responder id whose actions the key takes "
            "(required for respond keys; checked against SMILEBACK_ONCALL_FILE when set).",
        ),
    ] = None,
) -> None:
    """Create a key; prints its token (shown only once) on stdout."""
    from smileback.api.auth import Scope
    from smileback.api.keyring import create_api_key
    from smileback.common.clock import utc_now
    from smileback.common.oncall import load_oncall

    if scope not in {str(s) for s in Scope}:
        raise ConfigError(f"--scope must be read, respond or admin, not {scope!r}")
    oncall_file = load_settings(OncallFileSettings).oncall_file
    key, token = create_api_key(
        database_url=load_settings(DatabaseSettings).database_url,
        name=name,
        scope=Scope(scope),
        expires_days=expires_days,
        clock=utc_now,
        responder=responder,
        oncall=load_oncall(oncall_file) if oncall_file else None,
    )
    until = key.expires_at.isoformat() if key.expires_at else "never"
    owner = f", responder {key.responder}" if key.responder else ""
    typer.echo(
        f"created key {key.id} ({key.name}, scope {key.scope}{owner}, expires {until})", err=True
    )
    typer.echo(token)


@keys_app.command("list", cls=reads("smileback.common.settings:DatabaseSettings"))
def keys_list() -> None:
    """List the keys (never their tokens)."""
    from smileback.api.keyring import format_keys, list_api_keys
    from smileback.common.clock import utc_now

    keys = list_api_keys(database_url=load_settings(DatabaseSettings).database_url)
    typer.echo(format_keys(keys, now=utc_now()))


@keys_app.command("revoke", cls=reads("smileback.common.settings:DatabaseSettings"))
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (see `keys list`).")],
) -> None:
    """Revoke a key; requests with it get 401 from then on."""
    from smileback.api.keyring import revoke_api_key
    from smileback.common.clock import utc_now

    key = revoke_api_key(
        database_url=load_settings(DatabaseSettings).database_url, key_id=key_id, clock=utc_now
    )
    if key is None:
        typer.echo(f"smileback: no API key {key_id!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked key {key.id} ({key.name})", err=True)


rules_app = typer.Typer(
    help="Brand rules files: try what a file matches before deploying it.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(rules_app, name="rules")


@rules_app.command("check")
def rules_check(
    rules_file: Annotated[
        Path, typer.Argument(help="YAML rules file: brands: NAME: query: '...'.")
    ],
    explain: Annotated[
        bool,
        typer.Option("--explain", help="Add matched_terms: the terms that matched, per brand."),
    ] = False,
) -> None:
    """Read Mention JSON lines on stdin, write each with its matched_brands to stdout."""
    from smileback.cli.rules import check_lines
    from smileback.common.rules import RuleSet
    from smileback.common.rules.file import load_rules_file

    rules = RuleSet(load_rules_file(rules_file))
    report = check_lines(
        lines=sys.stdin.buffer, out=sys.stdout, err=sys.stderr, rules=rules, explain=explain
    )
    typer.echo(
        f"checked {report.checked}, matched {report.matched}, bad lines {report.bad}", err=True
    )
    if report.bad:
        raise typer.Exit(1)


_TWEETEVAL_DEFAULT = "$SMILEBACK_TWEETEVAL_DIR, else ../shared/data/tweeteval beside the repository"


@app.command()
def train(
    data: Annotated[
        Path | None,
        typer.Option(help="TweetEval sentiment folder.", show_default=_TWEETEVAL_DEFAULT),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Where to write artifact and card.", show_default="the package's shipped model"
        ),
    ] = None,
    extra: Annotated[
        Path | None,
        typer.Option(
            help="Your labelled mentions, CSV or JSONL with text,label.", show_default="none"
        ),
    ] = None,
    extra_use: Annotated[
        str, typer.Option(help="Use --extra to 'train' the model or to 'tune' the threshold.")
    ] = "train",
    seed: Annotated[int, typer.Option(help="Seed for the SVM and the val split.")] = 13,
    limit: Annotated[
        int | None,
        typer.Option(
            help="Train on only the first N TweetEval rows (quick runs).", show_default="all"
        ),
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option(
            help="Responders' labels, as GET /v1/mentions/labels.jsonl exports them.",
            show_default="none",
        ),
    ] = None,
) -> None:
    """Train the negativity model and write its artifact and model card; progress on stderr."""
    _need_training("train")
    from smileback.training.commands import run_train

    if extra_use not in ("train", "tune"):
        raise ConfigError(f"--extra-use must be train or tune, not {extra_use!r}")
    result = run_train(
        data=data,
        out=out,
        extra=extra,
        extra_use="train" if extra_use == "train" else "tune",
        seed=seed,
        limit=limit,
        labels=labels,
    )
    typer.echo(result.card.to_json(), nl=False)


@app.command()
def evaluate(
    out: Annotated[Path, typer.Option(help="Folder for pr_curve.png and calibration.png.")] = Path(
        "evaluation"
    ),
    model: Annotated[
        Path | None,
        typer.Option(help="Folder with artifact and card.", show_default="the shipped model"),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(help="TweetEval sentiment folder.", show_default=_TWEETEVAL_DEFAULT),
    ] = None,
    brand: Annotated[
        Path | None,
        typer.Option(
            help="Brand-directed labelled set.", show_default="tests/data/brand_mentions.jsonl"
        ),
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option(
            help="Responders' labels (GET /v1/mentions/labels.jsonl): a check set.",
            show_default="none",
        ),
    ] = None,
) -> None:
    """Print the model's and VADER's quality table and write the PR and calibration plots."""
    _need_training("evaluate")
    from smileback.training.commands import run_evaluate

    table = run_evaluate(model_dir=model, data=data, brand=brand, out=out, labels=labels)
    typer.echo(table)


def _need_training(command: str) -> None:
    """Exit 2 with one line unless the training tools (`smileback[train]`) are installed."""
    try:
        from smileback.training import missing_extra
    except ModuleNotFoundError as exc:
        if exc.name != "smileback.training":
            raise
        missing = [exc.name]
    else:
        missing = missing_extra()
    if missing:
        typer.echo(
            f"smileback {command}: the training tools are not installed "
            f"({', '.join(missing)} missing); install smileback[train]",
            err=True,
        )
        raise typer.Exit(2)


def main() -> None:
    """Console entry point."""
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])
    app(prog_name="smileback", args=sys.argv[1:])
