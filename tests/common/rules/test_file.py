"""Rules files: brands and their queries, errors at the file's line and column."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from smileback.common.errors import ConfigError
from smileback.common.rules import RuleSet, RuleSyntaxError, parse_rule
from smileback.common.rules.file import MAX_BRANDS, load_rules_file

ACME = """\
brands:
  acme:
    query: '("acme coffee" OR @acmecoffee OR #acmecoffee) AND NOT (hiring OR "job opening")'
  brightleaf:
    query: brightleaf tea
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_rules_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:")
    return message.removeprefix(f"{path}:")


def test_a_rules_file_compiles_each_brands_query_in_file_order(tmp_path: Path) -> None:
    rules = load_rules_file(write(tmp_path, ACME))
    assert list(rules) == ["acme", "brightleaf"]
    ruleset = RuleSet(rules)
    assert ruleset.match(text="Acme Coffee: my order, @AcmeCoffee?") == ("acme",)
    assert ruleset.match(text="acme coffee is hiring baristas") == ()
    assert ruleset.match(text="Brightleaf tea, acme coffee") == ("acme", "brightleaf")


@pytest.mark.parametrize(
    ("query_line", "expected"),
    [
        # single quotes: the column counts the quote; a doubled quote is one character
        ("    query: 'acme AND (refund OR'", "3:32: brands.acme.query: expected a term after OR"),
        ("    query: 'it''s acme )'", "3:24: brands.acme.query: ')' without a matching '('"),
        ('    query: "\\"acme\\" OR @ x"', "3:25: brands.acme.query: '@' is not a valid @handle"),
        ("    query: acme OR OR x", "3:20: brands.acme.query: expected a term, found OR"),
        ("    query: >\n      acme OR\n      (x AND", "5:13: brands.acme.query: expected a term"),
    ],
)
def test_a_query_that_does_not_parse_names_line_column_and_what_was_expected(
    tmp_path: Path, query_line: str, expected: str
) -> None:
    assert error_of(tmp_path, f"brands:\n  acme:\n{query_line}\n").startswith(expected)


def test_the_column_points_at_the_character_in_the_file(tmp_path: Path) -> None:
    text = 'brands:\n  a:\n    query: "\\u00e9t\\u00e9 AND (x OR ) y"\n'
    message = error_of(tmp_path, text)
    line, column = (int(part) for part in message.split(":")[:2])
    assert text.splitlines()[line - 1][column - 1] == ")"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("brand:\n  acme: {query: x}\n", "rules.yaml:1: brand: Extra inputs are not permitted"),
        ("brands:\n  acme:\n    query: x\n    lang: en\n", "4: brands.acme.lang: Extra inputs"),
        (
            "brands:\n  acme:\n    query: 42\n",
            "3: brands.acme.query: Input should be a valid str",
        ),
        ("brands:\n  acme:\n    query: [a, b]\n", "3: brands.acme.query: Input should be a valid"),
        ("brands:\n  Acme Co:\n    query: x\n", "2: brands.Acme Co: String should match pattern"),
        ("brands:\n  acme: {}\n", "2: brands.acme.query: Field required"),
        ("brands: {}\n", "1: brands: Dictionary should have at least 1 item"),
        ("brands:\n  a: {query: x}\n  a: {query: y}\n", "3: a: duplicate key"),
        ("", "1: brands: Field required"),
    ],
)
def test_unknown_keys_wrong_types_and_bad_names_are_refused_with_their_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert expected in error_of(tmp_path, text)


def test_a_file_may_name_at_most_max_brands(tmp_path: Path) -> None:
    many = "".join(f"  b{i}: {{query: x}}\n" for i in range(MAX_BRANDS + 1))
    assert error_of(tmp_path, "brands:\n" + many).startswith(
        f"1: brands: Dictionary should have at most {MAX_BRANDS} items"
    )


def test_a_query_longer_than_a_rule_may_be_is_refused_at_its_start(tmp_path: Path) -> None:
    message = error_of(tmp_path, "brands:\n  a:\n    query: " + "x " * 1001 + "\n")
    assert message.startswith("3:12: brands.a.query: rule longer than 2000 characters")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: cannot read"):
        load_rules_file(tmp_path / "nope.yaml")


@settings(max_examples=300, deadline=None)
@given(
    query=st.text(alphabet=st.sampled_from("ab (\")'@#:-\\\n\té"), min_size=1, max_size=60),
    style=st.sampled_from([None, "'", '"', "|", ">"]),
)
def test_the_column_points_at_the_character_whatever_the_yaml_style(
    query: str, style: str | None
) -> None:
    try:
        parse_rule(query)
    except RuleSyntaxError as exc:
        position = exc.position
    else:
        return
    source = yaml.safe_dump(
        {"brands": {"a": {"query": query}}}, default_style=style, width=20, allow_unicode=True
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rules.yaml"
        path.write_text(source, encoding="utf-8")
        with pytest.raises(ConfigError) as caught:
            load_rules_file(path)
    line, column = (int(p) for p in str(caught.value).removeprefix(f"{path}:").split(":")[:2])
    if position < len(query) and not query[position].isspace():
        found = source.splitlines()[line - 1][column - 1]
        # A double-quoted scalar writes some characters as escapes, which start with "\".
        assert found == query[position] or found == "\\"
