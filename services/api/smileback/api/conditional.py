"""Conditional GETs: an answer carries an ETag of its body, and a client that sends it back
in If-None-Match gets 304 Not Modified while nothing changed.

The console polls its lists and the open incident this way: an unchanged answer costs no
body and no redraw. The tag is a hash of the JSON itself, so it changes with anything the
answer shows and needs no version kept in the store.
"""

from __future__ import annotations

import hashlib

from fastapi import Request, Response
from pydantic import BaseModel

__all__ = ["NOT_MODIFIED", "conditional_json", "etag_of"]

# The `responses` entry of a route that answers conditional GETs.
NOT_MODIFIED: dict[int | str, dict[str, object]] = {
    304: {"description": "Not Modified: the If-None-Match ETag is still the answer's"}
}


def etag_of(body: bytes) -> str:
    """A strong ETag for `body`."""
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def conditional_json(request: Request, model: BaseModel) -> Response:
    """`model` as JSON with its ETag, or 304 when the request's If-None-Match names it."""
    body = model.model_dump_json().encode("utf-8")
    etag = etag_of(body)
    # The API's answers are never cached by the browser (no-store): a client keeps the last
    # answer itself and sends its tag back.
    headers = {"ETag": etag}
    wanted = _tags(request.headers.get("if-none-match", ""))
    if etag in wanted or "*" in wanted:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _tags(header: str) -> set[str]:
    """The entity tags an If-None-Match header lists (`*` matches any answer)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
