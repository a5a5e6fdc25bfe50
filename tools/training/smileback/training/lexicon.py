"""VADER's word lexicon (word -> valence, -4..4), read from the vaderSentiment package.

Training copies it into the artifact, so a model keeps the lexicon it learnt with.
"""

from __future__ import annotations

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

__all__ = ["vader_lexicon"]


def vader_lexicon() -> dict[str, float]:
    """A fresh copy of VADER's lexicon."""
    lexicon: dict[str, float] = SentimentIntensityAnalyzer().lexicon
    return {str(word): float(valence) for word, valence in lexicon.items()}
