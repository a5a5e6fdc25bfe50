import pytest

from smileback.common.errors import ConfigError
from smileback.common.events import Mention
from smileback.common.rules import Or, Term, TermKind, render_rule
from smileback.ingest.rules import BrandMatcher, BrandRule

BRANDS = {
    "acme": ["acme coffee", "@acmecoffee", "#acmecoffee"],
    "bolt": ["bolt", "#boltbikes"],
}


def _brand(text: str, *, brands=BRANDS, brand: str | None = None) -> str | None:
    matcher = BrandMatcher.from_terms(brands)
    return matcher.match(mention=Mention(id="m1", text=text, brand=brand))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Loving my ACME COFFEE today", "acme"),
        ("acme   coffee\non the way", "acme"),  # any whitespace inside a phrase
        ("Acme Coffee's new menu", "acme"),  # punctuation ends a word
        ("acme coffees are cheap", None),  # a longer word is another word
        ("visit acmecoffee.com", None),  # glued words are not the phrase
        ("Bolt is fast", "bolt"),
        ("thunderbolt and lightning", None),  # no match inside a word
        ("bolts for sale", None),
        ("hi @bolt and #bolt", None),  # a plain word never matches a handle or tag
    ],
)
def test_words_and_phrases_match_case_insensitively_on_word_boundaries(text, expected):
    assert _brand(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thanks @AcmeCoffee!", "acme"),
        ("@acmecoffee.", "acme"),
        ("#AcmeCoffee rocks", "acme"),
        ("(#acmecoffee)", "acme"),
        ("hi @acmecoffee_fan", None),  # another handle
        ("hi @acmecoffee.bsky.social", None),  # another handle
        ("mail me at jo@acmecoffee", None),  # an email, not a handle
        ("#acmecoffeelover", None),  # another tag
        ("#BoltBikes", "bolt"),
    ],
)
def test_handles_and_tags_match_whole_tokens(text, expected):
    assert _brand(text) == expected


def test_a_full_mastodon_handle_can_be_a_term():
    brands = {"acme": ["@acmecoffee@mastodon.social"]}
    assert _brand("hi @AcmeCoffee@Mastodon.Social!", brands=brands) == "acme"
    assert _brand("hi @acmecoffee", brands=brands) is None


def test_the_first_configured_brand_wins():
    assert _brand("acme coffee vs bolt") == "acme"
    reordered = {"bolt": BRANDS["bolt"], "acme": BRANDS["acme"]}
    assert _brand("acme coffee vs bolt", brands=reordered) == "bolt"


def test_a_preset_brand_is_kept():
    assert _brand("nothing to see", brand="other") == "other"
    assert _brand("acme coffee", brand="bolt") == "bolt"


def test_without_brands_every_mention_keeps_its_own_brand():
    matcher = BrandMatcher.from_terms({})
    assert matcher.brands == ()
    assert matcher.match(mention=Mention(id="m1", text="acme coffee")) is None
    assert matcher.match(mention=Mention(id="m1", text="x", brand="acme")) == "acme"


def test_brands_lists_configured_brands_in_order():
    assert BrandMatcher.from_terms(BRANDS).brands == ("acme", "bolt")


def test_regex_characters_in_terms_are_literal():
    brands = {"cplus": ["c++ coffee"]}
    assert _brand("C++ Coffee rules", brands=brands) == "cplus"
    assert _brand("cc coffee", brands=brands) is None


@pytest.mark.parametrize(
    ("brands", "reason"),
    [
        ({"acme": []}, "brand 'acme' has no match terms"),
        ({"acme": ["acme", "  "]}, "brand 'acme': empty match term"),
        ({"acme": ["@"]}, "not a valid @handle or #tag"),
        ({"acme": ["#acme coffee"]}, "not a valid @handle or #tag"),
    ],
)
def test_invalid_terms_are_a_config_error(brands, reason):
    with pytest.raises(ConfigError, match=reason):
        BrandMatcher.from_terms(brands)


def test_operator_words_quotes_and_parentheses_in_terms_are_literal():
    brands = {"acme": ["NOT acme", '"acme"', "acme (uk)"]}
    assert _brand("this is NOT acme", brands=brands) == "acme"
    assert _brand('they said "Acme" loudly', brands=brands) == "acme"
    assert _brand("ACME (UK) ltd", brands=brands) == "acme"
    assert _brand("acme alone", brands=brands) is None


def test_a_brands_terms_are_one_or_rule_of_the_rule_language():
    rule = BrandRule.of(brand="acme", terms=[" acme  coffee ", "@AcmeCoffee", "#acme"])
    assert rule.rule.tree == Or(
        (
            Term(TermKind.PHRASE, "acme coffee"),
            Term(TermKind.HANDLE, "@acmecoffee"),
            Term(TermKind.TAG, "#acme"),
        )
    )
    assert render_rule(rule.rule.tree) == '"acme coffee" OR @acmecoffee OR #acme'


def test_a_brand_listed_twice_keeps_its_first_place_and_its_first_terms():
    matcher = BrandMatcher(
        [
            BrandRule.of(brand="acme", terms=["acme"]),
            BrandRule.of(brand="globex", terms=["coffee"]),
            BrandRule.of(brand="acme", terms=["coffee"]),
        ]
    )
    assert matcher.match(mention=Mention(id="t:1", text="Acme coffee")) == "acme"
    assert matcher.match(mention=Mention(id="t:2", text="coffee")) == "globex"
