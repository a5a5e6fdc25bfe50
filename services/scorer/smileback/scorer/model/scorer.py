"""The trained model behind the TextScorer protocol: a whole batch in one call.

negativity is the calibrated P(negative); is_negative compares it with the card's
threshold; sentiment is the class-balanced three-way label (negative whenever
is_negative; see `Decision`); explanation lists the words that pushed the text
towards its label (none for neutral text).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from smileback.common.events import Sentiment
from smileback.scorer.model.artifact import LoadedModel, load_model
from smileback.scorer.model.negativity import NEGATIVE, NEUTRAL, Decision
from smileback.scorer.text_scoring import TextScore

__all__ = ["EXPLAIN_TERMS", "ModelScorer"]

EXPLAIN_TERMS = 5
_SENTIMENTS = (Sentiment.NEGATIVE, Sentiment.NEUTRAL, Sentiment.POSITIVE)


class ModelScorer:
    """Scores texts with a verified NegativityModel at its card's threshold."""

    def __init__(self, loaded: LoadedModel) -> None:
        self.model = loaded.model
        self.card = loaded.card
        self.threshold = loaded.card.threshold
        self.decision = Decision(threshold=loaded.card.threshold, prior=loaded.card.class_prior)
        self.model_version = loaded.card.model_version

    @classmethod
    def load(cls, directory: Path | None = None) -> ModelScorer:
        """The model in `directory` (default: the one shipped in the package), hash-checked."""
        return cls(load_model(directory))

    def score_texts(self, texts: Sequence[str]) -> list[TextScore]:
        """One TextScore per text, in order; the model runs once for the whole batch."""
        if not texts:
            return []
        rows = self.model.features.transform(texts)
        proba = self.model.probabilities(rows)
        labels = self.decision.sentiment(proba)
        flagged = self.decision.is_negative(proba).tolist()
        # Neutral rows are explained by nothing: the words "for" a neutral label say little.
        terms = self.model.explain(
            rows, classes=labels, wanted=labels != NEUTRAL, top=EXPLAIN_TERMS
        )
        negativity = proba[:, NEGATIVE].tolist()
        return [
            TextScore(
                negativity=min(1.0, max(0.0, negativity[i])),
                is_negative=flagged[i],
                sentiment=_SENTIMENTS[label],
                explanation=terms[i],
            )
            for i, label in enumerate(labels.tolist())
        ]
