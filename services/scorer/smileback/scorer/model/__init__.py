"""The trained negativity model: features, training, card, safe loading, evaluation.

`ModelScorer.load()` gives the model shipped in `artifacts/`, verified against its card.
"""

from smileback.scorer.model.errors import ModelError
from smileback.scorer.model.scorer import ModelScorer

__all__ = ["ModelError", "ModelScorer"]
