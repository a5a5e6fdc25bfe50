import pytest
from pydantic import ValidationError

from smileback.common.events import Mention
from smileback.ingest.sources.outcomes import Rejected, invalid_mention


def test_invalid_mention_names_the_first_field_that_failed():
    with pytest.raises(ValidationError) as caught:
        Mention(id="x" * 513, text="t" * 10_001)
    assert invalid_mention(caught.value, what="status") == Rejected(
        reason="status: not a valid Mention: id: String should have at most 512 characters"
    )
