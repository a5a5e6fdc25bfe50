"""The token check at the door: every /v1 request is authenticated before its body is read.

FastAPI reads and parses a body before it runs a route's dependencies, so a check made
there lets anyone make the API parse (and answer 400, 413 or 422 about) what they send.
This ASGI layer checks the bearer token first, throttles clients whose tokens keep
failing, and leaves the principal in the request's state for the scope and per-key rate
checks in `deps`.
"""

from __future__ import annotations

import hmac
import ipaddress
import math
from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from smileback.api.auth import BOOTSTRAP_KEY_ID, Principal, RateLimiter, key_id_of, token_matches
from smileback.api.auth import Scope as KeyScope
from smileback.api.context import ApiContext
from smileback.api.errors import error_response
from smileback.api.store.keys import find_key

__all__ = ["PRINCIPAL", "AuthGate", "IpNetwork", "client_address", "identify", "is_guarded"]

PRINCIPAL = "smileback.principal"  # the key of the admitted Principal in the request state

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def is_guarded(path: str) -> bool:
    """Whether `path` needs a token (the /v1 API; not health, metrics, docs or the console)."""
    return path == "/v1" or path.startswith("/v1/")


def identify(context: ApiContext, token: str) -> Principal | str:
    """The principal holding `token`, or why it is refused."""
    bootstrap = context.bootstrap_token
    # compare_digest: the time taken does not tell how much of a guess was right.
    if bootstrap is not None and hmac.compare_digest(token.encode("utf-8"), bootstrap):
        return Principal(key_id=BOOTSTRAP_KEY_ID, name=BOOTSTRAP_KEY_ID, scope=KeyScope.ADMIN)
    key_id = key_id_of(token)
    found = None
    if key_id is not None:
        with context.sessions() as session:
            found = find_key(session=session, key_id=key_id)
    if found is None or not token_matches(token, stored_hash=found[1]):
        return "a valid bearer token is required"
    key = found[0]
    status = key.status(now=context.clock())
    if status != "active":
        return f"this API key is {status}"
    return Principal(key_id=key.id, name=key.name, scope=key.scope, responder=key.responder)


def client_address(scope: Scope, trusted_proxies: Sequence[IpNetwork]) -> str:
    """Who sent the request: the peer, or, when the peer is a trusted proxy, the nearest
    address in X-Forwarded-For that is not one (what a client writes there itself is left
    of that and never believed)."""
    client = scope.get("client")
    peer = client[0] if client else "unknown"
    if not _is_trusted(peer, trusted_proxies):
        return peer
    hops = [
        hop.strip()
        for value in Headers(scope=scope).getlist("x-forwarded-for")
        for hop in value.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted_proxies):
            return hop
    return hops[0] if hops else peer


def _is_trusted(address: str, trusted_proxies: Sequence[IpNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted_proxies)


class AuthGate:
    """401 for a /v1 request without a valid token, 429 once a client's failures exceed
    `failures` (it is then not even checked), before anything reads the body."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        context: ApiContext,
        failures: RateLimiter,
        trusted_proxies: Sequence[IpNetwork] = (),
    ) -> None:
        self.app = app
        self.context = context
        self.failures = failures
        self.trusted_proxies = tuple(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_guarded(scope["path"]):
            await self.app(scope, receive, send)
            return
        client = client_address(scope, self.trusted_proxies)
        wait_s = self.failures.wait(client)
        if wait_s > 0:
            response = error_response(
                status=429,
                code="rate_limited",
                message="too many failed authentications from this client; slow down",
                headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
            )
            await response(scope, receive, send)
            return
        token = _bearer(Headers(scope=scope).get("authorization"))
        # The key lookup is a database query: off the event loop.
        found = (
            "missing bearer token"
            if token is None
            else await run_in_threadpool(identify, self.context, token)
        )
        if isinstance(found, str):
            self.failures.take(client)
            response = error_response(
                status=401,
                code="unauthorized",
                message=found,
                headers={"WWW-Authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})[PRINCIPAL] = found
        await self.app(scope, receive, send)


def _bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None
