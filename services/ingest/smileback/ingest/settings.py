"""What `smileback ingest` reads from the environment."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from smileback.common.settings import BrandSettings, CommonSettings, MetricsSettings

__all__ = ["IngestSettings"]


class IngestSettings(CommonSettings, MetricsSettings, BrandSettings):
    """Kafka, the topics, the brands whose mentions are kept, and how they are produced."""

    # gzip, not lz4 or zstd: the scorer's aiokafka reads those only with extra native
    # libraries (cramjam), and a codec a consumer cannot read crashes its fetcher.
    ingest_compression: Literal["gzip", "none"] = Field(
        default="gzip",
        description="compression of the batches produced to Kafka (every consumer reads gzip)",
    )
    ingest_live_rules: bool | None = Field(
        default=None,
        description="also match the brand rules managed through the API, followed live on the "
        "brand-rules topic [default: on when producing to Kafka, off with -o]",
    )
    ingest_rules_file: str | None = Field(
        default=None,
        description="a brand rules file (YAML, as `smileback rules check` reads): its brands' "
        "queries are matched besides SMILEBACK_BRANDS and the live rules (`--rules`)",
    )
    ingest_webhook_secret: SecretStr | None = Field(
        default=None,
        description="Standard Webhooks secret of `ingest webhook`, `whsec_<base64>` (at least "
        "16 bytes); required by it",
    )
    ingest_webhook_host: str = Field(
        default="127.0.0.1", description="listen address of `ingest webhook`"
    )
    ingest_webhook_port: int = Field(
        default=8090, ge=1, le=65535, description="port of `ingest webhook`"
    )
    ingest_webhook_ack_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="how long a webhook request waits for Kafka's acknowledgement before "
        "answering 503",
    )
    mastodon_token: SecretStr | None = Field(
        default=None,
        description="user access token of `ingest mastodon` (scope `read`); required by it",
    )
    ingest_checkpoint_every_n: int = Field(
        default=500,
        ge=1,
        description="a streaming source saves its resume position after this many events",
    )
    ingest_checkpoint_every_s: float = Field(
        default=5.0,
        gt=0,
        description="... or after this many seconds, whichever comes first",
    )
    ingest_flush_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="how long a streaming source waits for Kafka's acknowledgement before "
        "it pauses the stream and retries",
    )
    ingest_jetstream_zstd: bool = Field(
        default=False,
        description="`ingest jetstream` asks for zstd-compressed events (Jetstream v1's "
        "`compress=true`, its dictionary shipped with smileback)",
    )
    bluesky_appview: str = Field(
        default="https://public.api.bsky.app",
        description="AppView whose `app.bsky.actor.getProfiles` gives `ingest jetstream` "
        "its follower counts",
    )
