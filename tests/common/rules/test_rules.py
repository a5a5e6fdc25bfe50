"""The brand rule language: parsing, errors at their position, canonical text, matching."""

from __future__ import annotations

import importlib

import pytest

from smileback.common.rules import (
    MAX_RULE_CHARS,
    And,
    CompiledRule,
    Not,
    Or,
    RuleSyntaxError,
    Term,
    TermKind,
    compile_rule,
    compile_tree,
    is_token,
    parse_rule,
    render_rule,
    term_of,
    tokens,
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
        ("x #-b", 2, "'#-b' is not a valid #tag"),
        ("x @a.", 2, "'@a.' is not a valid @handle"),
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


@pytest.mark.parametrize(
    "word", ["@acme", "#acme-coffee", "@name@host.example", "@x.bsky.social", "#a_b"]
)
def test_a_term_the_parser_accepts_is_a_token_the_matcher_finds(word: str) -> None:
    assert is_token(word)
    assert tokens(f"hi {word}, bye") == {word.lower()}
    assert compile_rule(word).matches(text=f"hi {word.upper()}!") is True


@pytest.mark.parametrize("word", ["@", "#", "@-a", "@a.", "@a b", "x@a"])
def test_what_is_not_a_token(word: str) -> None:
    assert not is_token(word)


def test_tokens_are_not_glued_to_a_word_and_are_lower_cased() -> None:
    assert tokens("mail@acme.com #Ad @Acme@Host.Example x#no") == {"#ad", "@acme@host.example"}


def test_term_of_reads_one_literal_term() -> None:
    assert term_of("  Acme ") == Term(W, "Acme")
    assert term_of("acme \t coffee") == Term(P, "acme coffee")
    assert term_of("@AcmeHelp") == Term(H, "@acmehelp")
    assert term_of("#Ad") == Term(T, "#ad")
    assert term_of("AND") == Term(W, "AND")  # a literal term, not an operator
    assert term_of('c++ "coffee"') == Term(P, 'c++ "coffee"')


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("  ", "empty term"),
        ("@", "'@' is not a valid @handle"),
        ("#a b", "'#a b' is not a valid #tag"),
    ],
)
def test_term_of_refuses_empty_and_malformed_terms(text: str, reason: str) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        term_of(text, position=7)
    assert (caught.value.reason, caught.value.position) == (reason, 7)


def test_a_tree_built_in_code_matches_like_the_parsed_rule() -> None:
    built = compile_tree(Or((Term(P, "acme coffee"), Term(H, "@acmehelp"))))
    parsed = compile_rule('"acme coffee" OR @acmehelp')
    assert isinstance(built, CompiledRule)
    for text in ("ACME  coffee!", "hi @AcmeHelp", "acme coffees", "@acmehelp_fan", "x@acmehelp"):
        assert built.matches(text=text) is parsed.matches(text=text)
    assert [built.matches(text=t) for t in ("ACME  coffee!", "hi @AcmeHelp", "x@acmehelp")] == [
        True,
        True,
        False,
    ]


@pytest.mark.parametrize(
    "module",
    [
        "smileback.common.rules",
        "smileback.common.rules.file",
        "smileback.common.rules.keys",
        "smileback.common.rules.matching",
        "smileback.common.rules.ruleset",
        "smileback.common.rules.syntax",
        "smileback.common.rules.tokens",
    ],
)
def test_every_rules_module_declares_names_that_exist(module: str) -> None:
    loaded = importlib.import_module(module)
    assert loaded.__all__
    assert [name for name in loaded.__all__ if not hasattr(loaded, name)] == []
