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
    # Faust app id: the consumer group and the prefix of the scorer's own topics (changelogs,
    # by-brand); workers sharing it share partitions and state. None: "<topic_prefix>scorer".
    scorer_app_id: str | None = None
    scorer_topic_replicas: int = Field(default=1, ge=1)  # of those own topics
    scorer_standby_replicas: int = Field(default=1, ge=0)  # warm table copies on other workers
    # A worker that stops heartbeating loses its partitions after this long (broker bounds: 6-1800).
    scorer_session_timeout_s: float = Field(default=30.0, ge=6, le=1800)
    scorer_heartbeat_interval_s: float = Field(default=3.0, gt=0)
    scorer_commit_interval_s: float = Field(default=2.8, gt=0)  # how often offsets are committed

    # --- alerts (issue 5) ---
    policy_file: str | None = None  # alert policy YAML; None = the built-in defaults
    oncall_file: str | None = None  # schedules and escalation YAML; also read by the API
    # Outbox and incident state (tables alerts_*); None: the database of database_url.
    alerts_database_url: str | None = None
    pagerduty_routing_key: SecretStr | None = None
    pagerduty_url: str = "https://events.pagerduty.com/v2/enqueue"
    slack_webhook_url: SecretStr | None = None  # the URL is the credential
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "smileback@localhost"
    smtp_to: list[str] = []  # JSON list; used when a level names no responder with an email
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    notify_console: bool = False  # print pages to stdout too
    notifier_timeout_s: float = Field(default=10.0, gt=0)  # PagerDuty, Slack and SMTP
    console_base_url: str | None = None  # pages link to <this>/incidents/<id> when set
    outbox_backoff_s: float = Field(default=2.0, gt=0)
    outbox_backoff_cap_s: float = Field(default=300.0, gt=0)
    outbox_max_age_s: float = Field(default=86_400.0, gt=0)  # then dead-lettered
    alerts_tick_s: float = Field(default=1.0, gt=0)  # escalation and auto-resolve timer

    # --- api (issue 6) ---
    api_cors_origins: list[str] = []  # JSON list of allowed origins; empty = CORS off
    api_rate_per_s: float = Field(default=20.0, gt=0)  # per API key, on average
    api_rate_burst: int = Field(default=100, ge=1)  # per API key, at once
    api_max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=10 * 1024 * 1024)
    api_retention_days: int = Field(default=90, ge=1)  # mentions older than this are purged
    api_purge_interval_s: float = Field(default=3600.0, gt=0)  # how often the purge runs
    api_projector_group: str = Field(default="smileback-api-projector", min_length=1)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
