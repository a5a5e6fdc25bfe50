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
    api_auth_failures_per_s: float = Field(
        default=1.0,
        gt=0,
        description="failed authentications per second per client, on average; more get 429",
    )
    api_auth_failure_burst: int = Field(
        default=20, ge=1, description="failed authentications per client at once"
    )
    api_trusted_proxies: list[str] = Field(
        default=[],
        description="JSON list of proxy addresses or networks whose X-Forwarded-For names "
        "the client; empty = the peer is the client",
    )
    api_timeout_keep_alive_s: int = Field(
        default=5, ge=1, le=300, description="an idle keep-alive connection is closed after this"
    )
    api_max_header_bytes: int = Field(
        default=16 * 1024,
        ge=4 * 1024,
        le=1024 * 1024,
        description="a request line and headers larger than this are refused (400)",
    )
    api_limit_concurrency: int = Field(
        default=200,
        ge=1,
        description="connections and tasks at once; more get 503 until some finish",
    )
    api_docs: bool = Field(
        default=False,
        description="serve /docs and /redoc (their scripts come from a CDN); "
        "/openapi.json is always served",
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
    pagerduty_webhook_secret: SecretStr | None = Field(
        default=None,
        description="secret of the PagerDuty v3 webhook subscription (secret); "
        "unset = POST /callbacks/pagerduty is 404",
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        description="the Slack app's signing secret (secret); unset = POST /callbacks/slack is 404",
    )
