import pytest
import zstandard

from smileback.ingest.streams.jetstream_zstd import DICTIONARY_ID, FrameDecoder, FrameError
from tests.support.jetstream_server import V1_FRAMES

EVENT = b'{"did": "did:plc:alice", "time_us": 1773480000000000, "kind": "commit"}'


def test_a_frame_made_with_the_v1_dictionary_inflates_to_its_event() -> None:
    frame = V1_FRAMES.compress(EVENT)
    assert zstandard.get_frame_parameters(frame).dict_id == DICTIONARY_ID
    assert FrameDecoder(max_size=1024).decode(frame) == EVENT


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (b"", "empty"),
        (b"{not a frame}", "not a zstd frame"),
        (V1_FRAMES.compress(b"x" * 2048), "over 1024 bytes"),
    ],
)
def test_a_frame_that_is_not_an_event_is_a_frame_error(frame: bytes, reason: str) -> None:
    with pytest.raises(FrameError, match=reason):
        FrameDecoder(max_size=1024).decode(frame)


def test_a_frame_claiming_a_huge_size_costs_no_more_than_the_limit() -> None:
    # 16 MiB of zeros compresses to a few KiB; the decoder reads at most the limit + 1 byte.
    frame = zstandard.ZstdCompressor().compress(bytes(16 * 1024 * 1024))
    assert len(frame) < 100_000
    with pytest.raises(FrameError, match="over 1024 bytes"):
        FrameDecoder(max_size=1024).decode(frame)
