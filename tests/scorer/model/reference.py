"""Straightforward reference versions of text scoring, to pin the optimised ones to.

No caches, no chunking, no gram index: one regex pass over each text, scikit-learn's
CountVectorizer for the counts, and TF-IDF and explanation computed the plain way. The
optimised code must give exactly (bit for bit) what these give.
"""

import math
import random
from functools import partial

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

from smileback.scorer.model.features import LEXICON_FEATURES, SocialFeatures, char_grams, word_grams
from smileback.scorer.model.negativity import NegativityModel, readable_term
from smileback.scorer.model.normalise import (
    _CAMEL_RE,
    _DIGIT_RE,
    _NEGATIONS,
    _REPEAT_RE,
    _REPEAT_SINGLE_RE,
    _TOKEN_RE,
    CAPS,
    ELONGATED,
    NEGATED_PREFIX,
    URL,
    USER,
    Normalised,
)
from smileback.scorer.model.symbols import EMOJI, EMOTICONS, SYMBOL_VALENCE

SOCIAL = [
    "",
    " ",
    "\n\t ",
    "@acme the coffee is sooo awful!!! 😡",
    "LOVE the app ❤️ #BestDayEver",
    "I don't like it, but the staff were nice. Never again",
    "I can\u2019t wait 2026!!! ok?",
    "not happy :( see https://x.co/a?b=1 and www.acme.example/help",
    "#NeverAgain #fail #WorstServiceEver #NotHappy great coffee",
    "this is TERRIBLE but GREAT, REALLY GREAT",
    "THIS IS NOT GOOD BUT OK",
    "xD XD D: D:< xDa xD' _xD ^_^ ^^ </3 <3 :-) >:( :'( -_- :/ :\\",
    "ratio:) a:b http://a.b/:) www. http:// https:/x @ # #_x #123 #ÉtéCool",
    "café naïve Straße 日本語 ÜBER ΑΒΓ ǅemo ﬁne İstanbul ½ ² ٣ Ⅻ",
    "no\u00a0break\u2028line\u3000wide\x1cfile\x85next\u200bzero width",
    "👍🏽 😂😂😂 🙏 ‼ … \u2013 — ™ \u200d 🦄",
    "soooo baaaad hmmmm Zzzz aaaaaargh loooove BAAAD sooo.",
    "it's y'all rock'n'roll O'Neil n't wasn't won't cannot aint nope without",
    "lone surrogate \ud83d here",
    "@user @user @user http://t.co/1 http://t.co/1",
    "nothing to see... nobody, nowhere; neither: nor?!",
    "good, bad! love? hate... GREAT! so HAPPY :-) not :( (: =) ;) :P",
]
PIECES = sorted({chunk for text in SOCIAL for chunk in text.split()})
SEPARATORS = [" ", " ", " ", "", "\t", "  ", "\u00a0", "\n", "\u2028"]


def social_texts(count: int, *, seed: int = 7) -> list[str]:
    """`SOCIAL` and `count` random run-togethers of social-text pieces, a tenth shouted."""
    rng = random.Random(seed)
    texts = list(SOCIAL)
    symbols = sorted(EMOJI) + sorted(EMOTICONS)
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 25)):
            parts.append(rng.choice(PIECES) if rng.random() < 0.8 else rng.choice(symbols))
            parts.append(rng.choice(SEPARATORS))
        text = "".join(parts)
        texts.append(text.upper() if rng.random() < 0.1 else text)
    return texts


def normalise(text: str, *, lexicon: dict[str, float]) -> Normalised:
    """The tokenisation of `normalise.py`'s docstring, one regex pass, nothing cached."""
    tokens: list[str] = []
    chars: list[str] = []
    markers: set[str] = set()
    valences: list[float] = []
    but_at = -1
    negating = False
    shouting_text = text.isupper()
    for match in _TOKEN_RE.finditer(text.replace("\u2019", "'")):
        kind, raw = match.lastgroup, match.group()
        if kind in ("word", "hashtag"):
            tagged = kind == "hashtag"
            for surface in _CAMEL_RE.findall(raw[1:]) if tagged else [raw]:
                low = surface.lower()
                short = _REPEAT_RE.sub(r"\1\1", low)
                elongated = short != low
                valence = lexicon.get(short)
                if valence is None and elongated:
                    valence = lexicon.get(_REPEAT_SINGLE_RE.sub(r"\1", short))
                token = _DIGIT_RE.sub("0", short)
                shouted = (
                    not tagged and len(surface) > 1 and surface.isupper() and surface.isalpha()
                )
                negation = short.replace("'", "") in _NEGATIONS or short.endswith("n't")
                but = short == "but"
                tokens.append(NEGATED_PREFIX + token if negating else token)
                chars.append(token)
                emphasis = shouted and not shouting_text
                if elongated:
                    markers.add(ELONGATED)
                if emphasis:
                    markers.add(CAPS)
                if but:
                    but_at = len(valences)
                if valence:
                    valence *= -0.74 if negating else 1.0
                    if emphasis:
                        valence += 0.733 if valence > 0 else -0.733
                    valences.append(valence)
                negating = negation or (negating and not but)
            negating = negating and not tagged
        elif kind == "punct":
            negating = False
            if raw[0] in "!?":
                tokens.append(raw[0] * min(len(raw), 2))
        elif kind == "url":
            negating = False
            tokens.append(URL)
        elif kind == "handle":
            tokens.append(USER)
        else:
            symbol = EMOTICONS.get(raw) if kind == "face" else EMOJI.get(raw)
            if symbol is not None:
                tokens.append(NEGATED_PREFIX + symbol if negating else symbol)
                valences.append(SYMBOL_VALENCE[symbol])
            elif not raw.isascii():
                tokens.append(raw)
    if but_at >= 0:
        valences = [v * (0.5 if i < but_at else 1.5) for i, v in enumerate(valences)]
    return Normalised(tuple(tokens), tuple(chars), tuple(sorted(markers)), tuple(valences))


def counts(features: SocialFeatures, docs: list[Normalised]) -> tuple[sp.csr_matrix, ...]:
    """Word-block and char-block counts by CountVectorizer over the same vocabularies."""
    low, high = features.char_range
    return tuple(
        CountVectorizer(analyzer=analyzer, vocabulary=vocabulary, dtype=np.float32).transform(docs)
        for analyzer, vocabulary in (
            (partial(word_grams, n=features.word_n), features.word_vocabulary),
            (partial(char_grams, low=low, high=high), features.char_vocabulary),
        )
    )


def rows(features: SocialFeatures, texts: list[str]) -> sp.csr_matrix:
    """TF-IDF rows: sublinear tf times idf, unit length per block and row, then lexicon."""
    docs = [normalise(text, lexicon=features.normaliser.lexicon) for text in texts]
    tally = sp.hstack(counts(features, docs), format="csr")
    n, width = tally.shape
    data = (1.0 + np.log(tally.data)) * features.idf[tally.indices]
    row = np.repeat(np.arange(n), np.diff(tally.indptr))
    block = row * 2 + (tally.indices >= features.n_word)
    norms = np.sqrt(np.bincount(block, weights=data * data, minlength=2 * n))
    extra = len(LEXICON_FEATURES)
    indptr = tally.indptr + extra * np.arange(n + 1)
    values = np.empty(indptr[-1], dtype=np.float32)
    columns = np.empty(indptr[-1], dtype=np.int32)
    at = np.arange(len(data)) + extra * row
    values[at] = data / norms[block]
    columns[at] = tally.indices
    lexicon_at = (indptr[1:, None] - extra + np.arange(extra)).ravel()
    values[lexicon_at] = np.array([_lexicon_row(doc) for doc in docs], np.float32).ravel()
    columns[lexicon_at] = np.tile(width + np.arange(extra), n)
    return sp.csr_matrix((values, columns, indptr), shape=(n, width + extra))


def _lexicon_row(doc: Normalised) -> tuple[float, ...]:
    positive = sum(v for v in doc.valences if v > 0)
    negative = -sum(v for v in doc.valences if v < 0)
    squash = [s / math.sqrt(s * s + 15.0) for s in (positive, negative, positive - negative)]
    return (*squash, float(positive > 0), float(negative > 0)) if doc.valences else (0.0,) * 5


def explain(
    model: NegativityModel,
    rows: sp.csr_matrix,
    *,
    classes: np.ndarray,
    wanted: np.ndarray,
    top: int,
) -> list[tuple[str, ...]]:
    """Per row, the `top` readable word n-grams with the largest positive contributions."""
    grams = {column: gram for gram, column in model.features.word_vocabulary.items()}
    explained = []
    for i in range(rows.shape[0]):
        row = rows.getrow(i)
        contribution = row.data * model.coef[classes[i], row.indices]
        keep = (contribution > 0) & model.explainable[row.indices] & bool(wanted[i])
        chosen: list[str] = []
        for at in np.argsort(-contribution[keep], kind="stable"):
            term = readable_term(grams[int(row.indices[keep][at])])
            if len(chosen) < top and term is not None and term not in chosen:
                chosen.append(term)
        explained.append(tuple(chosen))
    return explained


def same_matrix(left: sp.csr_matrix, right: sp.csr_matrix) -> bool:
    """Equal shape, dtypes and bytes: the same matrix bit for bit."""
    return left.shape == right.shape and all(
        a.dtype == b.dtype and a.tobytes() == b.tobytes()
        for a, b in zip(
            (left.data, left.indices, left.indptr),
            (right.data, right.indices, right.indptr),
            strict=True,
        )
    )
