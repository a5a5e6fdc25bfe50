"""The brand-surge rule's input and its one formula: the brand's negatives now, as this service
has counted them, against the scorer's per-hour baseline (`Scores.brand_negative_baseline`).

    ratio = negatives / max(baseline, 1)

The floor of one keeps a brand with almost no history from surging on a handful of
complaints; the rule's `min_negatives` is the other guard. The scorer publishes the
baseline only; no other service computes a ratio.
"""

from __future__ import annotations

from dataclasses import dataclass

from smileback.common.events import ScoredMention

__all__ = ["BrandVolume", "brand_volume"]


@dataclass(frozen=True)
class BrandVolume:
    """A brand's negative mentions in the last hour against its usual count per hour.

    `negatives` leaves out mentions of threads that already have an open incident: a
    pile-on that is already paged is not also a brand surge.
    """

    negatives: int
    baseline: float

    @property
    def ratio(self) -> float:
        """Now over usual; a baseline under one mention counts as one (no division by ~0)."""
        return self.negatives / max(self.baseline, 1.0)


def brand_volume(*, mention: ScoredMention, negatives: int) -> BrandVolume | None:
    """`negatives` in the last hour against the brand's usual hour (`brand_negative_baseline`).

    None when the scorer did not compute its brand figures (a tombstone, an older scorer):
    its count of zero negatives cannot be right for a negative mention, which counts itself.
    """
    scores = mention.scores
    if scores.brand_negative_now == 0:
        return None
    return BrandVolume(negatives=negatives, baseline=scores.brand_negative_baseline)
