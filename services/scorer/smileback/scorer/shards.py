"""A busy brand's mentions spread over shards, so one brand is not bound to one partition.

The brand step keeps a brand's baseline and its authors' state where the by-brand records
are keyed. With `shards` = 1 that key is the brand itself, so one brand's whole traffic goes
through one partition and one worker. With more, each mention is keyed by its brand and a
shard picked by its author (the mention id for an anonymous one):

    key = brand              for shard 0 (so the unsharded layout is shard 0 of any other)
        = brand NUL k        for shard k = crc32(author) mod shards, k > 0

An author always lands in the same shard, so their state keeps one writer. The brand's
baseline is then counted per shard, and a reading adds the other shards' counts to its own
(baseline.merge; see shard_view.py for where those come from). Changing the number of
shards moves authors between shards, and their mention counts start again. Raising it keeps
the brand's counts whole (every old shard is still summed); lowering it leaves the dropped
shards' counts out of the brand's readings until they would have aged out anyway (the
baseline's 13 hours).
"""

from __future__ import annotations

import zlib

__all__ = ["brand_key", "brand_of", "sibling_keys"]

_SEPARATOR = "\x00"


def brand_key(*, brand: str, who: str, shards: int) -> str:
    """The by-brand key of a mention of `brand` by `who` (the author, else the mention id)."""
    shard = zlib.crc32(who.encode("utf-8")) % shards if shards > 1 else 0
    return brand if shard == 0 else f"{brand}{_SEPARATOR}{shard}"


def brand_of(key: str) -> str:
    """The brand a by-brand key belongs to."""
    return key.split(_SEPARATOR, 1)[0]


def sibling_keys(key: str, *, shards: int) -> list[str]:
    """The keys of the brand's other shards."""
    brand = brand_of(key)
    every = [brand, *(f"{brand}{_SEPARATOR}{k}" for k in range(1, shards))]
    return [other for other in every if other != key]
