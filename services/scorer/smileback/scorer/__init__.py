"""smileback.scorer"""

__all__: list[str] = []
