"""Emoji and emoticons mapped to a few named tokens, each with a lexicon valence.

Social text carries much of its sentiment in these; mapping the many variants of one
feeling onto one token ("😡", "🤬", ">:(" -> "emo_angry") lets rare forms share what
the common ones taught the model. Valences are on VADER's -4..4 scale.
"""

from __future__ import annotations

import re

__all__ = ["EMOJI", "EMOTICONS", "EMOTICON_RE", "SYMBOL_TEXT", "SYMBOL_VALENCE"]

_GROUPS: dict[str, tuple[float, str, str]] = {
    # token: (valence, emoji, emoticons separated by spaces)
    "emo_angry": (-2.5, "😡🤬😠👿💢", ">:( >:-( >:["),
    "emo_sad": (-2.2, "😢😭😞😔😟🙁☹😿😥😓😩😫", ":( :-( :[ :'( :'-( :c D: =("),
    "emo_annoyed": (-1.6, "🙄😒😤😑", ":/ :-/ :\\ -_- =/"),
    "emo_disgust": (-2.5, "🤮🤢💩", ""),
    "emo_thumbsdown": (-2.0, "👎", ""),
    "emo_broken": (-2.4, "💔", "</3"),
    "emo_scared": (-1.5, "😱😨😰", "D:<"),
    "emo_facepalm": (-1.5, "🤦", ""),
    "emo_neutral": (-0.3, "😐😶🤐", ":| :-|"),
    "emo_thinking": (0.0, "🤔", ""),
    "emo_laugh": (2.0, "😂🤣😆😹", ":D :-D xD XD =D"),
    "emo_smile": (2.0, "😊😀😃😄😁🙂☺😌😇😺", ":) :-) =) :] (: ^_^ ^^"),
    "emo_wink": (1.5, "😉😜", ";) ;-) ;D"),
    "emo_tongue": (1.0, "😛😝😋", ":P :-P :p :-p"),
    "emo_love": (3.0, "😍🥰😘😻🤩", ":* :-*"),
    "emo_heart": (2.5, "❤♥💕💖💗💙💚💛💜🧡🤍💓💞", "<3"),
    "emo_thumbsup": (2.0, "👍👌💯", ""),
    "emo_thanks": (1.5, "🙏", ""),
    "emo_party": (2.5, "🎉🥳🎊✨🌟⭐", ""),
    "emo_clap": (2.0, "👏🙌", ""),
    "emo_fire": (1.0, "🔥", ""),
}

EMOJI: dict[str, str] = {ch: token for token, (_, chars, _) in _GROUPS.items() for ch in chars}
EMOTICONS: dict[str, str] = {
    face: token for token, (_, _, faces) in _GROUPS.items() for face in faces.split()
}
SYMBOL_VALENCE: dict[str, float] = {token: valence for token, (valence, _, _) in _GROUPS.items()}
# How an explanation shows a symbol token: its first emoji, else its first emoticon.
SYMBOL_TEXT: dict[str, str] = {
    token: (chars[:1] or faces.split()[0]) for token, (_, chars, faces) in _GROUPS.items()
}
# Longest first, so ">:(" wins over ":(", and only between spaces or text edges, so
# "http://x" or "a:b" are never read as faces.
EMOTICON_RE = "|".join(re.escape(face) for face in sorted(EMOTICONS, key=len, reverse=True))
