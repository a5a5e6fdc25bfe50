"""The trained negativity model at run time: card, safe loading, features, scoring.

`ModelScorer.load()` gives the model shipped in `artifacts/`, verified against its card.
Training and evaluation live in `smileback.training` (the `smileback[train]` extra).
"""

from smileback.scorer.model.errors import ModelError
from smileback.scorer.model.scorer import ModelScorer

__all__ = ["ModelError", "ModelScorer"]
