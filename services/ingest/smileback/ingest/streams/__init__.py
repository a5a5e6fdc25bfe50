"""The network clients of the streaming sources: HTTP, SSE and WebSocket around the pure
cores in `smileback.ingest.sources`, with reconnects, backfill and resume positions."""

__all__: list[str] = []
