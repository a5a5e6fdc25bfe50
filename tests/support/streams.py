"""Read a never-ending stream in a test: the first items, within a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable
from typing import TypeVar

__all__ = ["take"]

T = TypeVar("T")


async def take(stream: AsyncIterable[T], count: int, *, timeout: float = 10.0) -> list[T]:
    """The first `count` items of `stream`; fails the test if they take over `timeout`."""
    items: list[T] = []

    async def pull() -> None:
        async for item in stream:
            items.append(item)
            if len(items) == count:
                return

    await asyncio.wait_for(pull(), timeout=timeout)
    return items
