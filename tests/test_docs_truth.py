"""What README.md and docs/*.md name exists in the code.

Four checks, each over every document:
- every `SMILEBACK_*` variable (a name followed by `*` is a family, not checked) is a field of
  a pydantic-settings class of `smileback.common.settings` or a service's `settings` module,
  or one of the few variables read outside them (`READ_ELSEWHERE`), each of which must
  still be read by the file named for it;
- every `smileback <command> [<subcommand>]` at the start of a command in a code block or an
  inline code span (after `$`, `|`, `&&`, `;`, an env assignment, or as `.venv/bin/smileback`)
  is a command of the CLI's Typer app, and a subcommand of it when the command is a group;
- every `make <target>` in code is a target of the Makefile;
- in docs/api.md, every status code written in a row of the endpoints table is among the
  OpenAPI responses of each route that row names (its method and path, path parameters
  compared by position), every such route exists, and each `<status> \\`<code>\\`` of the
  error list is a status some route documents and a code the API's source uses;
- every relative link leads to a file of the repository and, with `#anchor`, to a heading
  of that file (GitHub's anchors: lower case, punctuation dropped, `-n` on repeats).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi import FastAPI
from pydantic_settings import BaseSettings
from starlette.routing import Match

from smileback.api.app import ApiOptions, create_app
from smileback.api.store import make_engine
from smileback.cli.main import app as cli_app

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# Variables the documents name that are not settings, and the file that reads each.
READ_ELSEWHERE = {
    "SMILEBACK_DEMO_TOKEN": "services/cli/smileback/cli/demo/run.py",
    "SMILEBACK_TWEETEVAL_DIR": "tools/training/smileback/training/data.py",
    "SMILEBACK_TEST_KAFKA_BOOTSTRAP": "tests/support/infra.py",
    "SMILEBACK_TEST_DATABASE_URL": "tests/support/infra.py",
    "SMILEBACK_DB_PASSWORD": "docker-compose.yml",
    "SMILEBACK_SCREENSHOTS": "tests/support/console_browser.py",
}

_VARIABLE = re.compile(r"SMILEBACK_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_]*\*)")
_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
_SPAN = re.compile(r"`([^`\n]+)`")
_WORD = re.compile(r"[a-z][a-z0-9-]*")
_ASSIGNMENT = re.compile(r"[A-Z_][A-Z0-9_]*=\S*")
_COMMAND_STARTS = {"$", "|", "&&", "||", ";", "(", "exec", "time"}


def settings_variables() -> set[str]:
    """The environment variable of every field of the settings classes."""
    modules = [ROOT / "libs/common/smileback/common/settings.py"]
    modules += sorted(ROOT.glob("services/*/smileback/*/settings.py"))
    for path in modules:
        importlib.import_module(".".join(path.relative_to(path.parents[2]).with_suffix("").parts))
    names = set()
    for cls in _subclasses(BaseSettings):
        if not cls.__module__.startswith("smileback."):
            continue
        prefix = cls.model_config.get("env_prefix", "")
        names |= {f"{prefix}{field}".upper() for field in cls.model_fields}
    return names


def _subclasses(cls: type) -> Iterator[type[BaseSettings]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def unknown_variables(text: str, known: set[str]) -> set[str]:
    """The SMILEBACK_ variables `text` names that are not in `known`."""
    return set(_VARIABLE.findall(text)) - known


def code_lines(text: str) -> list[str]:
    """The lines of the fenced code blocks of `text`, then its inline code spans."""
    blocks = [line for block in _FENCE.findall(text) for line in block.splitlines()]
    prose = _FENCE.sub("", text)
    return blocks + _SPAN.findall(prose)


def cli_invocations(lines: Iterable[str]) -> set[tuple[str, ...]]:
    """The words after `smileback` where a line runs it: up to a command and a subcommand."""
    found = set()
    for line in lines:
        tokens = line.split()
        for i, token in enumerate(tokens):
            if token != "smileback" and not token.endswith("/smileback"):
                continue
            before = tokens[i - 1] if i else None
            if before is not None and not (
                before in _COMMAND_STARTS or _ASSIGNMENT.fullmatch(before)
            ):
                continue
            words = []
            for word in tokens[i + 1 : i + 3]:
                if not _WORD.fullmatch(word):
                    break
                words.append(word)
            if words:
                found.add(tuple(words))
    return found


def unknown_invocations(invocations: Iterable[tuple[str, ...]], root: Any) -> set[str]:
    """The invocations that name no command of the click group `root`, or no subcommand of a
    command that is a group (one with `commands`)."""
    unknown = set()
    for words in invocations:
        command = root.commands.get(words[0])
        group = getattr(command, "commands", None)
        if command is None or (group is not None and len(words) > 1 and words[1] not in group):
            unknown.add(" ".join(words))
    return unknown


def make_targets(makefile: str) -> set[str]:
    """The targets a Makefile defines."""
    return set(re.findall(r"^([a-z][\w-]*):", makefile, re.MULTILINE))


def make_invocations(lines: Iterable[str]) -> set[str]:
    """The targets a line asks `make` for."""
    found = set()
    for line in lines:
        tokens = line.split()
        for i, token in enumerate(tokens):
            if token != "make" or (i and tokens[i - 1] not in _COMMAND_STARTS):
                continue
            for word in tokens[i + 1 :]:
                if not _WORD.fullmatch(word):
                    break
                found.add(word)
    return found


_METHODS = "GET|POST|PUT|DELETE|PATCH"
_ROUTE = re.compile(rf"`((?:{_METHODS})(?:/(?:{_METHODS}))*) (/[^`\s]*)`")
# A number after a digit, a separator or a dash (`1\u2013500`) is a quantity, not a status.
_STATUS = re.compile("(?<![\\d,.\u2013-])\\b([2-5]\\d\\d)\\b")
_ERROR = re.compile(r"\b([45]\d\d) `([a-z_]+)`")


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def endpoint_rows(text: str) -> list[tuple[list[tuple[str, str]], set[int]]]:
    """Each endpoints-table row of `text`: its (method, path) routes and its status codes."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("| `"):
            continue
        first = line[2:].partition(" | ")[0]
        routes = [
            (method, path)
            for methods, path in _ROUTE.findall(first)
            for method in methods.split("/")
        ]
        if routes:
            rows.append((routes, {int(code) for code in _STATUS.findall(line)}))
    return rows


def _served(app: FastAPI, method: str, path: str) -> bool:
    """Whether `app` has a route for `method` on `path` (each path parameter given as `x`)."""
    scope = {
        "type": "http",
        "method": method,
        "path": re.sub(r"\{[^}]*\}", "x", path),
        "root_path": "",
        "headers": [],
        "query_string": b"",
    }
    return any(route.matches(scope)[0] == Match.FULL for route in app.router.routes)


def undocumented_statuses(
    rows: Iterable[tuple[list[tuple[str, str]], set[int]]],
    app: FastAPI,
    responses: dict[tuple[str, str], set[int]],
) -> set[str]:
    """Routes `app` does not serve, and statuses a route's OpenAPI responses do not hold.

    `responses` is keyed by (method, path with its parameters as `{}`)."""
    wrong = set()
    for routes, statuses in rows:
        for method, path in routes:
            if not _served(app, method, path):
                wrong.add(f"{method} {path}: no such route")
                continue
            declared = responses.get((method, _shape(path)), set())
            wrong |= {f"{method} {path}: {status}" for status in statuses - declared}
    return wrong


_LINK = re.compile(r"\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6} (.+)$", re.MULTILINE)


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives the headings of `text` (code blocks left out)."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for title in _HEADING.findall(_FENCE.sub("", text)):
        base = re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
        repeats = seen.get(base, 0)
        found.add(base if repeats == 0 else f"{base}-{repeats}")
        seen[base] = repeats + 1
    return found


def broken_links(doc: Path, text: str) -> set[str]:
    """The relative links of `text` (the file `doc`) whose file or heading does not exist."""
    broken = set()
    for target in _LINK.findall(_FENCE.sub("", text)):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        if not path:
            exists, headings = True, anchors(text)
        else:
            linked = (doc.parent / path).resolve()
            exists = linked.exists()
            headings = anchors(linked.read_text(encoding="utf-8")) if anchor and exists else set()
        if not exists or (anchor and anchor not in headings):
            broken.add(target)
    return broken


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in DOCS}


@pytest.fixture(scope="module")
def api() -> FastAPI:
    """The API with every optional route on (`/docs` too)."""
    return create_app(engine=make_engine("sqlite://"), options=ApiOptions(docs=True))


@pytest.fixture(scope="module")
def responses(api: FastAPI) -> dict[tuple[str, str], set[int]]:
    """The statuses of each route's OpenAPI responses, by (method, path shape)."""
    return {
        (method.upper(), _shape(path)): {int(status) for status in operation["responses"]}
        for path, operations in api.openapi()["paths"].items()
        for method, operation in operations.items()
    }


def test_every_documented_variable_is_a_setting(texts: dict[str, str]) -> None:
    known = settings_variables()
    assert "SMILEBACK_API_PORT" in known
    assert "SMILEBACK_KAFKA_BOOTSTRAP" in known
    for name, reader in READ_ELSEWHERE.items():
        assert name not in known, f"{name} is a setting now: drop it from READ_ELSEWHERE"
        assert name in (ROOT / reader).read_text(encoding="utf-8"), f"{reader} reads no {name}"
    unknown = {
        f"{doc}: {variable}"
        for doc, text in texts.items()
        for variable in unknown_variables(text, known | set(READ_ELSEWHERE))
    }
    assert unknown == set()


def test_a_made_up_variable_is_found() -> None:
    text = (
        "Set `SMILEBACK_API_PORT` and `SMILEBACK_API_PORTT`; `SMILEBACK_KAFKA_SASL_*` are a family."
    )
    assert unknown_variables(text, settings_variables()) == {"SMILEBACK_API_PORTT"}


def test_every_documented_command_exists(texts: dict[str, str]) -> None:
    root = typer.main.get_command(cli_app)
    invocations = {words for text in texts.values() for words in cli_invocations(code_lines(text))}
    assert ("ingest", "webhook") in invocations
    assert ("demo",) in invocations
    assert unknown_invocations(invocations, root) == set()


def test_a_made_up_command_or_subcommand_is_found() -> None:
    root = typer.main.get_command(cli_app)
    text = """
```sh
$ smileback ingest replay -i x.jsonl | smileback rules check rules.yaml
SMILEBACK_API_PORT=1 .venv/bin/smileback ingest twitter --fast
smileback keys revoke 3f9c0a1b2c4d && smileback frobnicate
kubectl -n smileback create secret generic smileback-secrets
```
Prose about `smileback api` and `smileback.common.settings`.
"""
    invocations = cli_invocations(code_lines(text))
    assert invocations == {
        ("ingest", "replay"),
        ("rules", "check"),
        ("ingest", "twitter"),
        ("keys", "revoke"),
        ("frobnicate",),
        ("api",),
    }
    assert unknown_invocations(invocations, root) == {"ingest twitter", "frobnicate"}


def test_every_documented_make_target_exists(texts: dict[str, str]) -> None:
    targets = make_targets((ROOT / "Makefile").read_text(encoding="utf-8"))
    asked = {target for text in texts.values() for target in make_invocations(code_lines(text))}
    assert {"demo", "test"} <= asked
    assert asked - targets == set()


def test_a_made_up_make_target_is_found() -> None:
    targets = make_targets("demo:\n\tx\nkafka-stop: jars\n\ty\n")
    asked = make_invocations(["make demo   # run it", "make kafka-stop deploy", "we make things"])
    assert asked == {"demo", "kafka-stop", "deploy"}
    assert asked - targets == {"deploy"}


def test_every_status_next_to_an_endpoint_is_in_its_openapi_responses(
    texts: dict[str, str], api: FastAPI, responses: dict[tuple[str, str], set[int]]
) -> None:
    rows = endpoint_rows(texts["docs/api.md"])
    assert len(rows) > 15, "docs/api.md lost its endpoints table"
    assert any(409 in statuses for _, statuses in rows)
    assert undocumented_statuses(rows, api, responses) == set()


def test_every_error_status_and_code_of_the_api_exists(
    texts: dict[str, str], responses: dict[tuple[str, str], set[int]]
) -> None:
    declared = set().union(*responses.values())
    source = "".join(
        path.read_text(encoding="utf-8") for path in (ROOT / "services/api").rglob("*.py")
    )
    errors = _ERROR.findall(texts["docs/api.md"])
    assert len(errors) >= 8, "docs/api.md lost its list of error codes"
    assert {status for status, _ in errors if int(status) not in declared} == set()
    assert {code for _, code in errors if f'"{code}"' not in source} == set()


def test_a_status_a_route_does_not_answer_is_found(
    api: FastAPI, responses: dict[tuple[str, str], set[int]]
) -> None:
    text = "\n".join(
        [
            "| `POST /v1/incidents/{id}/acknowledge` | respond | 409 naming the owner; 418 never |",
            "| `GET /v1/mentions` | read | `limit` (1\u2013500, default 50) |",
            "| `GET/DELETE /v1/nowhere/{x}` | read | 200 |",
        ]
    )
    rows = endpoint_rows(text)
    assert rows[1] == ([("GET", "/v1/mentions")], set())
    assert undocumented_statuses(rows, api, responses) == {
        "POST /v1/incidents/{id}/acknowledge: 418",
        "GET /v1/nowhere/{x}: no such route",
        "DELETE /v1/nowhere/{x}: no such route",
    }


def test_every_relative_link_leads_somewhere(texts: dict[str, str]) -> None:
    broken = {
        f"{doc}: {link}" for doc, text in texts.items() for link in broken_links(ROOT / doc, text)
    }
    assert broken == set()


def test_a_link_to_no_file_or_no_heading_is_found(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other\n\n## Settings\n\n### Settings\n")
    doc = tmp_path / "doc.md"
    text = (
        "## The lock: one voice\n[a](other.md#settings-1) [b](other.md#settings-2) "
        "[c](#the-lock-one-voice) [d](#the-lock) [e](gone.md) [f](https://x.example/#y)\n"
        "```\n# not a heading\n```\n[g](#not-a-heading)\n"
    )
    assert broken_links(doc, text) == {
        "other.md#settings-2",
        "#the-lock",
        "gone.md",
        "#not-a-heading",
    }
