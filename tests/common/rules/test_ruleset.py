"""A RuleSet answers exactly as asking every CompiledRule, and evaluates only candidates."""

from __future__ import annotations

from dataclasses import fields

from hypothesis import given, settings
from hypothesis import strategies as st

from smileback.common.rules import (
    And,
    CompiledRule,
    Node,
    Not,
    Or,
    RuleSet,
    Term,
    TermKind,
    compile_rule,
    compile_tree,
    term_of,
    tokens,
)
from smileback.common.rules.keys import text_keys

W, P, H, T = TermKind.WORD, TermKind.PHRASE, TermKind.HANDLE, TermKind.TAG

# Few enough words that random rules and texts meet; with the characters that case folding,
# word boundaries and tokens treat specially.
_WORDS = ["acme", "Acme", "coffee", "job", "opening", "c++", "don't", "sale"]
_WORDS += ["\u0130stanbul", "\u03b9"]  # capital I with a dot; iota, equal to U+0345
_TOKENS = ["@acme", "@acme.bsky.social", "@x@host.example", "#acme", "#ad"]
_GLUE = [" ", "  ", "\n", ", ", "'s ", "s ", "@", "#", "_", "-", ".", "x"]
_GLUE += ["\u017f", "\u0345", "\u212a"]  # long s, iota subscript, Kelvin sign


def _term() -> st.SearchStrategy[Node]:
    words = st.sampled_from(_WORDS)
    phrases = st.lists(words, min_size=2, max_size=3).map(lambda ws: term_of(" ".join(ws)))
    return st.one_of(words.map(term_of), phrases, st.sampled_from(_TOKENS).map(term_of))


_TREES: st.SearchStrategy[Node] = st.recursive(
    _term(),
    lambda inner: st.one_of(
        inner.map(Not),
        st.lists(inner, min_size=2, max_size=3).map(lambda c: And(tuple(c))),
        st.lists(inner, min_size=2, max_size=3).map(lambda c: Or(tuple(c))),
    ),
    max_leaves=6,
)

_PIECES = st.sampled_from([*_WORDS, *_TOKENS, *(w.upper() for w in _WORDS), "acmes", "\u017fale"])
_SPECIAL = "acme\u0130\u0131\u017f\u212a\u03b9\u03a3\u03c2\u0345@#'_- \n"
_TEXTS = st.one_of(
    st.lists(st.tuples(_PIECES, st.sampled_from(_GLUE)), max_size=8).map(
        lambda parts: "".join(piece + glue for piece, glue in parts)
    ),
    st.text(alphabet=st.sampled_from(_SPECIAL), max_size=20),
    st.text(max_size=30),
)


def _naive(rules: dict[str, CompiledRule], text: str) -> tuple[str, ...]:
    return tuple(name for name, rule in rules.items() if rule.matches(text=text))


@settings(max_examples=400, deadline=None)
@given(trees=st.lists(_TREES, min_size=1, max_size=12), texts=st.lists(_TEXTS, max_size=5))
def test_the_index_answers_as_the_loop_over_every_rule(trees: list[Node], texts: list[str]) -> None:
    rules = {f"r{i}": compile_tree(tree) for i, tree in enumerate(trees)}
    ruleset = RuleSet(rules)
    for text in texts:
        assert ruleset.match(text=text) == _naive(rules, text)


@settings(max_examples=400, deadline=None)
@given(trees=st.lists(_TREES, min_size=1, max_size=12), texts=st.lists(_TEXTS, max_size=5))
def test_first_is_the_first_rule_match_names(trees: list[Node], texts: list[str]) -> None:
    ruleset = RuleSet({f"r{i}": compile_tree(tree) for i, tree in enumerate(trees)})
    for text in texts:
        assert ruleset.first(text=text) == next(iter(ruleset.match(text=text)), None)


@settings(max_examples=400, deadline=None)
@given(tree=_TREES, text=_TEXTS)
def test_a_rule_given_the_texts_tokens_and_keys_answers_as_matches(tree: Node, text: str) -> None:
    rule = compile_tree(tree)
    known = rule.matches_known(text=text, text_tokens=tokens(text), text_keys=text_keys(text))
    assert known == rule.matches(text=text)


@settings(max_examples=200, deadline=None)
@given(tree=_TREES, text=_TEXTS)
def test_explain_lists_the_positive_terms_that_occur(tree: Node, text: str) -> None:
    rule = compile_tree(tree)
    explained = RuleSet({"r": rule}).explain(text=text)
    assert list(explained) == (["r"] if rule.matches(text=text) else [])
    for term in explained.get("r", ()):
        assert compile_tree(term).matches(text=text)


class _Counted(CompiledRule):
    """A compiled rule that records each text it is asked about."""

    asked: list[str]

    @classmethod
    def of(cls, query: str) -> _Counted:
        compiled = compile_rule(query)
        rule = cls(**{f.name: getattr(compiled, f.name) for f in fields(compiled)})
        object.__setattr__(rule, "asked", [])
        return rule

    def matches(self, *, text: str) -> bool:
        self.asked.append(text)
        return super().matches(text=text)

    def matches_known(
        self, *, text: str, text_tokens: frozenset[str], text_keys: frozenset[str] | None
    ) -> bool:
        self.asked.append(text)
        return super().matches_known(text=text, text_tokens=text_tokens, text_keys=text_keys)


def test_only_rules_whose_keys_occur_and_rules_satisfiable_by_absence_are_evaluated() -> None:
    acme = _Counted.of('("acme coffee" OR @acmecoffee) AND NOT (hiring OR "job opening")')
    tea = _Counted.of("brightleaf AND (tea OR #tea)")
    quiet = _Counted.of("NOT (acme OR brightleaf)")
    either = _Counted.of("refund OR NOT coffee")
    ruleset = RuleSet({"acme": acme, "tea": tea, "quiet": quiet, "either": either})
    text = "Acme Coffee burnt my tongue @AcmeCoffee"
    assert ruleset.match(text=text) == ("acme",)
    assert (len(acme.asked), len(tea.asked), len(quiet.asked), len(either.asked)) == (1, 0, 1, 1)
    assert ruleset.match(text="Brightleaf TEA is lovely") == ("tea", "either")


def test_first_stops_at_the_first_rule_the_text_satisfies() -> None:
    rules = {
        "acme": _Counted.of("acme"),
        "coffee": _Counted.of("acme AND coffee"),
        "tag": _Counted.of("#acme"),
        "quiet": _Counted.of("NOT acme"),
    }
    ruleset = RuleSet(rules)
    assert ruleset.first(text="Acme coffee #acme") == "acme"
    assert [len(rule.asked) for rule in rules.values()] == [1, 0, 0, 0]
    assert ruleset.first(text="#acme only") == "tag"
    assert ruleset.first(text="just tea") == "quiet"
    assert ruleset.first(text="acme's tea") == "acme"


def test_the_rarest_run_of_a_phrase_is_its_key() -> None:
    coffee_brands = {f"b{i}": _Counted.of(f'"brand{i} coffee"') for i in range(5)}
    ruleset = RuleSet(coffee_brands)
    assert ruleset.match(text="great coffee, brand3 coffee too") == ("b3",)
    assert [len(rule.asked) for rule in coffee_brands.values()] == [0, 0, 0, 1, 0]


def test_word_boundaries_and_case_as_the_engine() -> None:
    ruleset = RuleSet({"acme": compile_rule("acme"), "tag": compile_rule("#Acme")})
    assert ruleset.match(text="Acme's cup") == ("acme",)
    assert ruleset.match(text="acmes and @acme") == ()
    assert ruleset.match(text="hello #ACME!") == ("tag",)
    assert ruleset.names == ("acme", "tag")
    assert len(ruleset) == 2


def test_explain_names_the_terms_that_made_the_match() -> None:
    ruleset = RuleSet({"acme": compile_rule('("acme coffee" OR @acmecoffee) NOT hiring')})
    assert ruleset.explain(text="ACME coffee? ask @AcmeCoffee") == {
        "acme": (Term(P, "acme coffee"), Term(H, "@acmecoffee"))
    }
    assert ruleset.explain(text="acme coffee is hiring") == {}
