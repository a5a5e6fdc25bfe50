"""The one way to build the scoring pipeline, shared by the demo, the CLI and the Faust app."""

from __future__ import annotations

from smileback.scorer.pipeline import ScoringPipeline
from smileback.scorer.text_scoring import InterimLexiconScorer
from smileback.scorer.threads import ThreadTracker

__all__ = ["default_pipeline"]


def default_pipeline() -> ScoringPipeline:
    """The interim lexicon scorer with a fresh in-memory thread tracker."""
    return ScoringPipeline(scorer=InterimLexiconScorer(), tracker=ThreadTracker())
