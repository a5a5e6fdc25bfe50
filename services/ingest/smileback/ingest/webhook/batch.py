"""The body of `POST /v1/ingest`: one Mention object or a JSON array of them.

Pure. Every refusal is a `RefusedError` carrying the HTTP status and a reason precise enough
to fix the request: which item, which field.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from smileback.common.events import Mention

__all__ = ["MAX_BODY_BYTES", "MAX_ITEMS", "RefusedError", "parse_batch"]

MAX_BODY_BYTES = 1_000_000
MAX_ITEMS = 500


class RefusedError(Exception):
    """A request the webhook answers with `status` and `reason` (and per-field `errors`)."""

    def __init__(self, status: int, reason: str, errors: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.errors = errors


def parse_batch(body: bytes, *, now: datetime) -> list[Mention]:
    """The body's mentions, their missing times filled with `now`; RefusedError if it has none."""
    if len(body) > MAX_BODY_BYTES:
        raise RefusedError(413, f"body over {MAX_BODY_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RefusedError(400, f"invalid UTF-8 at byte {exc.start}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise RefusedError(400, f"malformed JSON: {exc}") from None
    items: list[Any] = data if isinstance(data, list) else [data]
    if len(items) > MAX_ITEMS:
        raise RefusedError(413, f"{len(items)} mentions in one batch, at most {MAX_ITEMS}")
    if not items:
        raise RefusedError(422, "an empty batch")
    mentions: list[Mention] = []
    errors: list[str] = []
    for index, item in enumerate(items):
        where = f"[{index}]" if isinstance(data, list) else ""
        try:
            mentions.append(Mention.model_validate(item))
        except ValidationError as exc:
            errors.extend(_described(where, exc))
    if errors:
        raise RefusedError(422, "not a mention: " + "; ".join(errors), tuple(errors))
    return [
        m.model_copy(update={"created_at": m.created_at or now, "ingested_at": now})
        for m in mentions
    ]


def _described(where: str, exc: ValidationError) -> list[str]:
    out = []
    for error in exc.errors(include_url=False):
        path = ".".join(str(part) for part in error["loc"])
        field = f"{where}.{path}" if where and path else where or path or "body"
        out.append(f"{field}: {error['msg']}")
    return out
