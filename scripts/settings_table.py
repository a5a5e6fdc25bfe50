"""README.md's configuration tables, rendered from the settings classes.

    .venv/bin/python scripts/settings_table.py          # rewrite the tables in README.md
    .venv/bin/python scripts/settings_table.py --check  # exit 1 when README.md has drifted

Each table sits between `<!-- settings: NAME -->` and `<!-- /settings: NAME -->`; the
text between the markers is replaced, the rest of README.md is left as it is. A service's
table lists what it reads besides the common settings.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from smileback.alerts.settings import AlertsSettings
from smileback.api.settings import ApiSettings
from smileback.common.settings import CommonSettings, env_name
from smileback.ingest.settings import IngestSettings
from smileback.scorer.settings import ScorerSettings

__all__ = ["TABLES", "render_readme", "render_table"]

README = Path(__file__).resolve().parent.parent / "README.md"

# Marker name -> class; every table but the common one leaves out the common fields.
TABLES: dict[str, type[BaseSettings]] = {
    "common": CommonSettings,
    "ingest": IngestSettings,
    "scorer": ScorerSettings,
    "alerts": AlertsSettings,
    "api": ApiSettings,
}

_BOUNDS = (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"))
_SCALARS: dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    SecretStr: "secret string",
}


def render_table(cls: type[BaseSettings], *, leave_out: frozenset[str] = frozenset()) -> str:
    """A Markdown table of `cls`'s variables: name, type, default and description."""
    rows = [
        "| variable | type | default | description |",
        "|---|---|---|---|",
    ]
    for name, field in cls.model_fields.items():
        if name in leave_out:
            continue
        if not field.description:
            raise ValueError(f"{cls.__name__}.{name} has no description")
        cells = (f"`{env_name(name)}`", _type(field), _default(field.default), field.description)
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows)


def render_readme(text: str) -> str:
    """`text` with every table between its markers rendered anew; ValueError if one is missing."""
    common = frozenset(CommonSettings.model_fields)
    for marker, cls in TABLES.items():
        pattern = re.compile(
            rf"(<!-- settings: {marker} -->\n).*?(<!-- /settings: {marker} -->)", re.DOTALL
        )
        if not pattern.search(text):
            raise ValueError(f"README.md has no <!-- settings: {marker} --> markers")
        table = render_table(cls, leave_out=frozenset() if cls is CommonSettings else common)
        text = pattern.sub(lambda m, t=table: f"{m.group(1)}{t}\n{m.group(2)}", text)
    return text


def _type(field: FieldInfo) -> str:
    limits = [
        f"{sign} {getattr(item, attr)}"
        for item in field.metadata
        for attr, sign in _BOUNDS
        if hasattr(item, attr)
    ]
    if any(isinstance(item, annotated_types.MinLen) for item in field.metadata):
        limits.append("not empty")
    return ", ".join([_kind(field.annotation), *limits])


def _kind(annotation: Any) -> str:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:  # a validated type: its base says what to write
        return _kind(args[0])
    if origin in (Union, UnionType):  # `X | None`: the default says "none"
        (inner,) = (arg for arg in args if arg is not NoneType)
        return _kind(inner)
    if origin is Literal:
        return "one of " + ", ".join(f"`{arg}`" for arg in args)
    if origin is list:
        return f"JSON list of {_kind(args[0])}s"
    if origin is dict:
        return "JSON object"
    return _SCALARS[annotation]


def _default(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool | dict | list):
        return f"`{json.dumps(value)}`"
    if isinstance(value, float):
        return f"`{value:g}`"
    return f"`{value}`"


def main() -> int:
    """Rewrite README.md, or with --check say whether it has drifted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    check = parser.parse_args().check
    text = README.read_text(encoding="utf-8")
    rendered = render_readme(text)
    if rendered == text:
        return 0
    if check:
        print("README.md's settings tables have drifted: run scripts/settings_table.py")
        return 1
    README.write_text(rendered, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
