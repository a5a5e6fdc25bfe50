"""What `smileback ingest` reads from the environment."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from smileback.common.settings import BrandSettings, CommonSettings

__all__ = ["IngestSettings"]


class IngestSettings(CommonSettings, BrandSettings):
    """Kafka, the topics, the brands whose mentions are kept, and how they are produced."""

    # gzip, not lz4 or zstd: the scorer's aiokafka reads those only with extra native
    # libraries (cramjam), and a codec a consumer cannot read crashes its fetcher.
    ingest_compression: Literal["gzip", "none"] = Field(
        default="gzip",
        description="compression of the batches produced to Kafka (every consumer reads gzip)",
    )
