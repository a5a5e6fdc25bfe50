"""An incident's saved state: bounded whatever the thread's size, and read from older saves."""

from __future__ import annotations

import json

from smileback.alerts.incidents import Incident
from smileback.alerts.incidents.model import RECENT_IDS
from tests.alerts.factory import incident


def test_a_mention_counts_once_and_only_the_newest_ids_are_kept() -> None:
    inc = incident(mention_count=0, recent_ids=[])
    for n in range(RECENT_IDS + 500):
        assert inc.count(f"m{n}") is True
    assert inc.count(f"m{RECENT_IDS + 499}") is False  # a redelivery of a recent one
    assert inc.mention_count == RECENT_IDS + 500
    assert len(inc.recent_ids) == RECENT_IDS
    assert inc.recent_ids[0] == "m500"
    assert inc.recent_ids[-1] == f"m{RECENT_IDS + 499}"


def test_a_saved_state_stays_small_however_long_the_thread() -> None:
    inc = incident(mention_count=0, recent_ids=[])
    for n in range(RECENT_IDS):
        inc.count(f"m{n:06}")
    size = len(inc.model_dump_json())
    for n in range(RECENT_IDS, 20 * RECENT_IDS):
        inc.count(f"m{n:06}")
    assert len(inc.model_dump_json()) <= size + 100  # the count's digits, no more ids


def test_a_state_saved_with_every_mention_id_is_read_as_count_and_recent_ids() -> None:
    saved = json.loads(incident().model_dump_json())
    del saved["mention_count"], saved["recent_ids"]
    saved["mention_ids"] = [f"m{n}" for n in range(RECENT_IDS + 3)]
    restored = Incident.model_validate_json(json.dumps(saved))
    assert restored.mention_count == RECENT_IDS + 3
    assert len(restored.recent_ids) == RECENT_IDS
    assert restored.count("m1") is True  # m0 to m2 fell out of the window: counted as new
    assert restored.count(f"m{RECENT_IDS + 2}") is False
