"""The surge rule's input: a count of the brand's negatives now, against the scorer's baseline."""

from __future__ import annotations

from smileback.alerts.policy.rules import BrandVolume
from smileback.common.events import ScoredMention

__all__ = ["brand_volume"]


def brand_volume(*, mention: ScoredMention, negatives: int) -> BrandVolume | None:
    """`negatives` in the last hour against the brand's usual hour (`brand_negative_baseline`).

    None when the scorer did not compute its brand figures (a tombstone, an older scorer):
    its count of zero negatives cannot be right for a negative mention, which counts itself.
    """
    scores = mention.scores
    if scores.brand_negative_now == 0:
        return None
    return BrandVolume(negatives=negatives, baseline=scores.brand_negative_baseline)
