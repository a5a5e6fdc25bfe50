import pytest

from smileback.scorer.model.normalise import Normaliser
from smileback.training.lexicon import vader_lexicon


@pytest.fixture(scope="module")
def normalise():
    return Normaliser(lexicon=vader_lexicon())


def test_handles_and_links_become_placeholders(normalise):
    doc = normalise("@acmecoffee see https://x.co/a?b=1 and www.acme.example/help")
    assert doc.tokens == ("xxuser", "see", "xxurl", "and", "xxurl")
    assert doc.chars == ("see", "and")  # placeholders carry no character n-grams


def test_hashtags_are_split_into_words(normalise):
    doc = normalise("#NeverAgain #fail #WorstServiceEver")
    assert doc.chars == ("never", "again", "fail", "worst", "service", "ever")


def test_a_negating_hashtag_does_not_negate_what_follows(normalise):
    doc = normalise("#NotHappy great coffee")
    assert doc.tokens == ("not", "neg_happy", "great", "coffee")


def test_emoji_and_emoticons_map_to_named_tokens_with_valence(normalise):
    doc = normalise("so 😡 🤬 >:( :( :-) <3 🦄")
    assert doc.tokens == (
        "so", "emo_angry", "emo_angry", "emo_angry", "emo_sad", "emo_smile", "emo_heart", "🦄",
    )  # fmt: skip
    assert sum(v < 0 for v in doc.valences) == 4
    assert sum(v > 0 for v in doc.valences) == 2


def test_emoticons_need_space_around_them(normalise):
    assert "emo_smile" not in normalise("ratio:)").tokens
    assert "xxurl" in normalise("http://a.b/:)").tokens


def test_elongated_words_are_cut_marked_and_still_found_in_the_lexicon(normalise):
    doc = normalise("soooo baaaad")
    assert doc.tokens[:2] == ("soo", "baad")
    assert "xxelong" in doc.markers
    assert doc.valences == (-2.5,)  # "baad" is read as "bad"


def test_negation_marks_words_until_the_clause_ends(normalise):
    doc = normalise("I don't like it, but the staff were nice. Never again")
    assert doc.tokens == (
        "i", "don't", "neg_like", "neg_it", "but", "the", "staff", "were", "nice",
        "never", "neg_again",
    )  # fmt: skip
    # "like" flips inside the negation; "nice" after "but" weighs more (VADER's rule).
    like, nice = doc.valences
    assert like < 0 < nice
    assert abs(nice) > abs(like)


def test_a_shouted_word_is_marked_and_strengthened_but_an_all_caps_text_is_not(normalise):
    shouted = normalise("this is TERRIBLE")
    calm = normalise("this is terrible")
    assert "xxcaps" in shouted.markers
    assert shouted.valences[0] < calm.valences[0] < 0
    assert "xxcaps" not in normalise("THIS IS TERRIBLE").markers


def test_curly_apostrophes_digits_and_punctuation(normalise):
    doc = normalise("I can\u2019t wait 2026!!! ok?")
    assert doc.tokens == ("i", "can't", "neg_wait", "neg_0000", "!!", "ok", "?")


def test_empty_and_symbol_only_texts(normalise):
    assert normalise("").tokens == ()
    assert normalise("... !!! ").tokens == ("!!",)
