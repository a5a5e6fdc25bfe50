"""The "Environment" section of a service command's `--help`, read from its settings class.

The list is rendered from the class's fields when help is asked for, so it names exactly
the variables the command reads; the class is imported only then, as importing a service's
settings (and its package) would slow every other command down.
"""

from __future__ import annotations

import importlib
import json
from typing import Any, ClassVar

from pydantic_settings import BaseSettings
from typer._click import Context, HelpFormatter  # typer's own copy of click, as TyperCommand
from typer.core import TyperCommand

from smileback.common.settings import env_name

__all__ = ["environment_rows", "reads"]


def environment_rows(cls: type[BaseSettings]) -> list[tuple[str, str]]:
    """(variable, what it is and its default) for every field of `cls`: required ones first,
    then the class's own before those of the parts it is composed of."""
    required, optional = [], []
    for name, field in sorted(cls.model_fields.items(), key=lambda item: _depth(cls, item[0])):
        if field.is_required():
            required.append((env_name(name), f"{field.description or ''}  [required]"))
        else:
            default = _default(field.default)
            optional.append((env_name(name), f"{field.description or ''}  [default: {default}]"))
    return required + optional


class _ServiceCommand(TyperCommand):
    settings: ClassVar[tuple[str, ...]]  # "module:Class" each

    def format_epilog(self, ctx: Context, formatter: HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        rows: dict[str, str] = {}
        for path in self.settings:
            module, _, name = path.partition(":")
            rows.update(environment_rows(getattr(importlib.import_module(module), name)))
        with formatter.section("Environment, read at start"):
            formatter.write_dl(list(rows.items()))


def reads(*settings: str) -> type[TyperCommand]:
    """A command class whose `--help` ends with the variables of `settings` ("module:Class")."""
    return type("ServiceCommand", (_ServiceCommand,), {"settings": settings})


def _default(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool | dict | list):
        return json.dumps(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _depth(cls: type[BaseSettings], field: str) -> int:
    """How far up `cls`'s method resolution order the field is declared."""
    return next(
        i for i, klass in enumerate(cls.__mro__) if field in vars(klass).get("__annotations__", {})
    )
