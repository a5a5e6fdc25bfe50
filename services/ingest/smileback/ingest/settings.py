"""What `smileback ingest` reads from the environment."""

from __future__ import annotations

from smileback.common.settings import BrandSettings, CommonSettings

__all__ = ["IngestSettings"]


class IngestSettings(CommonSettings, BrandSettings):
    """Kafka, the topics and the brands whose mentions are kept."""
