"""Test doubles and builders for the scorer tests."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from smileback.common.events import Author, Mention, Sentiment, Thread
from smileback.scorer.text_scoring import TextScore

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


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


def mention(mid, text="hello", *, root=None, minutes=0.0, followers=0, author=None, **extra):
    return Mention(
        id=mid,
        text=text,
        created_at=T0 + timedelta(minutes=minutes),
        author=Author(**(author or {"id": f"a-{mid}", "followers": followers})),
        thread=Thread(root_id=root, parent_id=root),
        **extra,
    )
