"""One JSON POST with the failure rules every HTTP notifier shares."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping

import httpx

from smileback.alerts.notifiers.base import NotifyError
from smileback.common.errors import ConfigError

__all__ = ["check_url", "post_json"]

_RETRY_STATUSES = frozenset({408, 425, 429})


def check_url(url: str, *, what: str) -> str:
    """The URL's host; ConfigError (naming `what`, never the URL) when it is not http(s)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ConfigError(f"{what} is not a valid URL") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError(f"{what} must be http(s)://host/...")
    return parsed.host


def post_json(
    client: httpx.Client,
    *,
    name: str,
    host: str,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    timeout_s: float,
    explain: Callable[[httpx.Response], str] | None = None,
) -> httpx.Response:
    """POST `body`; NotifyError on no response, 408/425/429/5xx (retry) or another non-2xx.

    `explain` may add the receiver's own reason to a permanent failure (never the body sent).
    """
    try:
        response = client.post(url, content=body, headers=dict(headers), timeout=timeout_s)
    except httpx.HTTPError as exc:
        # `from None`: the chained error would repeat the full URL, which may hold a token.
        raise NotifyError(f"{name} {host}: {type(exc).__name__} (no response)") from None
    if response.is_success:
        return response
    status = response.status_code
    message = f"{name} {host}: HTTP {status} {response.reason_phrase}"
    if status in _RETRY_STATUSES or status >= 500:
        raise NotifyError(message, retry_after_s=_retry_after(response))
    reason = explain(response) if explain is not None else ""
    raise NotifyError(f"{message}: {reason}" if reason else message, permanent=True)


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date), if any."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
