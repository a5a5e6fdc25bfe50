from datetime import UTC, datetime, timedelta

import pytest

from smileback.ingest.sources.sse import (
    DEAD_AFTER,
    Liveness,
    SseComment,
    SseEvent,
    SseOversized,
    SseParser,
)

T0 = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)

# What Mastodon's streaming server writes: `:)` on open, `event:` + `data:` per event (a
# Status as JSON for update, the bare id for delete), `:thump` every 15 s.
STREAM = (
    b":)\n"
    b"event: update\n"
    b'data: {"id":"109876543210","content":"<p>caf\xc3\xa9</p>"}\n\n'
    b":thump\n"
    b"event: delete\n"
    b"data: 109876543210\n\n"
)
EXPECTED = [
    SseComment(text=")"),
    SseEvent(event="update", data=b'{"id":"109876543210","content":"<p>caf\xc3\xa9</p>"}'),
    SseComment(text="thump"),
    SseEvent(event="delete", data=b"109876543210"),
]


def _feed_all(parser, chunks):
    return [result for chunk in chunks for result in parser.feed(chunk)]


def test_a_mastodon_stream_gives_its_comments_and_events_in_order():
    assert SseParser().feed(STREAM) == EXPECTED


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending_and_every_split_gives_the_same_events(newline):
    stream = STREAM.replace(b"\n", newline)
    assert SseParser().feed(stream) == EXPECTED
    one_byte_at_a_time = [stream[i : i + 1] for i in range(len(stream))]
    assert _feed_all(SseParser(), one_byte_at_a_time) == EXPECTED


def test_a_crlf_split_between_chunks_is_one_line_end_not_two():
    parser = SseParser()
    assert parser.feed(b"event: update\r") == []
    assert parser.feed(b"\ndata: 1\r") == []
    # Had the LF after the CR counted as a blank line, the event would end before its data.
    assert parser.feed(b"\n\r\n") == [SseEvent(event="update", data=b"1")]


def test_multi_line_data_is_joined_with_newlines():
    results = SseParser().feed(b'event: update\ndata: {\ndata:  "a": 1\ndata: }\n\n')
    assert results == [SseEvent(event="update", data=b'{\n "a": 1\n}')]


def test_a_disconnect_mid_event_emits_nothing_and_close_says_so():
    parser = SseParser()
    assert parser.feed(b':)\nevent: update\ndata: {"id": "1", "cont') == [SseComment(text=")")]
    assert parser.close() is True
    # A new connection starts clean: nothing of the cut event leaks into the next one.
    assert parser.feed(b"event: delete\ndata: 7\n\n") == [SseEvent(event="delete", data=b"7")]
    assert parser.close() is False


def test_a_disconnect_after_the_data_line_but_before_the_blank_line_emits_nothing():
    parser = SseParser()
    assert parser.feed(b"event: update\ndata: {}\n") == []
    assert parser.close() is True


def test_field_rules_of_the_event_stream_format():
    stream = (
        b"data:no space after the colon\n\n"  # one leading space is optional
        b"event: update\nretry: 1000\nunknown: x\nid: 42\ndata: a\n\n"  # retry and unknown ignored
        b"event: update\n\n"  # no data lines: not dispatched
        b"data\n\n"  # a field name alone: an empty data line
    )
    assert SseParser().feed(stream) == [
        SseEvent(event="message", data=b"no space after the colon"),
        SseEvent(event="update", data=b"a", id="42"),
        SseEvent(event="message", data=b"", id="42"),
    ]


def test_invalid_utf8_in_data_is_kept_as_the_exact_bytes():
    results = SseParser().feed(b'event: update\ndata: {"content": "\xff\xfe"}\n\n')
    assert results == [SseEvent(event="update", data=b'{"content": "\xff\xfe"}')]


def test_an_oversized_event_is_skipped_to_its_end_and_the_stream_goes_on():
    parser = SseParser(max_event_bytes=64)
    stream = b"event: update\n" + b"data: " + b"x" * 40 + b"\n" + b"data: " + b"y" * 40 + b"\n\n"
    stream += b"event: delete\ndata: 7\n\n"
    results = parser.feed(stream)
    assert results == [
        SseOversized(event="update", head=b"x" * 40 + b"\n" + b"y" * 40),
        SseEvent(event="delete", data=b"7"),
    ]


def test_an_endless_line_is_dropped_without_growing_the_buffer():
    parser = SseParser(max_event_bytes=64)
    assert parser.feed(b"event: update\ndata: " + b"x" * 100) == []
    assert parser.feed(b"x" * 100) == []
    assert parser.feed(b"\n\nevent: delete\ndata: 7\n\n") == [
        SseOversized(event="update", head=b""),
        SseEvent(event="delete", data=b"7"),
    ]


def test_the_tail_of_an_endless_line_is_not_read_as_a_field_or_comment():
    parser = SseParser(max_event_bytes=64)
    assert parser.feed(b"event: update\ndata: " + b"x" * 100) == []
    # Cut where it was, the line's tail looks like a comment; it is still the same line.
    assert parser.feed(b":not a comment\n\n") == [SseOversized(event="update", head=b"")]


def test_a_stream_is_dead_after_45_seconds_without_a_byte():
    assert timedelta(seconds=45) == DEAD_AFTER
    liveness = Liveness(started=T0)
    assert not liveness.is_dead(now=T0 + timedelta(seconds=44))
    assert liveness.is_dead(now=T0 + timedelta(seconds=45))


def test_every_byte_including_a_heartbeat_keeps_a_stream_alive():
    liveness = Liveness(started=T0)
    for second in (15, 30, 45, 60):
        liveness.saw_bytes(at=T0 + timedelta(seconds=second))
    assert not liveness.is_dead(now=T0 + timedelta(seconds=104))
    assert liveness.is_dead(now=T0 + timedelta(seconds=105))


def test_a_late_report_of_older_bytes_does_not_move_liveness_back():
    liveness = Liveness(started=T0, dead_after=timedelta(seconds=10))
    liveness.saw_bytes(at=T0 + timedelta(seconds=8))
    liveness.saw_bytes(at=T0 + timedelta(seconds=2))
    assert not liveness.is_dead(now=T0 + timedelta(seconds=17))
