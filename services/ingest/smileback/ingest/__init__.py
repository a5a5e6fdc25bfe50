"""smileback.ingest"""

__all__: list[str] = []
