"""Test doubles for the scorer tests (mentions come from tests/support/builders.py)."""

from collections.abc import Sequence

from smileback.common.events import Sentiment
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
