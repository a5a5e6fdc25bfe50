"""The console page: served as HTML with a strict CSP, its static files with their right types."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from smileback.api.app import create_app
from smileback.api.console import CONTENT_SECURITY_POLICY
from smileback.api.console.routes import STATIC_TYPES
from tests.support.api_fixtures import TOKEN

CONSOLE = files("smileback.api.console")
STATIC = Path(str(CONSOLE.joinpath("static")))
EXPECTED_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


def _directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def test_console_serves_html_with_a_strict_csp(client: TestClient) -> None:
    response = client.get("/console")  # no token: the shell holds no data
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    policy = _directives(response.headers["content-security-policy"])
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["form-action"] == "'none'"
    assert "unsafe" not in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    assert '<script type="module" src="/console/static/console.js"></script>' in html
    assert '<link rel="stylesheet" href="/console/static/console.css">' in html
    assert "${" not in html
    assert "://" not in html
    assert "<script>" not in html
    assert " style=" not in html


def test_console_links_follow_the_root_path(engine: Engine) -> None:
    app = create_app(engine=engine, api_token=TOKEN)
    with TestClient(app, root_path="/smileback") as client:
        html = client.get("/console").text
    assert 'src="/smileback/console/static/console.js"' in html


def test_the_page_has_labelled_fields_and_headings(client: TestClient) -> None:
    html = client.get("/console").text
    for field in ("token", "on-behalf-of", "owner", "takeover-reason", "note", "status-filter"):
        assert f'<label for="{field}"' in html
        assert f'id="{field}"' in html
    assert 'id="responder"' not in html  # the key says who acts: no name to type
    assert html.count("<h2") >= 4
    assert "<h1>" in html
    assert 'type="password"' in html  # the token is never shown on screen


@pytest.mark.parametrize("name", sorted(STATIC_TYPES))
def test_static_files_have_their_content_type(client: TestClient, name: str) -> None:
    response = client.get(f"/console/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == EXPECTED_TYPES[Path(name).suffix]
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content == (STATIC / name).read_bytes()
    etag = response.headers["etag"]
    again = client.get(f"/console/static/{name}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize("path", ["nope.js", "..%2Fapp.py", "%2E%2E%2Froutes.py", "console.html"])
def test_unknown_static_files_are_404(client: TestClient, path: str) -> None:
    response = client.get(f"/console/static/{path}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_every_file_the_console_loads_is_served() -> None:
    on_disk = {path.name for path in STATIC.iterdir() if path.is_file()}
    assert on_disk == set(STATIC_TYPES)
    imported = set()
    for script in STATIC.glob("*.js"):
        imported |= set(re.findall(r'from "\./([\w.-]+)"', script.read_text()))
    assert imported == {"api.js", "dom.js", "incident.js", "labels.js", "queues.js", "render.js"}
    assert imported <= set(STATIC_TYPES)


@pytest.mark.parametrize("name", sorted(n for n in STATIC_TYPES if n.endswith((".js", ".css"))))
def test_scripts_and_styles_stay_local_and_never_parse_html(name: str) -> None:
    text = (STATIC / name).read_text()
    assert "://" not in text  # no CDN, no fonts, no remote images
    assert "@import" not in text
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in text, f"{name} uses {sink}"


def test_the_token_lives_in_session_storage_only() -> None:
    api = (STATIC / "api.js").read_text()
    scripts = "".join(path.read_text() for path in STATIC.glob("*.js"))
    assert "sessionStorage.setItem(TOKEN_KEY, token)" in api
    assert "Authorization: `Bearer ${" in api
    assert "localStorage" not in scripts
    assert "document.cookie" not in scripts
    assert 'credentials: "omit"' in api


def test_the_console_is_not_in_the_openapi_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith("/console")]


def test_an_incident_deep_link_serves_the_same_shell_with_the_same_headers(
    client: TestClient,
) -> None:
    console = client.get("/console")
    deep = client.get("/console/incidents/inc_0123456789abcdef0123")  # no token either
    assert deep.status_code == 200
    assert deep.text == console.text
    for header in (
        "content-type",
        "content-security-policy",
        "x-content-type-options",
        "referrer-policy",
        "x-frame-options",
        "cross-origin-opener-policy",
        "cache-control",
    ):
        assert deep.headers[header] == console.headers[header], header
    assert deep.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "hostile",
    [
        "%3Cscript%3Epwn()%3C%5Cscript%3E",
        "%22%3E%3Cimg%20src%3Dx%20onerror%3Dpwn()%3E",
        "pwn%22",
        "pwn%27",
    ],
)
def test_a_hostile_incident_id_is_never_reflected(client: TestClient, hostile: str) -> None:
    response = client.get(f"/console/incidents/{hostile}")
    assert response.status_code == 200
    assert response.text == client.get("/console").text  # the id is nowhere in the body
    assert "pwn" not in response.text


@pytest.mark.parametrize("path", ["/console/incidents/", "/console/incidents/a/b", "/incidents/x"])
def test_other_console_paths_are_404(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_the_root_redirects_to_the_console_by_a_path_whatever_the_host(
    client: TestClient,
) -> None:
    response = client.get("/", headers={"Host": "evil.example"}, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/console"
    assert "evil" not in response.text


def test_the_root_redirect_follows_the_root_path(engine: Engine) -> None:
    app = create_app(engine=engine, api_token=TOKEN)
    with TestClient(app, root_path="/smileback") as client:
        response = client.get("/", headers={"Host": "evil.example"}, follow_redirects=False)
    assert response.headers["location"] == "/smileback/console"
