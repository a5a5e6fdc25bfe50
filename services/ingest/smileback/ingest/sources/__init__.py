"""The pure protocol cores of the streaming sources: bytes from the network in, Mentions and
signals out. No network code here: the SSE and WebSocket clients are adapters around them."""

__all__: list[str] = []
