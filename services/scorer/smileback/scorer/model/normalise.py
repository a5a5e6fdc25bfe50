"""Social text to tokens: handles, URLs, hashtags, emoji, emoticons, elongation, negation, caps.

One pass over the text gives everything the features need:

- tokens: the word stream for word n-grams. Lower case; every @handle is `xxuser`,
  every link `xxurl`, digits `0`; hashtags split into their words ("#NeverAgain" ->
  "never again"); emoji and emoticons become named tokens (`emo_angry`); letters
  repeated three or more times are cut to two ("soooo" -> "soo"). Words after a
  negation cue ("not", "never", "n't" ...) up to the end of the clause get a `neg_`
  prefix, so "not good" and "good" are different features. "!" and "?" stay.
- chars: the plain words (no prefixes, no placeholders) for character n-grams.
- markers: `xxcaps` for a shouted WORD, `xxelong` for an elongated one, once each.
- valences: lexicon valence of each sentiment word (VADER's lexicon, -4..4), flipped
  and damped inside a negation, raised for a shouted word, and weighted after "but"
  as VADER does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from smileback.scorer.model.symbols import EMOJI, EMOTICON_RE, EMOTICONS, SYMBOL_VALENCE

__all__ = ["CAPS", "ELONGATED", "NEGATED_PREFIX", "URL", "USER", "Normalised", "Normaliser"]

NEGATED_PREFIX = "neg_"
URL = "xxurl"
USER = "xxuser"
CAPS = "xxcaps"
ELONGATED = "xxelong"

# Words first: they are most tokens, and Python's regex tries alternatives in order. A
# word may not start a link or one of the emoticons that begin with a letter ("xD").
_TOKEN_RE = re.compile(
    r"(?P<word>(?!(?:[xX]D|D:<?)(?:[\s.,!?]|$)|https?://|www\.)[^\W_]+(?:'[^\W_]+)*)"
    r"|(?P<url>https?://\S+|www\.\S+)"
    r"|(?P<handle>@\w+)"
    r"|(?P<hashtag>#\w+)"
    rf"|(?P<face>(?<!\S)(?:{EMOTICON_RE})(?=[\s.,!?]|$))"
    r"|(?P<punct>[!?]+|[.,;:]+)"
    r"|(?P<other>[^\s\w])"
)
_CAMEL_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_REPEAT_RE = re.compile(r"(.)\1{2,}")
_REPEAT_SINGLE_RE = re.compile(r"(.)\1+")
_DIGIT_RE = re.compile(r"\d")
_NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "none",
        "nobody",
        "nothing",
        "nowhere",
        "neither",
        "nor",
        "cannot",
        "cant",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "arent",
        "werent",
        "wont",
        "wouldnt",
        "shouldnt",
        "couldnt",
        "havent",
        "hasnt",
        "hadnt",
        "aint",
        "without",
        "nope",
    ]
)
_NEGATION_DAMP = -0.74  # VADER's factor for a negated sentiment word
_CAPS_BOOST = 0.733  # VADER's boost for a shouted sentiment word
_AFTER_BUT, _BEFORE_BUT = 1.5, 0.5


_CACHE_ENTRIES = 200_000  # bound on each per-word and per-chunk cache; cleared whole when full
_WORD = "word"


@dataclass(frozen=True, slots=True)
class Normalised:
    """A text as the features see it."""

    tokens: tuple[str, ...]
    chars: tuple[str, ...]
    markers: tuple[str, ...]
    valences: tuple[float, ...]


class _Word(NamedTuple):
    """What one surface word contributes, worked out once and cached."""

    token: str
    negated: str
    plain: bool
    valence: float
    elongated: bool
    shouted: bool
    negation: bool
    but: bool


class _Effects(NamedTuple):
    """What a chunk adds besides its tokens; most chunks add nothing."""

    markers: frozenset[str]
    valences: tuple[float, ...]
    but_at: int  # index into `valences` where words after the chunk's last "but" start; -1


# What one whitespace-separated chunk contributes, given the negation state before it:
# its tokens, its chars, the negation state after it, and its effects (None for most).
# A plain tuple: one is made for every new chunk, and a NamedTuple costs several times more.
_Piece = tuple[tuple[str, ...], tuple[str, ...], bool, _Effects | None]

_PieceCaches = tuple[tuple[dict[str, _Piece], ...], ...]


class Normaliser:
    """Normalises texts against one lexicon (lower-case word -> valence, -4..4)."""

    def __init__(self, *, lexicon: Mapping[str, float]) -> None:
        self.lexicon = dict(lexicon)
        self._words: dict[str, _Word] = {}
        self._pieces = _piece_caches()

    def clear_cache(self) -> None:
        """Forget the per-word and per-chunk caches."""
        self._words.clear()
        for caches in self._pieces:
            for cache in caches:
                cache.clear()

    def __call__(self, text: str) -> Normalised:
        """Tokenise one social-media text."""
        # No token spans whitespace, and the pattern's look-arounds take whitespace and the
        # text's edges alike, so a text is the concatenation of its whitespace-separated
        # chunks. Each chunk is tokenised once per negation state and cached, which leaves
        # a few list extensions per chunk here.
        tokens: list[str] = []
        chars: list[str] = []
        markers: set[str] = set()
        valences: list[float] = []
        but_at = -1  # index into valences where words after the last "but" start
        negating = False
        shouting_text = text.isupper()  # a wholly upper-case text is not emphasis per word
        caches = self._pieces[shouting_text]
        for chunk in text.replace("\u2019", "'").split():
            piece = caches[negating].get(chunk)
            if piece is None:
                piece = self._piece(chunk, negating=negating, shouting_text=shouting_text)
            more_tokens, more_chars, negating, effects = piece
            tokens += more_tokens
            chars += more_chars
            if effects is not None:
                if effects.but_at >= 0:
                    but_at = len(valences) + effects.but_at
                valences += effects.valences
                markers |= effects.markers
        if but_at >= 0:
            valences = [
                v * (_BEFORE_BUT if i < but_at else _AFTER_BUT) for i, v in enumerate(valences)
            ]
        return Normalised(tuple(tokens), tuple(chars), tuple(sorted(markers)), tuple(valences))

    def _piece(self, chunk: str, *, negating: bool, shouting_text: bool) -> _Piece:
        """What `chunk` contributes after the given negation state, worked out and cached."""
        cache = self._pieces[shouting_text][negating]
        if len(cache) > _CACHE_ENTRIES:
            cache.clear()
        # Most chunks are one word, which the pattern would match whole ("xD" is a face),
        # and most words are plain: their piece is the word alone.
        piece: _Piece
        if chunk.isalnum() and chunk not in EMOTICONS:
            word = self._word(chunk, hashtag=False)
            if word.plain:
                alone = (word.token,)
                piece = cache[chunk] = (
                    (word.negated,) if negating else alone,
                    alone,
                    negating,
                    None,
                )
                return piece
            matches: list[tuple[str | None, str]] = [(_WORD, chunk)]
        else:
            matches = [(match.lastgroup, match.group()) for match in _TOKEN_RE.finditer(chunk)]
        piece = cache[chunk] = self._tokenise(
            matches, negating=negating, shouting_text=shouting_text
        )
        return piece

    def _tokenise(
        self, matches: list[tuple[str | None, str]], *, negating: bool, shouting_text: bool
    ) -> _Piece:
        """The piece of one chunk's pattern matches (kind, text), after a negation state."""
        tokens: list[str] = []
        chars: list[str] = []
        markers: set[str] = set()
        valences: list[float] = []
        but_at = -1
        for kind, raw in matches:
            if kind == _WORD or kind == "hashtag":
                tagged = kind == "hashtag"
                for surface in _CAMEL_RE.findall(raw[1:]) if tagged else (raw,):
                    word = self._word(surface, hashtag=tagged)
                    tokens.append(word.negated if negating else word.token)
                    chars.append(word.token)
                    if word.plain:
                        continue  # most words: no valence, emphasis or effect on negation
                    emphasis = word.shouted and not shouting_text
                    if word.elongated:
                        markers.add(ELONGATED)
                    if emphasis:
                        markers.add(CAPS)
                    if word.but:
                        but_at = len(valences)
                    if word.valence:
                        valence = word.valence * (_NEGATION_DAMP if negating else 1.0)
                        if emphasis:
                            valence += _CAPS_BOOST if valence > 0 else -_CAPS_BOOST
                        valences.append(valence)
                    negating = word.negation or (negating and not word.but)
                # A tag is a clause of its own: "#NotHappy" negates only itself.
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
                    tokens.append(raw)  # an emoji we have no name for still counts
        effects = (
            _Effects(frozenset(markers), tuple(valences), but_at)
            if markers or valences or but_at >= 0
            else None
        )
        return tuple(tokens), tuple(chars), negating, effects

    def _word(self, surface: str, *, hashtag: bool) -> _Word:
        key = "#" + surface if hashtag else surface
        found = self._words.get(key)
        if found is None:
            if len(self._words) > _CACHE_ENTRIES:
                self._words.clear()
            found = self._words[key] = self._analyse(surface, hashtag=hashtag)
        return found

    def _analyse(self, surface: str, *, hashtag: bool) -> _Word:
        low = surface.lower()
        # Searched first: a substitution with a template costs several times a search.
        short = _REPEAT_RE.sub(r"\1\1", low) if _REPEAT_RE.search(low) else low
        elongated = short != low
        valence = self.lexicon.get(short)
        if valence is None and elongated:
            valence = self.lexicon.get(_REPEAT_SINGLE_RE.sub(r"\1", short))
        # A letter is never a decimal digit, so most words skip the substitution.
        token = short if short.isalpha() else _DIGIT_RE.sub("0", short)
        shouted = not hashtag and len(surface) > 1 and surface.isupper() and surface.isalpha()
        negation = short.replace("'", "") in _NEGATIONS or short.endswith("n't")
        but = short == "but"
        plain = not (valence or elongated or shouted or negation or but)
        return _Word(
            token, NEGATED_PREFIX + token, plain, valence or 0.0, elongated, shouted, negation, but
        )


def _piece_caches() -> _PieceCaches:
    """Chunk caches indexed [whole text upper case][negating before the chunk]."""
    return tuple(tuple({} for _ in range(2)) for _ in range(2))
