"""The brand rule language: parsing, errors at their position, canonical text, matching."""

from __future__ import annotations

import pytest

from smileback.api.rules import (
    MAX_RULE_CHARS,
    And,
    Not,
    Or,
    RuleSyntaxError,
    Term,
    TermKind,
    compile_rule,
    parse_rule,
    render_rule,
)

W, P, H, T = TermKind.WORD, TermKind.PHRASE, TermKind.HANDLE, TermKind.TAG


def test_precedence_not_over_and_over_or() -> None:
    tree = parse_rule('"acme coffee" AND NOT #ad OR @AcmeHelp refund')
    assert tree == Or(
        (
            And((Term(P, "acme coffee"), Not(Term(T, "#ad")))),
            And((Term(H, "@acmehelp"), Term(W, "refund"))),
        )
    )


def test_parentheses_group_and_side_by_side_means_and() -> None:
    assert parse_rule("acme (coffee OR tea)") == And(
        (Term(W, "acme"), Or((Term(W, "coffee"), Term(W, "tea"))))
    )


def test_phrase_whitespace_is_normalised_and_lowercase_operators_are_words() -> None:
    assert parse_rule('"  acme \t  coffee "') == Term(P, "acme coffee")
    assert parse_rule('"acme\n coffee"') == Term(P, "acme coffee")
    assert parse_rule("cats and dogs") == And((Term(W, "cats"), Term(W, "and"), Term(W, "dogs")))


@pytest.mark.parametrize(
    "rule",
    [
        '"acme coffee" AND (refund OR @acmehelp) AND NOT #ad',
        "NOT (a OR b)",
        "NOT NOT a",
        "a OR b AND c",
        "(a OR b) AND (c OR NOT d)",
        "@name@host.example OR @x.bsky.social",
    ],
)
def test_render_gives_text_that_parses_to_the_same_tree(rule: str) -> None:
    tree = parse_rule(rule)
    assert parse_rule(render_rule(tree)) == tree


@pytest.mark.parametrize(
    ("rule", "position", "reason"),
    [
        ("", 0, "empty rule"),
        ("   ", 0, "empty rule"),
        ("(acme", 0, "'(' is never closed"),
        ("acme)", 4, "')' without a matching '('"),
        ("acme AND", 8, "expected a term after AND, found the end"),
        ("acme OR OR b", 8, "expected a term, found OR"),
        ("AND acme", 0, "expected a term, found AND"),
        ('acme "coffee', 5, "unclosed quote"),
        ('acme ""', 5, "empty phrase"),
        ("acme ()", 5, "empty parentheses"),
        ("a AND (b OR", 11, "expected a term after OR, found the end"),
        ("acme NOT", 8, "expected a term after NOT, found the end"),
        ("x @", 2, "'@' is not a valid @handle"),
        ("x @-bad", 2, "'@-bad' is not a valid @handle"),
        ("x #", 2, "'#' is not a valid #tag"),
        ("x #a-b", 2, "'#a-b' is not a valid #tag"),
        ("a (b ) )", 7, "')' without a matching '('"),
    ],
)
def test_syntax_errors_name_the_position(rule: str, position: int, reason: str) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule(rule)
    assert caught.value.position == position
    assert caught.value.reason == reason
    assert str(caught.value) == f"{reason} at position {position}"


def test_limits_on_length_and_nesting() -> None:
    with pytest.raises(RuleSyntaxError, match="longer than"):
        parse_rule("a " * (MAX_RULE_CHARS // 2 + 1))
    with pytest.raises(RuleSyntaxError, match="nested too deeply") as caught:
        parse_rule("(" * 100 + "a" + ")" * 100)
    assert caught.value.position == 64
    assert parse_rule("(" * 60 + "a" + ")" * 60) == Term(W, "a")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Acme  Coffee, I want a REFUND", True),
        ("acme coffee refund #AD", False),
        ("acme coffee, hi @AcmeHelp!", True),
        ("acme coffees refund", False),  # a phrase matches whole words only
        ("acme coffee refund @acmehelp_fan", True),
        ("acme coffee @acmehelp_fan", False),  # a handle matches a whole handle only
        ("mail@acmehelp acme coffee", False),  # not a handle: glued to a word
        ("", False),
    ],
)
def test_matching(text: str, expected: bool) -> None:
    rule = compile_rule('"acme coffee" AND (refund OR @acmehelp) AND NOT #ad')
    assert rule.matches(text=text) is expected


def test_a_word_never_matches_inside_a_handle_or_tag() -> None:
    rule = compile_rule("acme")
    assert rule.matches(text="Acme's new cup") is True
    assert rule.matches(text="@acme hello") is False
    assert rule.matches(text="#acme hello") is False
