"""What `smileback alerts` reads from the environment."""

from __future__ import annotations

from pydantic import Field, SecretStr

from smileback.common.settings import (
    BrandSettings,
    CommonSettings,
    DatabaseSettings,
    DatabaseUrl,
    MetricsSettings,
    OncallFileSettings,
)

__all__ = ["AlertsSettings"]


class AlertsSettings(
    CommonSettings, MetricsSettings, DatabaseSettings, BrandSettings, OncallFileSettings
):
    """The alert policy, the notifiers, the outbox's retry schedule and the escalation tick."""

    alerts_group: str = Field(default="smileback-alerts", description="consumer group")
    policy_file: str | None = Field(
        default=None, description="alert policy YAML; none: the built-in defaults"
    )
    alerts_database_url: DatabaseUrl | None = Field(
        default=None,
        description="where the `alerts_outbox`, `alerts_incidents`, `alerts_recent_complaints`, "
        "`alerts_page_outcomes` and `alerts_smile_back_waiting` tables live (SQLite or "
        "PostgreSQL); none: `SMILEBACK_DATABASE_URL`",
    )
    webhook_url: SecretStr | None = Field(
        default=None, description="signed JSON webhook: the URL (secret: it may carry a token)"
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Standard Webhooks signing secret, `whsec_<base64>` (or any string), a key "
        "of at least 16 bytes; required with `SMILEBACK_WEBHOOK_URL` unless unsigned (secret)",
    )
    webhook_unsigned: bool = Field(
        default=False,
        description="send webhook pages without a signature (no secret); warned about at start",
    )
    webhook_timeout_s: float = Field(default=5.0, gt=0, description="webhook request timeout")
    pagerduty_routing_key: SecretStr | None = Field(
        default=None, description="PagerDuty Events API v2 integration key (secret)"
    )
    pagerduty_url: str = Field(
        default="https://events.pagerduty.com/v2/enqueue", description="overridable for tests"
    )
    slack_webhook_url: SecretStr | None = Field(
        default=None, description="Slack incoming webhook (secret: the URL is the credential)"
    )
    smtp_host: str | None = Field(default=None, description="SMTP server for email pages")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP port")
    smtp_from: str = Field(default="smileback@localhost", description="sender of email pages")
    smtp_to: list[str] = Field(
        default=[], description="JSON list; used when a level names no responder with an email"
    )
    smtp_username: str | None = Field(default=None, description="SMTP login")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password (secret)")
    smtp_starttls: bool = Field(
        default=True,
        description="upgrade the SMTP connection with STARTTLS (certificate checked); a server "
        "without it gets no mail; `false`: plaintext",
    )
    smtp_plaintext_login: bool = Field(
        default=False,
        description="allow the SMTP login without STARTTLS (the password crosses in the clear)",
    )
    notify_console: bool = Field(default=False, description="also print pages to stdout")
    notifier_timeout_s: float = Field(
        default=10.0, gt=0, description="PagerDuty, Slack and SMTP timeout"
    )
    console_base_url: str | None = Field(
        default=None,
        description="where the API serves, e.g. `https://smileback.example.com`: pages link to"
        " `<url>/console/incidents/<id>` when set",
    )
    outbox_backoff_s: float = Field(
        default=2.0, gt=0, description="first retry delay of an undelivered notification"
    )
    outbox_backoff_cap_s: float = Field(default=300.0, gt=0, description="longest retry delay")
    outbox_max_age_s: float = Field(
        default=86_400.0, gt=0, description="a notification this old becomes a dead letter"
    )
    smile_back_digest_after_s: float = Field(
        default=14_400.0,
        gt=0,
        description="a smile-back entry unanswered this long goes in the digest to the team's "
        "channels (Slack, webhook, email, console: those configured)",
    )
    smile_back_digest_every_s: float = Field(
        default=14_400.0, gt=0, description="at most one smile-back digest per this many seconds"
    )
    alerts_tick_s: float = Field(
        default=1.0, gt=0, description="how often escalations and auto-resolve are checked"
    )
