"""Read a YAML config file and validate it, reporting errors as `file:line: where: reason`.

The YAML node tree keeps each key's line, so a pydantic error's location (a path of keys
and indexes) maps back to the line a human has to fix; `YamlDoc.place_in` goes one step
further, to the line and column of one character of a string value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from smileback.common.errors import ConfigError

__all__ = ["Loc", "Located", "YamlDoc", "read_yaml", "validate_located"]

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]
_MAX_ERRORS = 5


class _Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1 base-60 integers, so `handoff: 17:30` stays a string."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:int"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789")
)


class YamlDoc:
    """A parsed YAML document: its data and its node tree (for line numbers)."""

    def __init__(self, *, path: Path, text: str, data: Any, node: yaml.Node | None) -> None:
        self.path = path
        self.text = text
        self.data = data
        self.node = node

    def line_of(self, loc: Loc) -> int:
        """The 1-based line of the deepest node on `loc` (1 for an empty document)."""
        node = self.node
        if node is None:
            return 1
        line = node.start_mark.line + 1
        for part in loc:
            child = _child(node, part)
            if child is None:
                break
            key_node, node = child
            line = key_node.start_mark.line + 1
        return line

    def place_in(self, loc: Loc, *, index: int) -> tuple[int, int]:
        """The 1-based (line, column) in the file of character `index` of the string at `loc`.

        Exact wherever the value's non-blank characters come from the file one for one, which
        is every style: plain, quoted (a `''` or a backslash escape counts from its first
        character) and block scalars alike, over one line or several, since folding and
        indentation change only blanks. An index on a blank, or just past the end, is placed
        after the non-blank character before it, or at the value's start when there is none.
        """
        node = self._node_at(loc)
        if not isinstance(node, yaml.ScalarNode):
            return self.line_of(loc), 1
        value = str(node.value)
        sources = _sources(self.text, node)
        # One for one by construction (see above); not strict, so that a scalar this reading
        # got wrong is placed approximately rather than turning a user's error into a crash.
        nonblank = (i for i, c in enumerate(value) if not c.isspace())
        places = dict(zip(nonblank, sources, strict=False))
        before = [i for i in places if i < index]
        if index in places:
            at = places[index]
        elif before:
            at = places[max(before)] + 1
        else:
            at = sources[0] if sources else _content_start(self.text, node)
        return _line_column(self.text, node.start_mark, at)

    def error(self, *, loc: Loc, reason: str) -> ConfigError:
        """A ConfigError naming this file, the line of `loc`, and the reason."""
        where = ".".join(str(p) for p in loc) or "document"
        return ConfigError(f"{self.path}:{self.line_of(loc)}: {where}: {reason}")

    def _node_at(self, loc: Loc) -> yaml.Node | None:
        node = self.node
        for part in loc:
            child = _child(node, part) if node is not None else None
            node = child[1] if child is not None else None
        return node


class Located:
    """Where a part of the data being validated came from: (loc prefix in data, doc, loc in doc)."""

    def __init__(self, *, prefix: Loc, doc: YamlDoc, at: Loc) -> None:
        self.prefix = prefix
        self.doc = doc
        self.at = at


def read_yaml(path: str | Path) -> YamlDoc:
    """Parse a YAML file; ConfigError with the line for unreadable, invalid or duplicate keys."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read: {type(exc).__name__}: {exc}") from exc
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _refuse_duplicate_keys(file, node)
        data = loader.construct_document(node) if node is not None else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError(f"{file}:{line}: invalid YAML: {exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: invalid YAML: {exc}") from exc
    finally:
        loader.dispose()
    return YamlDoc(path=file, text=text, data=data, node=node)


def validate_located(
    model: type[M], data: Any, *, sources: Sequence[Located], context: Any = None
) -> M:
    """Validate `data` as `model`; errors point at the first source whose part holds them."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        messages = [_locate(err["loc"], err["msg"], sources) for err in exc.errors()]
        raise ConfigError("\n".join(messages[:_MAX_ERRORS])) from None


def _locate(loc: Loc, msg: str, sources: Sequence[Located]) -> str:
    msg = msg.removeprefix("Value error, ")
    path = tuple(p for p in loc if p != "[key]")
    best: tuple[int, Located] | None = None
    for source in sources:
        n = len(source.prefix)
        if path[:n] == source.prefix:
            depth = _matched_depth(source, path[n:])
            if best is None or (n, depth) > (len(best[1].prefix), best[0]):
                best = (depth, source)
    if best is None:
        return f"{msg} (at {'.'.join(map(str, path))})"
    source = best[1]
    doc_loc = source.at + path[len(source.prefix) :]
    return str(source.doc.error(loc=doc_loc, reason=msg))


def _matched_depth(source: Located, rest: Loc) -> int:
    node = source.doc.node
    for part in source.at:
        child = _child(node, part) if node is not None else None
        node = child[1] if child else None
    depth = 0
    for part in rest:
        child = _child(node, part) if node is not None else None
        if child is None:
            break
        node, depth = child[1], depth + 1
    return depth


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """(key node, value node) of `part` in a mapping, or (item, item) in a sequence."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key, value
    elif (
        isinstance(node, yaml.SequenceNode)
        and isinstance(part, int)
        and 0 <= part < len(node.value)
    ):
        item = node.value[part]
        return item, item
    return None


def _refuse_duplicate_keys(file: Path, node: yaml.Node) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    line = key.start_mark.line + 1
                    raise ConfigError(f"{file}:{line}: {key.value}: duplicate key")
                seen.add(key.value)
            _refuse_duplicate_keys(file, value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _refuse_duplicate_keys(file, item)


_BREAKS = "\n\x85\u2028\u2029"
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
# \t \n \r \f \v, an escaped space or tab, \_ (no-break space), \N \L \P, an escaped break.
_BLANK_ESCAPES = frozenset("tnrfv \t_NLP\r" + _BREAKS)


def _content_start(text: str, node: yaml.ScalarNode) -> int:
    """Where the value's characters begin: after a quote, or on the line after a block header."""
    start = node.start_mark.index
    if node.style in ("'", '"'):
        return start + 1
    if node.style in ("|", ">"):
        ends = [i for i in (text.find(b, start) for b in "\r" + _BREAKS) if i >= 0]
        return min(ends, default=len(text)) + 1
    return start


def _sources(text: str, node: yaml.ScalarNode) -> list[int]:
    """The file offset of each non-blank character the scalar's value holds, in order."""
    end = node.end_mark.index - (1 if node.style in ("'", '"') else 0)
    i = _content_start(text, node)
    found: list[int] = []
    while i < end:
        char, width = text[i], 1
        if node.style == "'" and text.startswith("''", i):
            width = 2
        elif node.style == '"' and char == "\\":
            escape = text[i + 1 : i + 2]
            width = 2 + _HEX_ESCAPES.get(escape, 0)
            char = " " if _escapes_blank(escape, text[i + 2 : i + width]) else escape
        if not char.isspace():
            found.append(i)
        i += width
    return found


def _escapes_blank(escape: str, digits: str) -> bool:
    """True when a double-quoted escape stands for a blank (or an escaped line break)."""
    if escape in _HEX_ESCAPES:
        return chr(int(digits, 16)).isspace()
    return escape in _BLANK_ESCAPES


def _line_column(text: str, mark: yaml.Mark, at: int) -> tuple[int, int]:
    """1-based line and column of offset `at`, counted from `mark` as the YAML reader counts."""
    line, column = mark.line, mark.column
    for i in range(mark.index, at):
        char = text[i]
        if char in _BREAKS or (char == "\r" and text[i + 1 : i + 2] != "\n"):
            line, column = line + 1, 0
        elif char != "\ufeff":
            column += 1
    return line + 1, column + 1
