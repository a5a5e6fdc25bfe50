"""Test doubles for the scorer tests (mentions come from tests/support/builders.py)."""

import inspect
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from types import SimpleNamespace

import faust
from faust.types import TP

from smileback.common.events import Sentiment
from smileback.scorer.app import create_app
from smileback.scorer.pipeline import ScoringPipeline
from smileback.scorer.settings import ScorerSettings
from smileback.scorer.text_scoring import TextScore


class CountingScorer:
    """Calls every text containing "bad" negative, and counts score_texts calls."""

    model_version = "counting-double"

    def __init__(self):
        self.calls: list[list[str]] = []

    def score_texts(self, texts: Sequence[str]) -> list[TextScore]:
        self.calls.append(list(texts))
        return [
            TextScore(0.9, True, Sentiment.NEGATIVE, ("bad",))
            if "bad" in text
            else TextScore(0.1, False, Sentiment.NEUTRAL)
            for text in texts
        ]


def timers_of(app: faust.App) -> dict[str, Callable[[], Awaitable[None]]]:
    """The app's timer functions by name, to run one round of each by hand."""
    return {inspect.unwrap(task).__name__: inspect.unwrap(task) for task in app._app_tasks}


def rocksdb_app(datadir: Path) -> faust.App:
    """A scorer app on its RocksDB tables in `datadir`, with the counting scorer."""
    return create_app(
        settings=ScorerSettings(scorer_app_id="r"),
        pipeline=ScoringPipeline(scorer=CountingScorer()),
        datadir=datadir,
    )


class StoreDouble(dict):
    """Stands in for a Faust memory store: a mapping that notes where its changelog was
    delivered up to."""

    def __init__(self, data: dict[str, bytes] | None = None) -> None:
        super().__init__(data or {})
        self.persisted: dict[TP, int] = {}

    def set_persisted_offset(self, tp: TP, offset: int) -> None:
        self.persisted[tp] = offset


class TableDouble:
    """Stands in for a Faust table on the memory store: a name, its store, its changelog."""

    def __init__(self, name: str, store: StoreDouble | None = None) -> None:
        self.name = name
        self.data = store if store is not None else StoreDouble()
        self.changelog_topic = SimpleNamespace(get_topic_name=lambda: f"{name}-changelog")
