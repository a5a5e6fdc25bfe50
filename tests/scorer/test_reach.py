import pytest

from smileback.common.events import Author, MentionMetrics, ReachTier
from smileback.scorer.reach import est_impressions, reach, reach_tier


@pytest.mark.parametrize(
    ("followers", "tier"),
    [
        (0, ReachTier.NONE),
        (999, ReachTier.NONE),
        (1_000, ReachTier.NANO),
        (9_999, ReachTier.NANO),
        (10_000, ReachTier.MICRO),
        (99_999, ReachTier.MICRO),
        (100_000, ReachTier.MACRO),
        (250_000, ReachTier.MACRO),
        (999_999, ReachTier.MACRO),
        (1_000_000, ReachTier.MEGA),
        (50_000_000, ReachTier.MEGA),
    ],
)
def test_reach_tier_boundaries(followers, tier):
    assert reach_tier(followers=followers) is tier


def test_reach_grows_on_a_log_scale_and_stays_in_range():
    values = [reach(author=Author(followers=f)) for f in (0, 10, 1_000, 250_000, 10**7, 10**9)]
    assert values == sorted(values)
    assert values[0] == 0.0
    assert values[2] == pytest.approx(3 / 7, abs=1e-3)
    assert values[3] == pytest.approx(0.771, abs=1e-3)
    assert values[4] == pytest.approx(1.0, abs=1e-6)
    assert values[5] == 1.0


def test_verified_nudges_up_and_bot_cuts_hard():
    plain = reach(author=Author(followers=250_000))
    verified = reach(author=Author(followers=250_000, verified=True))
    bot = reach(author=Author(followers=250_000, bot=True))
    assert verified == pytest.approx(plain + 0.05)
    assert bot == pytest.approx(plain * 0.2)
    assert reach(author=Author(followers=10**9, verified=True)) == 1.0


def test_est_impressions_from_followers_and_engagement():
    assert est_impressions(followers=0, metrics=MentionMetrics()) == 0
    assert est_impressions(followers=250_000, metrics=MentionMetrics()) == 25_000
    metrics = MentionMetrics(likes=10, replies=5, reposts=2, quotes=1)
    assert est_impressions(followers=1_000, metrics=metrics) == 100 + 150 + 300
