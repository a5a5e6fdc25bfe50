"""The one way to build the scoring pipeline, shared by the demo, the CLI and the Faust app."""

from __future__ import annotations

from functools import cache

from smileback.scorer.model import ModelScorer
from smileback.scorer.pipeline import ScoringPipeline
from smileback.scorer.threads import ThreadTracker

__all__ = ["default_pipeline", "shipped_scorer"]


@cache
def shipped_scorer() -> ModelScorer:
    """The model shipped in the package, hash-checked and loaded once per process."""
    return ModelScorer.load()


def default_pipeline() -> ScoringPipeline:
    """The shipped negativity model with a fresh in-memory thread tracker."""
    return ScoringPipeline(scorer=shipped_scorer(), tracker=ThreadTracker())
