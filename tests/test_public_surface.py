"""Every module of every `smileback.*` package names its public surface in `__all__`, and
`__all__` is exactly right in both directions.

Modules are discovered, not listed: `pkgutil.walk_packages` over the `smileback` namespace
(libs/common and every service folder), so a new package or module is checked the day it is
added. The one kind of Python file under the source roots that is not a module is left out by
name, and `test_every_source_file_is_checked` fails on any other file the walk does not reach:
Alembic's migration scripts (`smileback/api/store/migrations/`), which Alembic loads by path.

The rule, per module:

- it has `__all__`: a list or tuple of distinct strings, empty only when the module defines
  and re-exports no public name (a namespace's top package holding just its docstring);
- every name in `__all__` exists in the module;
- every public name *defined* in the module is in `__all__`. Public: no leading underscore.
  Defined: bound by a top-level statement of the module's own source (also inside a top-level
  `if`, `try` or `with`), not by an import:
  - `def` and `class` statements: functions and classes;
  - assignments to an UPPER_CASE name: constants (`PAGE_LATENCY = Histogram(...)`,
    `MAX_RULE_CHARS = 500`);
  - assignments to a CapWords name, `X: TypeAlias = ...` and `type X = ...`: type aliases,
    TypeVars, NewTypes and other class-like names (`Check = Callable[...]`);
  - not type parameters: `T = TypeVar("T")`, `ParamSpec`, `TypeVarTuple` assignments are
    generic plumbing of the module's signatures, whatever their case;
  - module-level objects with a lower-case name (a logger, a FastAPI router, a Typer app) are
    instances, not definitions: they are public only if `__all__` lists them (and then must
    exist). Hide one that is not meant for import behind a leading underscore.
- a package's `__init__` re-exports: every public name it imports from its own package (a
  relative import, or an absolute one under the package's name) is in `__all__`, as are the
  names it defines itself. Imports from elsewhere (the standard library, other packages) are
  not its surface.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path
from types import ModuleType

import pytest

import smileback

PACKAGES = ("common", "ingest", "scorer", "alerts", "api", "cli", "training")
# Python files under the source roots that are not importable modules (see the docstring).
NOT_MODULES = re.compile(r"smileback/api/store/migrations/")
CONSTANT = re.compile(r"^[A-Z][A-Z0-9_]*$")
CAPWORDS = re.compile(r"^[A-Z][A-Za-z0-9]*$")
TYPE_PARAMETERS = {"TypeVar", "ParamSpec", "TypeVarTuple"}
# `type X = ...` statements (Python 3.12+); nothing matches on 3.11.
TYPE_ALIAS: type = getattr(ast, "TypeAlias", type("NoTypeAliasStatement", (), {}))


def _walk() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(smileback.__path__, prefix="smileback."))


MODULES = _walk()


def _roots() -> list[Path]:
    return [Path(p) for p in smileback.__path__]


def _module_of(path: Path, root: Path) -> str:
    parts = ["smileback", *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _source(module: ModuleType) -> ast.Module:
    assert module.__file__ is not None, module.__name__
    return ast.parse(Path(module.__file__).read_text(encoding="utf-8"))


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Top-level statements, with the bodies of top-level if/try/with flattened in."""
    out: list[ast.stmt] = []
    for node in body:
        out.append(node)
        if isinstance(node, ast.If):
            out += _top_level(node.body) + _top_level(node.orelse)
        elif isinstance(node, ast.Try):
            out += _top_level(node.body) + _top_level(node.orelse) + _top_level(node.finalbody)
            for handler in node.handlers:
                out += _top_level(handler.body)
        elif isinstance(node, ast.With):
            out += _top_level(node.body)
    return out


def _is_type_parameter(node: ast.stmt) -> bool:
    value = getattr(node, "value", None)
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in TYPE_PARAMETERS


def _targets(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.Assign):
        names = []
        for target in node.targets:
            elts = target.elts if isinstance(target, ast.Tuple) else [target]
            names += [e.id for e in elts if isinstance(e, ast.Name)]
        return names
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def defined_public(tree: ast.Module) -> set[str]:
    """Public names the module's own top-level statements define (the docstring's rule)."""
    names: set[str] = set()
    for node in _top_level(tree.body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, TYPE_ALIAS) and isinstance(node.name, ast.Name):
            names.add(node.name.id)
        elif _is_type_parameter(node):
            continue
        elif isinstance(node, ast.AnnAssign) and "TypeAlias" in ast.unparse(node.annotation):
            names.update(_targets(node))
        else:
            names.update(n for n in _targets(node) if CONSTANT.match(n) or CAPWORDS.match(n))
    return {n for n in names if not n.startswith("_")}


def reexported_public(tree: ast.Module, *, package: str) -> set[str]:
    """Public names a package's `__init__` imports from its own package."""
    names: set[str] = set()
    for node in _top_level(tree.body):
        if not isinstance(node, ast.ImportFrom):
            continue
        own = node.level > 0 or (node.module or "").startswith(package + ".")
        if own:
            names.update(a.asname or a.name for a in node.names if a.name != "*")
    return {n for n in names if not n.startswith("_")}


def test_every_package_is_found() -> None:
    for package in PACKAGES:
        assert f"smileback.{package}" in MODULES


@pytest.mark.parametrize(
    ("package", "expected"),
    [
        (
            "smileback.alerts",
            {"policy", "notifiers", "outbox", "incidents", "service", "runner", "settings"},
        ),
        ("smileback.api", {"app", "store.writes", "runner"}),
        (
            "smileback.scorer",
            {
                "app", "authors", "baseline", "factory", "handler", "metrics", "offline",
                "pileon", "pipeline", "provision", "reach", "state", "tables", "text_scoring",
                "threads",
            },
        ),
        (
            "smileback.scorer.model",
            {
                "artifact", "card", "errors", "features", "grams", "negativity", "normalise",
                "scorer", "symbols",
            },
        ),
        (
            "smileback.common",
            {"events", "packet", "redaction", "incident_status", "oncall", "rules", "settings"},
        ),
        (
            "smileback.training",
            {"commands", "data", "evaluation", "lexicon", "metrics", "training", "vader"},
        ),
        ("smileback.cli", {"main", "boundary", "demo.run", "demo.scenario"}),
    ],
)  # fmt: skip
def test_every_expected_module_is_there(package: str, expected: set[str]) -> None:
    assert {f"{package}.{name}" for name in expected} <= set(MODULES)


def test_every_source_file_is_checked() -> None:
    """Nothing under the source roots escapes the walk except what NOT_MODULES names."""
    found = {
        _module_of(path, root)
        for root in _roots()
        for path in root.rglob("*.py")
        if not NOT_MODULES.search(path.as_posix())
    }
    assert found - set(MODULES) == set()


@pytest.mark.parametrize("name", MODULES)
def test_all_is_declared_and_every_name_in_it_exists(name: str) -> None:
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    exported = module.__all__
    assert isinstance(exported, list | tuple), name
    assert all(isinstance(n, str) for n in exported), name
    assert len(set(exported)) == len(exported), f"{name}: __all__ lists a name twice"
    missing = [n for n in exported if not hasattr(module, n)]
    assert missing == [], f"{name}: __all__ names what the module lacks"


@pytest.mark.parametrize("name", MODULES)
def test_every_public_name_is_in_all(name: str) -> None:
    module = importlib.import_module(name)
    tree = _source(module)
    public = defined_public(tree)
    if hasattr(module, "__path__"):  # a package: its re-exports are its surface
        public |= reexported_public(tree, package=name)
    exported = set(getattr(module, "__all__", ()))
    assert exported or not public, f"{name} exports nothing"
    unlisted = sorted(public - exported)
    assert unlisted == [], f"{name}: public but not in __all__"


def test_the_rule_on_a_sample() -> None:
    """What counts as defined, as the docstring says: the checks above rest on this."""
    tree = ast.parse(
        "from os import path\n"
        "from .sub import Thing, _hidden\n"
        "import json\n"
        "T = TypeVar('T')\n"
        "LIMIT = 3\n"
        "Alias = dict[str, int]\n"
        "Typed: TypeAlias = int\n"
        "log = make_logger()\n"
        "_PRIVATE = 1\n"
        "if flag:\n"
        "    def late() -> None: ...\n"
        "class Public: ...\n"
        "async def fetch() -> None: ...\n"
    )
    assert defined_public(tree) == {"LIMIT", "Alias", "Typed", "late", "Public", "fetch"}
    assert reexported_public(tree, package="smileback.x") == {"Thing"}
