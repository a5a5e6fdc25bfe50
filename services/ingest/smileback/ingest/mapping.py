"""Field mappings of `replay --map`: which Mention field takes which input field.

`--map text=body,author.handle=user` reads `body` into `text` and `user` into
`author.handle`. A target is a dotted path in the Mention schema, checked when the mapping
is parsed; a source is an input field name, or a dotted path into nested JSON objects. A
mapped record keeps the input's fields that already are top-level Mention fields and drops
the rest, so a CSV with extra columns still makes valid mentions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from smileback.common.errors import ConfigError
from smileback.common.events import Mention

__all__ = ["FieldMap"]

_MISSING = object()


@dataclass(frozen=True)
class FieldMap:
    """Pairs of (target path, source field), in the order given."""

    pairs: tuple[tuple[tuple[str, ...], str], ...]

    @classmethod
    def parse(cls, spec: str) -> FieldMap:
        """Parse `target=source,...`; ConfigError naming a malformed pair or unknown target."""
        pairs: list[tuple[tuple[str, ...], str]] = []
        for item in (part.strip() for part in spec.split(",")):
            target, sep, source = (half.strip() for half in item.partition("="))
            if not sep or not target or not source:
                raise ConfigError(f"--map: {item!r} is not TARGET=SOURCE")
            path = tuple(target.split("."))
            _check_target(path)
            pairs.append((path, source))
        return cls(tuple(pairs))

    def apply(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The record as Mention fields: mapped targets set, other Mention fields kept."""
        out: dict[str, Any] = {k: v for k, v in record.items() if k in Mention.model_fields}
        for path, source in self.pairs:
            value = _lookup(record, source)
            if value is _MISSING:
                continue  # the target keeps its default, or the error says it is required
            node = out
            for part in path[:-1]:
                child = node.get(part)
                node[part] = child = dict(child) if isinstance(child, Mapping) else {}
                node = child
            node[path[-1]] = value
        return out


def _check_target(path: tuple[str, ...]) -> None:
    model: type[BaseModel] | None = Mention
    for depth, part in enumerate(path):
        if model is None or part not in model.model_fields:
            where = ".".join(path[:depth]) or "Mention"
            known = ", ".join(sorted(model.model_fields)) if model is not None else "none"
            raise ConfigError(
                f"--map: unknown target {'.'.join(path)!r} ({where} has fields: {known})"
            )
        annotation = model.model_fields[part].annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            model = None


def _lookup(record: Mapping[str, Any], source: str) -> Any:
    if source in record:
        return record[source]
    node: Any = record
    for part in source.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node
