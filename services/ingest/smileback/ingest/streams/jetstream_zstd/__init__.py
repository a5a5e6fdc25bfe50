"""Jetstream v1's zstd frames: `/subscribe?compress=true` sends each event as a binary
WebSocket message holding one zstd frame, compressed with a dictionary trained on Bluesky's
events (id 1612007021) that a client must hold itself, since no endpoint serves it. This
package ships that dictionary, `v1.zdict`, copied from Jetstream (see NOTICE).

The dictionary is read with importlib.resources as bytes and handed to zstd: data, never
code. A frame is inflated through a reader that stops one byte past the limit, so a frame
that claims or expands to more than `max_size` costs that much memory and no more.
"""

from __future__ import annotations

import io
from importlib.resources import files

import zstandard

__all__ = ["DICTIONARY_ID", "FrameDecoder", "FrameError"]

DICTIONARY_ID = 1612007021


class FrameError(Exception):
    """A binary message that is not one zstd frame of an event within the size limit."""


class FrameDecoder:
    """Inflates Jetstream v1's compressed messages into the event JSON they carry."""

    def __init__(self, *, max_size: int) -> None:
        data = files(__package__).joinpath("v1.zdict").read_bytes()
        dictionary = zstandard.ZstdCompressionDict(data, dict_type=zstandard.DICT_TYPE_FULLDICT)
        if dictionary.dict_id() != DICTIONARY_ID:  # a damaged install, not a bad frame
            raise RuntimeError(f"Jetstream's zstd dictionary has id {dictionary.dict_id()}")
        self._decompressor = zstandard.ZstdDecompressor(dict_data=dictionary)
        self._max_size = max_size

    def decode(self, frame: bytes) -> bytes:
        """The event's JSON bytes; FrameError when `frame` cannot be one."""
        try:
            with self._decompressor.stream_reader(io.BytesIO(frame)) as reader:
                event = reader.read(self._max_size + 1)
        except zstandard.ZstdError as exc:
            raise FrameError(f"not a zstd frame of Jetstream's dictionary: {exc}") from None
        if len(event) > self._max_size:
            raise FrameError(f"a compressed event over {self._max_size} bytes")
        if not event:
            raise FrameError("an empty or truncated zstd frame")
        return event
