"""Text scoring seam: the TextScorer protocol and the TextScore it returns per text.

The trained negativity model (`smileback.scorer.model.ModelScorer`) implements it at
run time; the VADER baseline in `smileback.training.vader` does too, for evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from smileback.common.events import Sentiment

__all__ = ["TextScore", "TextScorer"]


@dataclass(frozen=True)
class TextScore:
    """What a text scorer says about one text."""

    negativity: float
    is_negative: bool
    sentiment: Sentiment
    explanation: tuple[str, ...] = ()


class TextScorer(Protocol):
    """Scores texts a whole batch at a time."""

    model_version: str

    def score_texts(self, texts: Sequence[str]) -> list[TextScore]:
        """One TextScore per text, in order."""
        ...
