"""Settings from the environment (prefix `SMILEBACK_`), created where a process starts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Every knob of every service; secrets are SecretStr so they never print."""

    model_config = SettingsConfigDict(env_prefix="SMILEBACK_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_prefix: str = "smileback."
    database_url: str = "sqlite:///smileback.db"

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_token: SecretStr | None = None
    metrics_host: str = "127.0.0.1"  # 0.0.0.0 in containers, set by the manifests
    metrics_port: int = Field(default=9100, ge=0, le=65535)

    alerts_group: str = "smileback-alerts"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_timeout_s: float = Field(default=5.0, gt=0)

    # Brand -> match terms (words, "phrases", @handles, #tags): '{"acme": ["acme", "@acmehelp"]}'.
    brands: dict[str, list[str]] = {}

    # --- scorer ---
    scorer_batch_size: int = Field(default=500, ge=1, le=10_000)
    scorer_batch_within_s: float = Field(default=0.5, gt=0)

    # --- alerts (issue 5) ---

    # --- api (issue 6) ---

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
