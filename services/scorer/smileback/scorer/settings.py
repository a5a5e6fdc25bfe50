"""What `smileback scorer` reads from the environment."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from smileback.common.settings import CommonSettings, MetricsSettings

__all__ = ["ScorerSettings"]


class ScorerSettings(CommonSettings, MetricsSettings):
    """The Faust worker: batching, its app id and own topics, group timing."""

    scorer_batch_size: int = Field(
        default=500, ge=1, le=10_000, description="most mentions in one batch of `take_events`"
    )
    # Short, because every mention that could page waits it out once per step; under a backlog
    # batches fill at once and the window never runs. (Whether a mention pages is alerts'
    # policy, so the scorer cannot close a batch early for just those.)
    scorer_batch_within_s: float = Field(
        default=0.05,
        gt=0,
        le=10,
        description="longest wait for a batch to fill, in each of the two steps",
    )
    scorer_app_id: str | None = Field(
        default=None,
        description="Faust app id: the consumer group and the prefix of the scorer's own "
        "topics (changelogs, by-brand); workers sharing it share partitions and state; "
        "none: `<topic prefix>scorer`",
    )
    scorer_store: Literal["rocksdb", "memory"] = Field(
        default="rocksdb",
        description="where the worker keeps its tables: `rocksdb` on disk in the data dir "
        "(memory stays flat however many keys), `memory` in the process",
    )
    scorer_data_dir: str | None = Field(
        default=None,
        description="the worker's own RocksDB directory, kept across restarts so a restart "
        "reads only the changelog's tail; one worker per directory (it is locked); none: a "
        "new directory under the system temp dir per process, removed when it stops, so each "
        "start restores the tables from their changelogs",
    )
    scorer_brand_shards: int = Field(
        default=1,
        ge=1,
        le=64,
        description="how many shards each brand's mentions are spread over (by author), so "
        "a busy brand's brand step runs on as many partitions and workers; 1 keeps each "
        "brand on one partition with exact counts; with more, each reading adds the other "
        "shards' counts as the worker last read them (shards.py). Raise it to the number of "
        "workers when one brand outgrows one",
    )
    scorer_topic_replicas: int = Field(
        default=1, ge=1, description="replication factor of the scorer's own topics"
    )
    scorer_standby_replicas: int = Field(
        default=1, ge=0, description="warm table copies on other workers"
    )
    scorer_session_timeout_s: float = Field(
        default=30.0,
        ge=6,
        le=1800,
        description="a worker that stops heartbeating loses its partitions after this long",
    )
    scorer_heartbeat_interval_s: float = Field(
        default=3.0, gt=0, description="heartbeat to the group coordinator"
    )
    scorer_stop_within_s: float = Field(
        default=20.0,
        gt=0,
        le=600,
        description="longest a stop (SIGTERM) may take: past it the worker exits without "
        "finishing its clean stop, as when its broker is gone (what it had not committed is "
        "read again); keep it below the platform's kill grace period",
    )
    scorer_commit_interval_s: float = Field(
        default=2.8, gt=0, description="how often processed offsets are committed"
    )
