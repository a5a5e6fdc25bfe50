"""Bluesky follower counts from an AppView's `app.bsky.actor.getProfiles`, cached and batched.

Jetstream carries no follower counts, so a post maps with `author_counts_known=False`
and `followers=0`. `ProfileLookup.enrich` fills the author from the profile: handle,
display name, followers, following, account creation time, and sets
`author_counts_known=True`. Lookups go 25 actors a call (the endpoint's limit), the calls
of one window in parallel, through a bounded cache whose entries expire (counts move).

A lookup never holds the stream up for long nor loses a mention: when the AppView is
slow (past `deadline_s`) or failing, the mention goes on as mapped: followers 0,
following 0, the handle from Jetstream's identity events or empty, no display name, and
`author_counts_known=False`, so reach reads "unknown", not "small". A call cut off by the
deadline keeps running and fills the cache for the author's next post.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import httpx
import structlog
from pydantic import ValidationError

from smileback.common.events import Author
from smileback.ingest.normalise import clean_text
from smileback.ingest.sources.outcomes import Mapped

__all__ = ["BATCH", "DEFAULT_APPVIEW", "Profile", "ProfileLookup"]

log = structlog.get_logger(__name__)

DEFAULT_APPVIEW = "https://public.api.bsky.app"
BATCH = 25  # getProfiles takes at most 25 actors a call


@dataclass(frozen=True)
class Profile:
    """What reach needs of a Bluesky account."""

    did: str
    handle: str
    display_name: str
    followers: int
    following: int
    created_at: datetime | None


class ProfileLookup:
    """Profiles by DID; one instance per stream, it owns an HTTP client until `aclose`."""

    def __init__(
        self,
        *,
        appview: str = DEFAULT_APPVIEW,
        deadline_s: float = 2.0,
        max_entries: int = 100_000,
        ttl: timedelta = timedelta(hours=6),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = f"{appview.rstrip('/')}/xrpc/app.bsky.actor.getProfiles"
        self._deadline_s = deadline_s
        self._max = max_entries
        self._ttl_s = ttl.total_seconds()
        self._monotonic = monotonic
        self._cache: OrderedDict[str, tuple[float, Profile]] = OrderedDict()
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(10.0))

    async def aclose(self) -> None:
        """Stop the calls still running and close the HTTP client."""
        for task in list(self._in_flight.values()):
            task.cancel()
        await self._client.aclose()

    def cached(self, did: str) -> Profile | None:
        """The profile of `did` if the cache holds a fresh one."""
        entry = self._cache.get(did)
        if entry is None:
            return None
        stored_at, profile = entry
        if self._monotonic() - stored_at > self._ttl_s:
            del self._cache[did]
            return None
        self._cache.move_to_end(did)
        return profile

    async def profiles(self, dids: Iterable[str]) -> dict[str, Profile]:
        """The profiles of `dids` known within the deadline: cached, else looked up."""
        wanted = list(dict.fromkeys(dids))
        missing = [did for did in wanted if self.cached(did) is None]
        asking = [did for did in missing if did not in self._in_flight]
        for start in range(0, len(asking), BATCH):
            chunk = asking[start : start + BATCH]
            task = asyncio.ensure_future(self._fetch(chunk))
            for did in chunk:
                self._in_flight[did] = task
        waiting = {self._in_flight[did] for did in missing if did in self._in_flight}
        if waiting:
            # Not cancelled at the deadline: a late answer still fills the cache.
            _, late = await asyncio.wait(waiting, timeout=self._deadline_s)
            if late:
                log.info("profile lookup past its deadline; counts unknown", calls=len(late))
        return {did: p for did in wanted if (p := self.cached(did)) is not None}

    async def enrich(self, mapped: Sequence[Mapped]) -> list[Mapped]:
        """`mapped` with the counts of every author whose profile is known in time."""
        unknown = [m.mention.author.id for m in mapped if not m.author_counts_known]
        found = await self.profiles(did for did in unknown if did)
        return [_with_profile(m, found.get(m.mention.author.id)) for m in mapped]

    async def _fetch(self, dids: list[str]) -> None:
        try:
            response = await self._client.get(self._url, params=[("actors", d) for d in dids])
            response.raise_for_status()
            for profile in _profiles(response.json()):
                self._store(profile)
        except (httpx.HTTPError, ValueError) as exc:
            # Logged without the URL's query: it is only DIDs, but one line per call is
            # enough to see an AppView outage.
            log.info("profile lookup failed; counts unknown", error=type(exc).__name__)
        finally:
            for did in dids:
                self._in_flight.pop(did, None)

    def _store(self, profile: Profile) -> None:
        self._cache[profile.did] = (self._monotonic(), profile)
        self._cache.move_to_end(profile.did)
        while len(self._cache) > self._max:
            self._cache.popitem(last=False)


def _profiles(body: object) -> list[Profile]:
    if not isinstance(body, dict) or not isinstance(body.get("profiles"), list):
        raise ValueError("getProfiles: expected {profiles: [...]}")
    found = []
    for p in body["profiles"]:
        if not isinstance(p, dict) or not isinstance(p.get("did"), str):
            continue
        found.append(
            Profile(
                did=p["did"],
                handle=_text(p.get("handle")),
                display_name=_text(p.get("displayName")),
                followers=_count(p.get("followersCount")),
                following=_count(p.get("followsCount")),
                created_at=_time(p.get("createdAt")),
            )
        )
    return found


def _with_profile(mapped: Mapped, profile: Profile | None) -> Mapped:
    if profile is None or mapped.author_counts_known:
        return mapped
    author = mapped.mention.author
    try:
        # Validated like any Author: the AppView is one more untrusted source.
        filled = Author(
            **{
                **author.model_dump(),
                "handle": f"@{profile.handle}" if profile.handle else author.handle,
                "display_name": clean_text(profile.display_name).text or author.display_name,
                "followers": profile.followers,
                "following": profile.following,
                "created_at": profile.created_at or author.created_at,
            }
        )
    except ValidationError:
        return mapped
    mention = mapped.mention.model_copy(update={"author": filled})
    return replace(mapped, mention=mention, author_counts_known=True)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
