"""The documentation's configuration tables, rendered from the settings classes.

    .venv/bin/python scripts/settings_table.py          # rewrite the tables in docs/*.md
    .venv/bin/python scripts/settings_table.py --check  # exit 1 when a table has drifted

Each table sits between `<!-- settings: NAME -->` and `<!-- /settings: NAME -->`, once,
in README.md or one of docs/*.md (the common and ingest tables in docs/configuration.md,
the others beside their service's reference); the text between the markers is replaced,
the rest of each file is left as it is. A service's table lists what it reads besides the
common settings.
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

__all__ = ["TABLES", "documents", "render_documents", "render_markers", "render_table"]

ROOT = Path(__file__).resolve().parent.parent

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


def documents(root: Path = ROOT) -> list[Path]:
    """The files that may hold settings tables: README.md and docs/*.md."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def render_markers(text: str) -> str:
    """`text` with every settings table between its markers rendered anew."""
    common = frozenset(CommonSettings.model_fields)
    for marker, cls in TABLES.items():
        pattern = re.compile(
            rf"(<!-- settings: {marker} -->\n).*?(<!-- /settings: {marker} -->)", re.DOTALL
        )
        table = render_table(cls, leave_out=frozenset() if cls is CommonSettings else common)
        text = pattern.sub(lambda m, t=table: f"{m.group(1)}{t}\n{m.group(2)}", text)
    return text


def render_documents(texts: dict[str, str]) -> dict[str, str]:
    """Each file's text (by name) with its tables rendered; ValueError unless every table is
    in exactly one file."""
    for marker in TABLES:
        holders = [name for name, text in texts.items() if f"<!-- settings: {marker} -->" in text]
        if len(holders) != 1:
            where = ", ".join(holders) or "no file"
            raise ValueError(f"<!-- settings: {marker} --> must be in one file, found in {where}")
    return {name: render_markers(text) for name, text in texts.items()}


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
    """Rewrite the tables, or with --check say whether one has drifted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    check = parser.parse_args().check
    paths = {str(path.relative_to(ROOT)): path for path in documents()}
    texts = {name: path.read_text(encoding="utf-8") for name, path in paths.items()}
    drifted = {
        name: rendered
        for name, rendered in render_documents(texts).items()
        if rendered != texts[name]
    }
    if not drifted:
        return 0
    if check:
        names = ", ".join(drifted)
        print(f"settings tables have drifted in {names}: run scripts/settings_table.py")
        return 1
    for name, rendered in drifted.items():
        paths[name].write_text(rendered, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
