"""Settings from the environment (prefix `SMILEBACK_`), created where a process starts.

`CommonSettings` is what every service reads; the mixins below are parts some services
share. Each service composes its own class in its package (`smileback.<service>.settings`)
and reads nothing else, so a setting of one service can never stop another from starting.
`load_settings` builds a class and turns any invalid value into a one-line ConfigError that
names the variable.

Secrets never show when settings are printed: a value that is a secret as a whole (a token, a
key, a password, a webhook URL whose path is its credential) is a `SecretStr`, read with
`.get_secret_value()` where it is used; a URL that only carries a password (a database URL)
stays a `str` for the code that connects with it, and every settings class masks the password
in its repr and str.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, Field, ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from smileback.common.errors import ConfigError
from smileback.common.kafka_security import KafkaSecuritySettings
from smileback.common.logging import mask_url

__all__ = [
    "BrandSettings",
    "CommonSettings",
    "DatabaseSettings",
    "DatabaseUrl",
    "MetricsSettings",
    "OncallFileSettings",
    "env_name",
    "load_settings",
]

_PREFIX = "SMILEBACK_"

_S = TypeVar("_S", bound=BaseSettings)


class _FromEnvironment(BaseSettings):
    # Every part shares one config, so any composition of them reads the same variables.
    model_config = SettingsConfigDict(env_prefix=_PREFIX, extra="ignore")

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # One place for repr, str and rich's repr, which all print from these pairs.
        for name, value in super().__repr_args__():
            yield name, mask_url(value) if isinstance(value, str) else value


class CommonSettings(_FromEnvironment, KafkaSecuritySettings):
    """What every service reads: where Kafka is, the topic names, how to log."""

    kafka_bootstrap: str = Field(
        default="127.0.0.1:9092", description="Kafka bootstrap servers, comma-separated"
    )
    topic_prefix: str = Field(default="smileback.", description="prefix of every topic name")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="`DEBUG` also shows the Kafka clients' reconnect errors"
    )
    log_format: Literal["json", "console"] = Field(
        default="json", description="logs go to stderr, as JSON or readable in a terminal"
    )


class MetricsSettings(_FromEnvironment):
    """Where a worker serves `/metrics`, `/healthz` and `/readyz` (the API uses its own port)."""

    metrics_host: str = Field(
        default="127.0.0.1",
        description="listen address of the metrics port; the manifests set `0.0.0.0`",
    )
    metrics_port: int = Field(
        default=9100,
        ge=0,
        le=65535,
        description="port of `/metrics`, `/healthz` and `/readyz`; `0` turns them off",
    )


def _parses_as_database_url(value: str) -> str:
    # Imported here: only the services with a database pay for importing SQLAlchemy.
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(value)
    except (ArgumentError, ValueError):
        # Not the parser's message: it quotes the URL, password and all.
        raise ValueError(
            "not a SQLAlchemy URL, e.g. postgresql+psycopg://user:password@host:5432/smileback"
        ) from None
    return value


DatabaseUrl = Annotated[str, AfterValidator(_parses_as_database_url)]


class DatabaseSettings(_FromEnvironment):
    """The SQL store: the API's mentions, incidents and keys, and by default the alerts'."""

    database_url: DatabaseUrl = Field(
        default="sqlite:///smileback.db",
        description="SQLAlchemy URL; `postgresql+psycopg://…` in production",
    )


class BrandSettings(_FromEnvironment):
    """The monitored brands, shared by ingest (matching) and alerts (the brands' own handles)."""

    brands: dict[str, list[str]] = Field(
        default={},
        description='brand → match terms (words, "phrases", `@handles`, `#tags`), '
        'e.g. `{"acme": ["acme", "@acmehelp"]}`',
    )


class OncallFileSettings(_FromEnvironment):
    """The on-call file: alerts pages from it, the API answers `GET /v1/oncall` from it."""

    oncall_file: str | None = Field(
        default=None,
        description="responders, schedules and escalation policies (YAML), read by alerts and "
        "by `GET /v1/oncall`; none: alerts page every configured notifier once",
    )


def env_name(field: str) -> str:
    """The environment variable of a settings field."""
    return f"{_PREFIX}{field.upper()}"


def load_settings(cls: type[_S]) -> _S:
    """`cls` from the environment; ConfigError naming each invalid variable, on one line."""
    try:
        return cls()
    # `from None`: pydantic's own message repeats the input, which may be a secret.
    except ValidationError as exc:
        raise ConfigError("; ".join(_explain(error) for error in exc.errors())) from None
    except SettingsError as exc:  # a complex value (a JSON list or object) that does not parse
        match = re.search(r'field "(\w+)"', str(exc))
        name = env_name(match.group(1)) if match else "a SMILEBACK_ variable"
        raise ConfigError(f"{name}: must be valid JSON") from None


_BOUNDS = {"le": "≤", "lt": "<", "ge": "≥", "gt": ">"}
_KINDS = {
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "list_type": "must be a JSON list",
    "dict_type": "must be a JSON object",
}


def _explain(error: ErrorDetails) -> str:
    field, *inner = (str(part) for part in error["loc"])
    where = env_name(field) + "".join(f"[{part}]" for part in inner)
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    bound = next((key for key in _BOUNDS if key in ctx), None)
    if bound is not None:
        return f"{where}: must be {_BOUNDS[bound]} {ctx[bound]}"
    if error["type"] == "literal_error":
        return f"{where}: must be one of {ctx['expected']}"
    if error["type"] == "string_too_short" and ctx.get("min_length") == 1:
        return f"{where}: must not be empty"
    if error["type"] == "value_error":  # a validator's own sentence
        return f"{where}: {ctx['error']}"
    # pydantic's wording otherwise; it names what was expected, never the input.
    kind = _KINDS.get(error["type"], error["msg"].replace("Input should be", "must be"))
    return f"{where}: {kind}"
