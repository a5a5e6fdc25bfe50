"""YAML config files: errors name the file, the line and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from smileback.common.errors import ConfigError
from smileback.common.yamlconf import Located, read_yaml, validate_located


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    size: int
    name: str = ""


class Outer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[Inner] = []
    label: str = ""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "conf.yaml"
    path.write_text(text)
    return path


def load(path: Path) -> Outer:
    doc = read_yaml(path)
    return validate_located(Outer, doc.data, sources=[Located(prefix=(), doc=doc, at=())])


def test_valid_file_loads(tmp_path: Path) -> None:
    outer = load(write(tmp_path, "label: x\nitems:\n  - size: 3\n"))
    assert outer.items[0].size == 3


def test_wrong_type_points_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "label: x\nitems:\n  - size: 3\n  - name: b\n    size: lots\n")
    with pytest.raises(ConfigError) as info:
        load(path)
    assert str(info.value).startswith(f"{path}:5: items.1.size: ")
    assert "integer" in str(info.value)


def test_unknown_key_points_at_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, "label: x\n\n\nsurprise: 1\n")
    with pytest.raises(ConfigError, match=r"conf.yaml:4: surprise: Extra inputs"):
        load(path)


def test_missing_key_points_at_its_parent(tmp_path: Path) -> None:
    path = write(tmp_path, "items:\n  - name: a\n")
    with pytest.raises(ConfigError, match=r"conf.yaml:2: items.0.size: Field required"):
        load(path)


def test_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = write(tmp_path, "label: x\nitems: [1, 2\nother: 3\n")
    with pytest.raises(ConfigError, match=r"conf.yaml:3: invalid YAML"):
        read_yaml(path)


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "items:\n  - size: 1\n    size: 2\n")
    with pytest.raises(ConfigError, match=r"conf.yaml:3: size: duplicate key"):
        read_yaml(path)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        read_yaml(tmp_path / "nope.yaml")


def test_times_stay_strings_and_empty_is_empty(tmp_path: Path) -> None:
    doc = read_yaml(write(tmp_path, "at: 17:30\nn: 12\n"))
    assert doc.data == {"at": "17:30", "n": 12}
    assert read_yaml(write(tmp_path, "")).data == {}


@pytest.mark.parametrize(
    "source",
    [
        "q: ab X cd\n",
        "q: ab\n  cd X\n",  # plain, folded over two lines
        "q: 'it''s X'\n",
        'q: "\\"a\\" \\x41\\u00e9\\t X"\n',
        'q: "ab \\\n   cd X"\n',  # an escaped line break
        "q: |\n  ab\n  cd X\n",
        "q: >- # a comment\n  ab\n\n   cd\n  X\n",
        "top:\n  q: >\r\n    ab\r\n    X\r\n",
    ],
)
def test_a_character_of_a_string_is_placed_where_it_is_in_the_file(
    tmp_path: Path, source: str
) -> None:
    path = tmp_path / "conf.yaml"
    path.write_bytes(source.encode())
    doc = read_yaml(path)
    loc = ("top", "q") if "top" in doc.data else ("q",)
    value = doc.data["top"]["q"] if "top" in doc.data else doc.data["q"]
    line, column = doc.place_in(loc, index=value.index("X"))
    assert source.splitlines()[line - 1][column - 1] == "X"


def test_past_the_end_is_placed_after_the_last_non_blank(tmp_path: Path) -> None:
    doc = read_yaml(write(tmp_path, "a: 1\nq: 'ab  '\n"))
    assert doc.place_in(("q",), index=4) == (2, 7)
    assert read_yaml(write(tmp_path, "q: '  '\n")).place_in(("q",), index=0) == (1, 5)
