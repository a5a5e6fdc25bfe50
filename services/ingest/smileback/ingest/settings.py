"""What `smileback ingest` reads from the environment."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from smileback.common.settings import BrandSettings, CommonSettings

__all__ = ["IngestSettings"]


class IngestSettings(CommonSettings, BrandSettings):
    """Kafka, the topics, the brands whose mentions are kept, and how they are produced."""

    ingest_compression: Literal["lz4", "gzip", "none"] = Field(
        default="lz4",
        description="compression of the batches produced to Kafka; lz4 costs the least CPU",
    )
