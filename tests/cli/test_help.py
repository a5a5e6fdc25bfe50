"""`--help` as a user reads it: flags as flags, defaults shown, a service's variables named."""

from __future__ import annotations

import re

import pytest
import typer.main
from pydantic_settings import BaseSettings
from typer._click import Command
from typer.testing import CliRunner

from smileback.alerts.settings import AlertsSettings
from smileback.api.settings import ApiSettings
from smileback.cli.environment import environment_rows
from smileback.cli.main import app
from smileback.common.settings import DatabaseSettings, OncallFileSettings, env_name
from smileback.ingest.settings import IngestSettings
from smileback.scorer.settings import ScorerSettings


def _commands(command: Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group under `command`, as the arguments that name it."""
    found = [path]
    for name, sub in getattr(command, "commands", {}).items():
        found += _commands(sub, (*path, name))
    return found


ALL_COMMANDS = _commands(typer.main.get_command(app))


def _help(*args: str) -> str:
    done = CliRunner().invoke(app, [*args, "--help"], prog_name="smileback")
    assert done.exit_code == 0, done.output
    return done.output


def _options(help_text: str) -> dict[str, str]:
    """Each option's first name -> its whole entry in the Options section, on one line."""
    section = help_text.split("\nOptions:\n", 1)[1].split("\n\n", 1)[0]
    entries = re.split(r"\n(?=  -)", section)
    return {
        re.search(r"--[\w-]+", entry).group(): " ".join(entry.split())  # type: ignore[union-attr]
        for entry in entries
    }


def test_every_command_has_help_and_the_walk_found_them():
    names = {" ".join(path) for path in ALL_COMMANDS}
    assert {"api", "alerts", "scorer", "demo", "train", "ingest replay", "keys create"} <= names


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=lambda p: " ".join(p) or "smileback")
def test_no_option_shows_a_type_placeholder_for_a_flag(path):
    text = _help(*path)
    assert "<bool>" not in text
    for name, entry in _options(text).items():
        # A flag's entry goes straight from its names to its help text.
        assert not re.match(rf"(-\w, )?{name}(/--no-[\w-]+)? <bool", entry), entry


def test_boolean_options_read_as_flags():
    demo = _options(_help("demo"))
    assert demo["--once"].startswith("--once Tell the story")
    replay = _options(_help("ingest", "replay"))
    assert replay["--progress"].startswith("--progress / --no-progress Bar on stderr.")


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_every_option_of_train_and_evaluate_shows_its_default(command):
    options = _options(_help(command))
    del options["--help"]
    assert options
    missing = [name for name, entry in options.items() if "[default:" not in entry]
    assert not missing, options


def test_train_names_where_its_data_comes_from_by_default():
    assert "$SMILEBACK_TWEETEVAL_DIR" in _options(_help("train"))["--data"]
    assert "[default: 13]" in _options(_help("train"))["--seed"]


INGEST_SOURCES = ("replay", "webhook", "mastodon", "jetstream")
SERVICES: list[tuple[tuple[str, ...], tuple[type[BaseSettings], ...]]] = [
    (("api",), (ApiSettings,)),
    (("alerts",), (AlertsSettings,)),
    (("scorer",), (ScorerSettings,)),
    *((("ingest", source), (IngestSettings,)) for source in INGEST_SOURCES),
    (("keys", "create"), (DatabaseSettings, OncallFileSettings)),
    (("keys", "list"), (DatabaseSettings,)),
    (("keys", "revoke"), (DatabaseSettings,)),
]


@pytest.mark.parametrize(("path", "classes"), SERVICES, ids=[" ".join(p) for p, _ in SERVICES])
def test_a_service_commands_help_names_every_variable_its_settings_read(path, classes):
    text = _help(*path)
    environment = text.split("Environment, read at start:\n", 1)[1]
    listed = re.findall(r"^  (SMILEBACK_\w+)", environment, flags=re.MULTILINE)
    expected = {env_name(name) for cls in classes for name in cls.model_fields}
    assert set(listed) == expected
    required = [
        env_name(name) for cls in classes for name, f in cls.model_fields.items() if f.is_required()
    ]
    assert listed[: len(required)] == required  # what must be set comes first


class _Needs(BaseSettings):
    optional_first: int = 3
    needed: str


def test_rows_put_required_variables_first_and_say_so():
    rows = environment_rows(_Needs)
    assert [name for name, _ in rows] == ["SMILEBACK_NEEDED", "SMILEBACK_OPTIONAL_FIRST"]
    assert rows[0][1].endswith("[required]")
    assert rows[1][1].endswith("[default: 3]")


def test_the_api_lists_its_own_variables_before_the_shared_kafka_ones():
    listed = [name for name, _ in environment_rows(ApiSettings)]
    assert listed.index("SMILEBACK_API_PORT") < listed.index("SMILEBACK_KAFKA_BOOTSTRAP")
    assert listed.index("SMILEBACK_DATABASE_URL") < listed.index("SMILEBACK_KAFKA_SASL_USERNAME")
