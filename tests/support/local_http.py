"""The HTTP/1.1 both ends of a local test server need: read one request, write one answer.
Every answer closes its connection, so a handler serves one request."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

__all__ = ["Answer", "HttpRequest", "answering", "read_request", "send"]

_REASONS = {
    200: "OK",
    401: "Unauthorized",
    400: "Bad Request",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class HttpRequest:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case


async def read_request(reader: asyncio.StreamReader) -> HttpRequest:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    target = urlsplit(lines[0].split(" ")[1])
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in lines[1:] if line)
    }
    return HttpRequest(path=target.path, query=parse_qs(target.query), headers=headers)


async def send(
    writer: asyncio.StreamWriter, code: int, body: bytes, headers: dict[str, str] | None = None
) -> None:
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    writer.write(
        f"HTTP/1.1 {code} {_REASONS[code]}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n".encode()
        + body
    )
    await writer.drain()


Answer = tuple[int, bytes, dict[str, str]]


@contextlib.asynccontextmanager
async def answering(answers: list[Answer]) -> AsyncIterator[str]:
    """A server at the URL yielded that answers each request with the next of `answers`."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await send(writer, *answers.pop(0))
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()
