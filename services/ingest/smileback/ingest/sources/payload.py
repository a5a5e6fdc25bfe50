"""Typed reads from decoded JSON: each wrong type names its path, so a dead-lettered event
says which field was wrong."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

__all__ = ["Fields", "PayloadError", "decode_json_object"]


class PayloadError(Exception):
    """A payload is not what its source documents; the message names the field."""


def decode_json_object(raw: bytes, *, what: str) -> Fields:
    """Strict UTF-8 and JSON, and an object at the top: `what` names it in the error."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(f"invalid UTF-8 at byte {exc.start}") from exc
    try:
        data = json.loads(text)
    except RecursionError as exc:
        raise PayloadError("invalid JSON: nested too deeply") from exc
    except ValueError as exc:
        raise PayloadError(f"invalid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise PayloadError(f"{what}: expected a JSON object, got {_kind(data)}")
    return Fields(data, path=what)


class Fields:
    """One JSON object and where it sits in its event (`path`, for error messages)."""

    def __init__(self, data: dict[str, Any], *, path: str) -> None:
        self._data = data
        self.path = path

    def has(self, key: str) -> bool:
        """True when `key` is present and not null."""
        return self._data.get(key) is not None

    def string(self, key: str) -> str:
        """A required string."""
        value = self._data.get(key)
        if not isinstance(value, str):
            raise self._wrong(key, "a string", value)
        return value

    def opt_string(self, key: str) -> str | None:
        """A string, or None when absent or null."""
        return self.string(key) if self.has(key) else None

    def boolean(self, key: str, *, default: bool) -> bool:
        """A boolean, `default` when absent or null."""
        value = self._data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self._wrong(key, "a boolean", value)
        return value

    def integer(self, key: str) -> int:
        """A required integer (a boolean is not one)."""
        value = self._data.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._wrong(key, "an integer", value)
        return value

    def count(self, key: str) -> int:
        """A counter: 0 when absent; below 0 read as 0, since servers have sent -1 after
        a race and a wrong counter is no reason to lose the post."""
        return max(self.integer(key), 0) if self.has(key) else 0

    def obj(self, key: str) -> Fields:
        """A required nested object."""
        value = self._data.get(key)
        if not isinstance(value, dict):
            raise self._wrong(key, "an object", value)
        return Fields(value, path=f"{self.path}.{key}")

    def opt_obj(self, key: str) -> Fields | None:
        """A nested object, or None when absent or null."""
        return self.obj(key) if self.has(key) else None

    def objects(self, key: str) -> list[Fields]:
        """A list of objects, empty when absent or null."""
        value = self._data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._wrong(key, "a list", value)
        found = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise self._wrong(f"{key}[{index}]", "an object", item)
            found.append(Fields(item, path=f"{self.path}.{key}[{index}]"))
        return found

    def strings(self, key: str) -> list[str]:
        """A list of strings, empty when absent or null."""
        value = self._data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._wrong(key, "a list of strings", value)
        return list(value)

    def time(self, key: str) -> datetime:
        """A required ISO 8601 time with its UTC offset (or "Z")."""
        value = self.string(key)
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise self._wrong(key, "an ISO 8601 time", value) from None
        if parsed.tzinfo is None:
            raise self._wrong(key, "a time with its UTC offset", value)
        return parsed

    def opt_time(self, key: str) -> datetime | None:
        """A time as `time`, or None when absent or null."""
        return self.time(key) if self.has(key) else None

    def _wrong(self, key: str, expected: str, value: object) -> PayloadError:
        shown = repr(value) if isinstance(value, str) and len(value) <= 40 else _kind(value)
        return PayloadError(f"{self.path}.{key}: expected {expected}, got {shown}")


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )
