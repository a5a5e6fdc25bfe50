"""`smileback ingest webhook`: signed mentions over HTTP, acknowledged once durable."""

__all__: list[str] = []
