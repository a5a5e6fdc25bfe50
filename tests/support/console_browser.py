"""The console in headless Chromium: the sites it is served from, the browser and a fresh tab
(fixtures, registered for tests/integration by its conftest), logging in, and the
screenshots of the docs.

Every browser test runs against both ways the console is served (tests/support/consoles.py):
`smileback demo` on SQLite, and `smileback api` on PostgreSQL with the scenario's scored
mentions and incident events arriving through Kafka.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.consoles import ConsoleSite, api_console, demo_console

__all__ = [
    "DEMO_TOKEN",
    "RESPONDER",
    "SCREENSHOTS",
    "browser",
    "fresh_tab",
    "log_in",
    "page",
    "screenshot",
    "site",
]

DEMO_TOKEN = "console-demo-token-8e1f4c2a9b7d3065"
RESPONDER = "sam"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# The folder scripts/screenshots.sh has the tests save the docs' screenshots in; unset: none.
SCREENSHOTS = "SMILEBACK_SCREENSHOTS"


@pytest.fixture(scope="module", params=["demo", "api-on-postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConsoleSite]:
    """The console served by `smileback demo`, or by `smileback api` on PostgreSQL and Kafka."""
    workdir = tmp_path_factory.mktemp(request.param)
    if request.param == "demo":
        running = demo_console(token=DEMO_TOKEN, workdir=workdir)
    else:
        running = api_console(
            kafka_bootstrap=request.getfixturevalue("kafka_bootstrap"),
            postgres_url=request.getfixturevalue("postgres_url"),
            workdir=workdir,
        )
    with running as served:
        listed = served.get("/v1/incidents", status="open").json()["items"]
        assert [item["id"] for item in listed] == [served.incident_id], served.process.tail()
        assert listed[0]["author_handle"].lstrip("@") == served.author
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, launched once for the module."""
    assert Path(CHROMIUM).exists(), "needs Debian's chromium package (scripts/test.sh installs it)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@contextmanager
def fresh_tab(browser: Browser, site: ConsoleSite, **context_options: Any) -> Iterator[Page]:
    """A tab in a context of its own (own sessionStorage); fails on any script error."""
    context = browser.new_context(**context_options)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.set_default_timeout(10_000)
    yield tab
    context.close()
    assert errors == [], site.process.tail()


@pytest.fixture
def page(browser: Browser, site: ConsoleSite) -> Iterator[Page]:
    """A fresh tab at laptop size; fails the test on any script error."""
    with fresh_tab(browser, site, viewport={"width": 1366, "height": 860}) as tab:
        yield tab


def log_in(page: Page, site: ConsoleSite, *, token: str, path: str = "/console") -> None:
    """Open `path` and log in with `token` (an admin's acts for RESPONDER)."""
    response = page.goto(f"{site.base}{path}")
    assert response is not None
    assert response.ok
    page.get_by_label("API token").fill(token)
    ping = httpx.get(f"{site.base}/v1/ping", headers={"Authorization": f"Bearer {token}"})
    if ping.status_code == 200 and ping.json()["responder"] is None:  # an admin: say for whom
        page.get_by_label("Acting for").fill(RESPONDER)
    page.get_by_role("button", name="Log in").click()


def screenshot(page: Page, name: str, *, width: int | None = None, full_page: bool = False) -> None:
    """Save the page as `<$SMILEBACK_SCREENSHOTS>/<name>.png`, at `width` pixels when given
    (the viewport is put back after); nothing when the variable is unset."""
    folder = os.environ.get(SCREENSHOTS)
    if not folder:
        return
    viewport = page.viewport_size
    if width is not None and viewport is not None:
        page.set_viewport_size({"width": width, "height": viewport["height"]})
    page.screenshot(path=Path(folder) / f"{name}.png", full_page=full_page)
    if width is not None and viewport is not None:
        page.set_viewport_size(viewport)
