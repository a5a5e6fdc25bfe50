import io
import json
import os
from pathlib import Path

import pytest

from smileback.common.errors import ConfigError
from smileback.ingest.inputs import InputFormat, format_of, is_regular_file, open_input, records


@pytest.mark.parametrize(
    ("name", "given", "expected"),
    [
        ("a.csv", None, InputFormat.CSV),
        ("A.CSV", None, InputFormat.CSV),
        ("a.jsonl", None, InputFormat.JSONL),
        ("a.ndjson", None, InputFormat.JSONL),
        ("-", None, InputFormat.JSONL),
        ("a.txt", None, InputFormat.JSONL),
        ("a.jsonl", InputFormat.CSV, InputFormat.CSV),
    ],
)
def test_the_format_is_the_given_one_else_by_extension(name, given, expected):
    assert format_of(Path(name), given) is expected


def test_json_lines_are_passed_as_their_exact_bytes():
    data = b'{"id": "a"}\n\xff\xfe\n{"id": "b"}'
    assert list(records(io.BytesIO(data), InputFormat.JSONL)) == [
        b'{"id": "a"}\n',
        b"\xff\xfe\n",
        b'{"id": "b"}',
    ]


def test_csv_rows_become_objects_of_their_non_empty_cells():
    data = 'id,text,lang\nm1,"say ""hi"", twice\nplease",\nm2,café,fr\n'.encode()
    rows = [json.loads(r) for r in records(io.BytesIO(data), InputFormat.CSV)]
    assert rows == [
        {"id": "m1", "text": 'say "hi", twice\nplease'},
        {"id": "m2", "text": "café", "lang": "fr"},
    ]


def test_a_csv_row_with_invalid_utf8_is_still_read_with_replacement_characters():
    data = b"id,text\nm1,bad \xff byte\nm2,fine\n"
    rows = [json.loads(r) for r in records(io.BytesIO(data), InputFormat.CSV)]
    assert rows == [{"id": "m1", "text": "bad \ufffd byte"}, {"id": "m2", "text": "fine"}]


def test_progress_reads_the_same_bytes_and_draws_on_stderr(tmp_path, capsys):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"id": "a"}\n{"id": "b"}\n')
    with open_input(path, progress=True) as handle:
        assert list(records(handle, InputFormat.JSONL)) == [b'{"id": "a"}\n', b'{"id": "b"}\n']
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "in.jsonl" in captured.err
    assert "100%" in captured.err


def test_a_missing_input_is_a_config_error(tmp_path):
    with (
        pytest.raises(ConfigError, match="cannot read input"),
        open_input(tmp_path / "nope.csv", progress=False),
    ):
        pass


@pytest.mark.parametrize("progress", [False, True])
def test_a_file_is_a_regular_file_with_or_without_a_bar(tmp_path, progress):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"id": "a"}\n')
    with open_input(path, progress=progress) as handle:
        assert is_regular_file(handle)


def test_a_pipe_or_memory_is_not_a_regular_file():
    read_end, write_end = os.pipe()
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        assert not is_regular_file(pipe)
    assert not is_regular_file(io.BytesIO(b"{}"))
