import json
from datetime import timedelta

from smileback.common.events import Author
from smileback.scorer.authors import RECENT_IDS, AuthorState, author_key, observe
from tests.support.builders import T0


def test_counts_mentions_and_keeps_the_metrics_of_the_newest_mention():
    state, first = observe(None, author=Author(followers=10), mention_id="m1", at=T0)
    later = T0 + timedelta(hours=1)
    state, second = observe(
        state, author=Author(followers=50, verified=True), mention_id="m2", at=later
    )
    # A late mention counts but does not roll the metrics back.
    state, third = observe(
        state, author=Author(followers=5, bot=True), mention_id="m0", at=T0 - timedelta(hours=1)
    )
    assert (first.mentions, second.mentions, third.mentions) == (1, 2, 3)
    assert (state.followers, state.verified, state.bot) == (50, True, False)
    assert state.first_seen == (T0 - timedelta(hours=1)).timestamp()
    assert state.last_seen == later.timestamp()


def test_a_redelivered_mention_does_not_count_twice():
    state, _ = observe(None, author=Author(), mention_id="m1", at=T0)
    same, again = observe(state, author=Author(), mention_id="m1", at=T0)
    assert again.duplicate
    assert again.mentions == 1
    assert same is state


def test_only_the_last_ids_are_remembered():
    state = None
    for i in range(RECENT_IDS + 5):
        state, reading = observe(state, author=Author(), mention_id=f"m{i}", at=T0)
    assert reading.mentions == RECENT_IDS + 5
    assert len(state.recent) == RECENT_IDS


def test_authors_are_keyed_per_brand_and_anonymous_ones_have_no_state():
    assert author_key(brand="acme", author=Author(id="u1", handle="@u")) == "acme\x00u1"
    assert author_key(brand="acme", author=Author(handle="@u")) == "acme\x00@u"
    assert author_key(brand="globex", author=Author(id="u1")) != author_key(
        brand="acme", author=Author(id="u1")
    )
    assert author_key(brand="acme", author=Author()) is None


def test_the_state_round_trips_through_json():
    state, _ = observe(None, author=Author(followers=3, following=4), mention_id="m1", at=T0)
    assert (
        AuthorState.model_validate(json.loads(json.dumps(state.model_dump(mode="json")))) == state
    )
