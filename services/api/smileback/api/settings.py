"""What `smileback api` reads from the environment."""

from __future__ import annotations

from pydantic import Field, SecretStr

from smileback.common.settings import CommonSettings, DatabaseSettings, OncallFileSettings

__all__ = ["ApiSettings"]


class ApiSettings(CommonSettings, DatabaseSettings, OncallFileSettings):
    """Where the API listens, who may call it, its limits and its store's upkeep."""

    api_host: str = Field(default="127.0.0.1", description="where the API listens")
    api_port: int = Field(default=8000, ge=1, le=65535, description="the API's port")
    api_token: SecretStr | None = Field(
        default=None,
        description="bootstrap admin token (secret; optional now that keys exist; "
        "empty is an error)",
    )
    api_cors_origins: list[str] = Field(
        default=[], description="JSON list of allowed browser origins; empty = CORS off"
    )
    api_rate_per_s: float = Field(
        default=20.0, gt=0, description="requests per second per API key, on average"
    )
    api_rate_burst: int = Field(default=100, ge=1, description="requests per API key at once")
    api_max_body_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        le=10 * 1024 * 1024,
        description="larger request bodies get 413",
    )
    api_retention_days: int = Field(
        default=90, ge=1, description="mentions older than this are purged"
    )
    api_purge_interval_s: float = Field(
        default=3600.0, gt=0, description="how often the purge runs"
    )
    api_projector_group: str = Field(
        default="smileback-api-projector",
        min_length=1,
        description="the projector's consumer group",
    )
