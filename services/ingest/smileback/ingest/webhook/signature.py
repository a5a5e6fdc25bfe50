"""Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256>` of
"<webhook-id>.<webhook-timestamp>.<body>", keyed with the base64 part of `whsec_<base64>`.

Pure: the clock is passed in. A message is refused when a header is missing, its timestamp
is more than TOLERANCE from now either way, or none of its space-separated `v1,` signatures
matches (compared in constant time).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from smileback.common.errors import ConfigError

__all__ = ["TOLERANCE", "SeenMessages", "SignatureError", "WebhookKey", "verify"]

TOLERANCE = timedelta(minutes=5)
_PREFIX = "whsec_"


class SignatureError(Exception):
    """Why a message's signature is not accepted (safe to tell the sender)."""


@dataclass(frozen=True, repr=False)
class WebhookKey:
    """The HMAC key of a `whsec_<base64>` secret (never shown in a repr)."""

    key: bytes

    @classmethod
    def parse(cls, secret: str) -> WebhookKey:
        """The key of `whsec_<base64>` (the prefix is optional); ConfigError otherwise."""
        encoded = secret.removeprefix(_PREFIX)
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) < 16:
            raise ConfigError(
                "SMILEBACK_INGEST_WEBHOOK_SECRET: must be whsec_ and at least 16 bytes in base64"
            )
        return cls(key)

    def sign(self, *, msg_id: str, timestamp: int, body: bytes) -> str:
        """The `v1,<base64>` signature of a message."""
        signed = f"{msg_id}.{timestamp}.".encode() + body
        digest = hmac.new(self.key, signed, hashlib.sha256).digest()
        return "v1," + base64.b64encode(digest).decode("ascii")

    def __repr__(self) -> str:
        return "WebhookKey(**********)"


def verify(
    *, key: WebhookKey, headers: Mapping[str, str], body: bytes, now: datetime
) -> tuple[str, int]:
    """The message's (webhook-id, timestamp) when its signature holds; SignatureError if not."""
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (msg_id and stamp and signatures):
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not whole seconds since the epoch") from None
    age = now.timestamp() - timestamp
    if abs(age) > TOLERANCE.total_seconds():
        raise SignatureError("webhook-timestamp is more than 5 minutes from now")
    expected = key.sign(msg_id=msg_id, timestamp=timestamp, body=body)
    for candidate in signatures.split():
        if hmac.compare_digest(candidate.encode(), expected.encode()):
            return msg_id, timestamp
    raise SignatureError("no webhook-signature matches")


class SeenMessages:
    """Webhook ids taken within the tolerance window, so a replayed message is refused.

    An id older than the window is forgotten: its timestamp alone refuses it then. At most
    `capacity` ids are kept; past that the oldest are forgotten first.
    """

    def __init__(self, *, capacity: int = 100_000) -> None:
        self._capacity = capacity
        self._ids: OrderedDict[str, int] = OrderedDict()

    def claim(self, msg_id: str, *, timestamp: int, now: datetime) -> bool:
        """True when `msg_id` is new (it is then remembered); False for a replay."""
        horizon = now.timestamp() - TOLERANCE.total_seconds()
        while self._ids and next(iter(self._ids.values())) < horizon:
            self._ids.popitem(last=False)
        if msg_id in self._ids:
            return False
        self._ids[msg_id] = timestamp
        while len(self._ids) > self._capacity:
            self._ids.popitem(last=False)
        return True

    def release(self, msg_id: str) -> None:
        """Forget `msg_id`: its message was not accepted, so the sender may retry it."""
        self._ids.pop(msg_id, None)

    def __len__(self) -> int:
        return len(self._ids)
