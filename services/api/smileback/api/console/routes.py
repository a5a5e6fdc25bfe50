"""Routes of the console page: the HTML shell at /console and its static files.

The page holds no data and needs no token: the browser script logs in and calls
/v1 with a bearer token. Every response carries a strict Content-Security-Policy,
so only our own scripts run and nothing is fetched from elsewhere. An incident's
deep link, /console/incidents/<id>, is the same shell: the script reads the id
from the address, so no id ever reaches the HTML. The site's root leads to the console.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from string import Template

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from smileback.api.errors import ApiError

__all__ = ["CONTENT_SECURITY_POLICY", "STATIC_TYPES", "page", "root", "router", "static_file"]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        # The login form is handled by script; a form that submits itself would leak the token.
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

# The only files served, with their types: a fixed list, so no path ever reaches the filesystem.
STATIC_TYPES = {
    "console.js": "text/javascript; charset=utf-8",
    "api.js": "text/javascript; charset=utf-8",
    "dom.js": "text/javascript; charset=utf-8",
    "render.js": "text/javascript; charset=utf-8",
    "labels.js": "text/javascript; charset=utf-8",
    "incident.js": "text/javascript; charset=utf-8",
    "queues.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}

_PACKAGE = "smileback.api.console"

_SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class _Asset:
    body: bytes
    etag: str


@router.get("/")
def root(request: Request) -> Response:
    """A redirect to the console, by a path: never a URL built from the client's Host header."""
    return RedirectResponse(f"{_root_path(request)}/console", status_code=307)


# The handler never sees the id: nothing the address holds can be reflected into the page.
@router.get("/console")
@router.get("/console/incidents/{incident_id}")
def page(request: Request) -> Response:
    """The console's HTML shell, with asset links under this app's root path."""
    static = f"{_root_path(request)}/console/static"
    html = _shell().substitute(static=static)
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={**_SECURITY_HEADERS, "Cache-Control": "no-store"},
    )


@router.get("/console/static/{name}")
def static_file(name: str, request: Request) -> Response:
    """One of the console's static files; revalidated by ETag on every use."""
    media_type = STATIC_TYPES.get(name)
    if media_type is None:
        raise ApiError(status=404, code="not_found", message=f"no console file {name!r}")
    asset = _asset(name)
    headers = {**_SECURITY_HEADERS, "Cache-Control": "no-cache", "ETag": asset.etag}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=media_type, headers=headers)


def _root_path(request: Request) -> str:
    """Where a proxy mounts this app ("" at the host's root), as the ASGI server was told."""
    return str(request.scope.get("root_path", ""))


@cache
def _shell() -> Template:
    """The HTML template, read once from the package."""
    text = files(_PACKAGE).joinpath("templates", "console.html").read_text(encoding="utf-8")
    return Template(text)


@cache
def _asset(name: str) -> _Asset:
    """A static file's bytes and ETag, read once from the package."""
    body = files(_PACKAGE).joinpath("static", name).read_bytes()
    return _Asset(body=body, etag=f'"{hashlib.sha256(body).hexdigest()[:16]}"')
