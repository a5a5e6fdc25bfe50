"""The VADER baseline: lexicon scoring behind the TextScorer protocol, not calibrated.

Evaluation and the scoring benchmark compare the trained model against it; it says
what it is in its `model_version` ("interim-vader-1").

Mapping from VADER's compound score c (-1..1):

- negativity = 1 / (1 + exp(STEEPNESS * (c - NEGATIVE_AT))): a logistic that
  falls monotonically with c and crosses 0.5 exactly at the decision threshold,
  so neutral text (c = 0) scores about 0.12 and a clear complaint above 0.9.
- is_negative = c <= NEGATIVE_AT (-0.25). Stricter than VADER's -0.05 label cut
  because the decision feeds paging: mildly negative chatter ("meh", "not sure")
  should stay in the sentiment label, not raise alerts.
- sentiment: negative when c <= -0.05, positive when c >= 0.05, else neutral
  (VADER's usual cut).
- explanation: up to EXPLAIN_TERMS distinct tokens of the text with the strongest
  lexicon valence in the direction of the text (positive for positive text,
  negative otherwise), strongest first.
"""

from __future__ import annotations

import math
import string
from collections.abc import Sequence

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from smileback.common.events import Sentiment
from smileback.scorer.text_scoring import TextScore

__all__ = ["EXPLAIN_TERMS", "NEGATIVE_AT", "SENTIMENT_CUT", "STEEPNESS", "InterimLexiconScorer"]

NEGATIVE_AT = -0.25
SENTIMENT_CUT = 0.05
STEEPNESS = 8.0
EXPLAIN_TERMS = 5


class InterimLexiconScorer:
    """VADER lexicon scoring behind the TextScorer protocol."""

    def __init__(self) -> None:
        self.model_version = "interim-vader-1"
        self._analyzer = SentimentIntensityAnalyzer()

    def score_texts(self, texts: Sequence[str]) -> list[TextScore]:
        """Score every text with VADER and map the result onto our fields."""
        return [self._score(text) for text in texts]

    def _score(self, text: str) -> TextScore:
        compound = float(self._analyzer.polarity_scores(text)["compound"])
        if compound <= -SENTIMENT_CUT:
            sentiment = Sentiment.NEGATIVE
        elif compound >= SENTIMENT_CUT:
            sentiment = Sentiment.POSITIVE
        else:
            sentiment = Sentiment.NEUTRAL
        return TextScore(
            negativity=1.0 / (1.0 + math.exp(STEEPNESS * (compound - NEGATIVE_AT))),
            is_negative=compound <= NEGATIVE_AT,
            sentiment=sentiment,
            explanation=self._explain(text, positive=sentiment is Sentiment.POSITIVE),
        )

    def _explain(self, text: str, *, positive: bool) -> tuple[str, ...]:
        lexicon: dict[str, float] = self._analyzer.lexicon
        found: dict[str, float] = {}
        for raw in text.split():
            token = raw.lower()
            # Emoticons such as ":(" are lexicon entries made of punctuation; try them first.
            if token not in lexicon:
                token = token.strip(string.punctuation)
            valence = lexicon.get(token)
            if valence is None or token in found or (valence > 0) != positive or valence == 0:
                continue
            found[token] = valence
        # sorted() is stable, so equally strong terms keep their order in the text.
        ranked = sorted(found, key=lambda term: -abs(found[term]))
        return tuple(ranked[:EXPLAIN_TERMS])
