import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import REGISTRY

from smileback.common.bus import InMemoryBus
from smileback.common.events import DlqRecord, Mention, decode
from smileback.common.topics import Topics
from smileback.ingest.dedupe import SeenIds
from smileback.ingest.mapping import FieldMap
from smileback.ingest.replay import IngestReport, replay
from smileback.ingest.rules import BrandMatcher
from smileback.ingest.sinks import BusSink, FileSink, Sink

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
TOPICS = Topics()
ACME = {"acme": ["acme coffee", "@acmecoffee"]}


def line(mention_id: str, text: str = "hello @acmecoffee", **fields) -> bytes:
    return json.dumps({"id": mention_id, "text": text, **fields}).encode()


def reply(mention_id: str, *, root: str, parent: str | None = None) -> bytes:
    thread = {"root_id": root, "parent_id": parent or root}
    return line(mention_id, "@acmecoffee same here", thread=thread)


def run(lines, *, brands=None, pace=None, seen=None, mapping=None):
    bus = InMemoryBus(TOPICS.all())
    report = replay(
        lines=lines,
        sink=BusSink(bus=bus, topics=TOPICS, clock=lambda: NOW),
        matcher=BrandMatcher.from_terms(brands if brands is not None else ACME),
        seen=SeenIds() if seen is None else seen,
        clock=lambda: NOW,
        mapping=mapping,
        pace=pace,
    )
    return report, bus


def published(bus: InMemoryBus) -> list[Mention]:
    """In partition order: in publish order within one thread."""
    return [decode(Mention, r.value) for r in bus.records(TOPICS.raw)]


def test_each_mention_is_published_keyed_by_its_thread_root():
    lines = [
        line("root-1"),
        line("root-2", "Acme Coffee is open"),
        reply("r-1", root="root-1"),
        reply("r-2", root="root-1", parent="r-1"),
        reply("r-3", root="root-2"),
    ]
    report, bus = run(lines)
    assert report == IngestReport(read=5, published=5, duplicates=0, unmatched=0, dlq=0)
    records = bus.records(TOPICS.raw)
    keys = {decode(Mention, r.value).id: r.key for r in records}
    assert keys == {
        "root-1": b"root-1",
        "root-2": b"root-2",
        "r-1": b"root-1",
        "r-2": b"root-1",
        "r-3": b"root-2",
    }
    partition = {decode(Mention, r.value).id: r.partition for r in records}
    assert partition["r-1"] == partition["r-2"] == partition["root-1"]
    assert partition["r-3"] == partition["root-2"]


def test_published_mentions_carry_brand_and_ingest_time():
    _, bus = run([line("m1", "Acme Coffee rocks"), line("m2", "x", brand="other")])
    by_id = {m.id: m for m in published(bus)}
    assert (by_id["m1"].brand, by_id["m2"].brand) == ("acme", "other")
    assert by_id["m1"].ingested_at == NOW
    assert by_id["m1"].created_at == NOW


def test_a_repeated_id_is_skipped():
    report, bus = run([line("m1"), line("m2"), line("m1", "@acmecoffee edited text")])
    assert (report.published, report.duplicates) == (2, 1)
    by_id = {m.id: m for m in published(bus)}
    assert sorted(by_id) == ["m1", "m2"]
    assert by_id["m1"].text == "hello @acmecoffee"


def test_ids_seen_in_an_earlier_replay_are_duplicates():
    seen = SeenIds()
    run([line("m1")], seen=seen)
    report, _bus = run([line("m1"), line("m2")], seen=seen)
    assert (report.published, report.duplicates) == (1, 1)


def test_a_tombstone_for_a_seen_post_passes_once():
    tombstone = line("m1", "", deleted=True)
    report, bus = run([line("m1"), reply("m2", root="m1"), tombstone, tombstone])
    assert report == IngestReport(read=4, published=3, duplicates=1, unmatched=0, dlq=0)
    out = published(bus)
    assert [(m.id, m.deleted) for m in out] == [("m1", False), ("m2", False), ("m1", True)]
    tomb = bus.records(TOPICS.raw)[-1]
    assert tomb.key == b"m1"


def test_a_tombstone_passes_brand_rules_it_cannot_match():
    report, bus = run([line("m1", "", deleted=True)], brands=ACME)
    assert report.published == 1
    assert report.unmatched == 0
    assert published(bus)[0].deleted is True


def test_unmatched_mentions_are_counted_not_published():
    report, bus = run([line("m1", "nothing about coffee"), line("m2", "Acme Coffee!")])
    assert report == IngestReport(read=2, published=1, duplicates=0, unmatched=1, dlq=0)
    assert [m.id for m in published(bus)] == ["m2"]


def test_without_brands_everything_passes_with_its_own_brand():
    report, bus = run([line("m1", "nothing about coffee")], brands={})
    assert report.published == 1
    assert published(bus)[0].brand is None


def test_bad_lines_go_to_the_dlq_with_their_exact_bytes_and_the_stream_goes_on():
    invalid_utf8 = b'{"id": "u1", "text": "caf\xe9 \xff\xfe"}'
    malformed = b'{"id": "j1", "text": "cut off'
    oversize = line("big", "a" * 10_001)
    wrong_type = b'{"id": "t1", "text": 12}'
    unknown_field = line("f1", "@acmecoffee hi", mood="grumpy")
    not_an_object = b'["id", "text"]'
    bad = [invalid_utf8, malformed, oversize, wrong_type, unknown_field, not_an_object]
    report, bus = run([line("ok-1"), *bad, line("ok-2")])
    assert report == IngestReport(read=8, published=2, duplicates=0, unmatched=0, dlq=6)
    assert sorted(m.id for m in published(bus)) == ["ok-1", "ok-2"]
    dead = [decode(DlqRecord, r.value) for r in bus.records(TOPICS.dlq)]
    assert [d.raw for d in dead] == bad
    assert {d.stage for d in dead} == {"ingest"}
    assert [d.source_id for d in dead] == [None, None, "big", "t1", "f1", None]
    assert [r.key for r in bus.records(TOPICS.dlq)] == [None, None, b"big", b"t1", b"f1", None]
    assert "invalid UTF-8" in dead[0].error
    assert "Invalid JSON" in dead[1].error
    assert "text: String should have at most 10000 characters" in dead[2].error
    assert "text: Input should be a valid string" in dead[3].error
    assert "mood: Extra inputs are not permitted" in dead[4].error
    assert "Input should be an object" in dead[5].error
    assert all(d.at == NOW for d in dead)


def test_blank_lines_are_skipped_and_line_endings_dropped():
    bad = b'{"id": "j1", "text": "cut off'
    lines = [b"\n", line("m1") + b"\r\n", b"   \n", b"", bad + b"\n", line("m2") + b"\n"]
    report, bus = run(lines)
    assert report == IngestReport(read=3, published=2, duplicates=0, unmatched=0, dlq=1)
    assert decode(DlqRecord, bus.records(TOPICS.dlq)[0].value).raw == bad


def test_pace_sees_each_published_mention_before_it_is_published():
    bus_sizes: list[tuple[str, int]] = []
    bus_holder: list[InMemoryBus] = []

    def pace(mention: Mention) -> None:
        size = len(bus_holder[0].records(TOPICS.raw)) if bus_holder else -1
        bus_sizes.append((mention.id, size))

    bus = InMemoryBus(TOPICS.all())
    bus_holder.append(bus)
    replay(
        lines=[line("m1"), line("m1"), line("x", "off topic"), b"{", line("m2")],
        sink=BusSink(bus=bus, topics=TOPICS, clock=lambda: NOW),
        matcher=BrandMatcher.from_terms(ACME),
        seen=SeenIds(),
        clock=lambda: NOW,
        pace=pace,
    )
    assert bus_sizes == [("m1", 0), ("m2", 1)]


def test_outcomes_are_counted_in_the_records_metric():
    def value(outcome: str) -> float:
        labels = {"stage": "ingest", "outcome": outcome}
        return REGISTRY.get_sample_value("smileback_records_total", labels) or 0.0

    before = {o: value(o) for o in ("published", "duplicate", "unmatched", "dlq")}
    run([line("m1"), line("m1"), line("m2", "off topic"), b"nope"])
    after = {o: value(o) - before[o] for o in before}
    assert after == {"published": 1, "duplicate": 1, "unmatched": 1, "dlq": 1}


def test_report_as_json():
    report = IngestReport(read=4, published=1, duplicates=1, unmatched=1, dlq=1)
    assert json.loads(report.to_json()) == {
        "read": 4,
        "published": 1,
        "duplicates": 1,
        "unmatched": 1,
        "dlq": 1,
    }


def test_a_mapping_renames_fields_before_the_mention_is_parsed():
    raw = json.dumps({"post_id": "p1", "body": "hi @acmecoffee", "user": "ann", "extra": 1})
    mapping = FieldMap.parse("id=post_id,text=body,author.handle=user")
    report, bus = run([raw.encode(), b'{"post_id": "p2"}'], mapping=mapping)
    assert (report.published, report.dlq) == (1, 1)
    (mention,) = published(bus)
    assert (mention.id, mention.text, mention.author.handle) == ("p1", "hi @acmecoffee", "ann")
    dead = decode(DlqRecord, bus.records(TOPICS.dlq)[0].value)
    assert dead.raw == b'{"post_id": "p2"}'  # the input as it was, not as mapped
    assert "text: Field required" in dead.error


def test_an_edit_is_kept_only_when_its_first_version_was_not():
    versions = [
        line("m1", "cold again"),  # matches no brand: not kept, its id not remembered
        line("m1", "cold again, @acmecoffee"),  # the edit that names the brand
        line("m1", "cold again, @acmecoffee!!"),  # an edit of a kept mention
    ]
    report, bus = run(versions)
    assert (report.unmatched, report.published, report.duplicates) == (1, 1, 1)
    assert [m.text for m in published(bus)] == ["cold again, @acmecoffee"]


def test_a_mapped_record_over_the_text_limit_is_kept_cut_and_flagged():
    raw = json.dumps({"post_id": "p1", "body": "@acmecoffee " + "a" * 20_000})
    report, bus = run([raw.encode()], mapping=FieldMap.parse("id=post_id,text=body"))
    assert (report.published, report.dlq) == (1, 0)
    (mention,) = published(bus)
    assert len(mention.text) == 10_000
    assert mention.text.startswith("@acmecoffee aaa")
    assert mention.text_truncated is True


def test_published_text_is_nfc_without_control_characters():
    report, bus = run([line("m1", "cafe\u0301\x1b @acmecoffee")])
    assert report.published == 1
    assert published(bus)[0].text == "café @acmecoffee"


def test_a_file_sink_writes_mention_lines_and_names_each_rejected_record():
    out, err = io.BytesIO(), io.StringIO()
    sink = FileSink(out=out, err=err)
    report = replay(
        lines=[line("m1"), b"{", line("x", "off topic"), line("m2")],
        sink=sink,
        matcher=BrandMatcher.from_terms(ACME),
        seen=SeenIds(),
        clock=lambda: NOW,
    )
    sink.flush()
    assert report == IngestReport(read=4, published=2, duplicates=0, unmatched=1, dlq=1)
    mentions = [decode(Mention, raw) for raw in out.getvalue().splitlines()]
    assert [(m.id, m.brand) for m in mentions] == [("m1", "acme"), ("m2", "acme")]
    assert err.getvalue().startswith("record 2: ")
    assert "Invalid JSON" in err.getvalue()


class _Recording(Sink):
    """Records every call it gets, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | int]] = []

    def write(self, mention: Mention) -> None:
        self.calls.append(("write", mention.id))

    def reject(self, *, raw: bytes, error: str, source_id: str | None, number: int) -> None:
        self.calls.append(("reject", number))

    def flush(self, timeout_s: float | None = None) -> None:
        self.calls.append(("flush", 0))


def _replay_into(sink: Sink, lines: list[bytes], **options) -> IngestReport:
    return replay(
        lines=lines,
        sink=sink,
        matcher=BrandMatcher.from_terms(ACME),
        seen=SeenIds(),
        clock=lambda: NOW,
        **options,
    )


def test_a_grouped_replay_makes_the_same_calls_in_the_same_order():
    lines = [line(f"m{i}") if i % 700 else b"{" for i in range(1, 3001)]
    lines += [line("m5"), line("off", "off topic")]
    one_by_one, grouped = _Recording(), _Recording()
    report = _replay_into(one_by_one, lines)
    assert _replay_into(grouped, lines, grouped=True) == report
    assert report == IngestReport(read=3002, published=2996, duplicates=1, unmatched=1, dlq=4)
    assert grouped.calls == one_by_one.calls
    assert grouped.calls[698:700] == [("write", "m699"), ("reject", 700)]
    assert grouped.calls[-1] == ("write", "m3000")


def test_a_paced_replay_is_never_grouped():
    sink = _Recording()
    written_before: list[int] = []
    _replay_into(
        sink,
        [line("m1"), line("m2"), line("m3")],
        grouped=True,
        pace=lambda mention: written_before.append(len(sink.calls)),
    )
    assert written_before == [0, 1, 2]
    assert [call for _, call in sink.calls] == ["m1", "m2", "m3"]


def _counted(lines: list[bytes], read: list[bytes]) -> Iterator[bytes]:
    for raw in lines:
        read.append(raw)
        yield raw


class _ReadCounting(_Recording):
    """Records with each write how many input lines had been read by then."""

    def __init__(self, read: list[bytes]) -> None:
        super().__init__()
        self._read = read

    def write(self, mention: Mention) -> None:
        self.calls.append(("write", len(self._read)))


def test_a_grouped_replay_hands_over_its_writes_in_runs():
    for grouped, lines_read_at_each_write in [(False, [1, 2, 3]), (True, [3, 3, 3])]:
        read: list[bytes] = []
        sink = _ReadCounting(read)
        _replay_into(sink, _counted([line("m1"), line("m2"), line("m3")], read), grouped=grouped)
        assert [count for _, count in sink.calls] == lines_read_at_each_write
