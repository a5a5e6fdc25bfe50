"""Parse a brand rule into a tree; a syntax error names the character where it went wrong.

Grammar (operators are upper case; two terms side by side mean AND):

    rule    := or
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*
    unary   := "NOT" unary | primary
    primary := "(" or ")" | "phrase in quotes" | @handle | #tag | word

An @handle or #tag term is one token as `smileback.common.rules.tokens` reads it, the same
reading the matcher applies to a mention's text. Positions are 0-based character offsets
into the rule text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from smileback.common.rules.tokens import is_token

__all__ = [
    "MAX_RULE_CHARS",
    "And",
    "Node",
    "Not",
    "Or",
    "RuleSyntaxError",
    "Term",
    "TermKind",
    "parse_rule",
    "render_rule",
    "term_of",
]

MAX_RULE_CHARS = 2000
_MAX_DEPTH = 64  # nesting beyond this is a mistake, and would exhaust the parser's stack
_OPERATORS = frozenset({"AND", "OR", "NOT"})
_WORD_END = re.compile(r'[\s()"]')


class RuleSyntaxError(ValueError):
    """A rule that does not parse; `position` is where the problem was found."""

    def __init__(self, message: str, *, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.reason = message
        self.position = position


class TermKind(StrEnum):
    WORD = "word"
    PHRASE = "phrase"
    HANDLE = "handle"
    TAG = "tag"


@dataclass(frozen=True)
class Term:
    kind: TermKind
    value: str


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Term | Not | And | Or


@dataclass(frozen=True)
class _Token:
    kind: str  # "(", ")", "AND", "OR", "NOT", "term", "end"
    position: int
    term: Term | None = None


def parse_rule(text: str) -> Node:
    """The tree of a rule; RuleSyntaxError with the position of the first problem."""
    if len(text) > MAX_RULE_CHARS:
        raise RuleSyntaxError(f"rule longer than {MAX_RULE_CHARS} characters", position=0)
    tokens = _tokenize(text)
    if tokens[0].kind == "end":
        raise RuleSyntaxError("empty rule", position=0)
    parser = _Parser(tokens)
    node = parser.parse_or(depth=0)
    token = parser.peek()
    if token.kind == ")":  # parse_or stops only at ')' or the end
        raise RuleSyntaxError("')' without a matching '('", position=token.position)
    return node


def render_rule(node: Node) -> str:
    """The canonical text of a tree: explicit operators, quotes and parentheses only as needed."""
    if isinstance(node, Term):
        return f'"{node.value}"' if node.kind is TermKind.PHRASE else node.value
    if isinstance(node, Not):
        inner = render_rule(node.child)
        return f"NOT {inner}" if isinstance(node.child, Term | Not) else f"NOT ({inner})"
    if isinstance(node, And):
        return " AND ".join(
            f"({render_rule(c)})" if isinstance(c, Or) else render_rule(c) for c in node.children
        )
    return " OR ".join(render_rule(c) for c in node.children)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(_Token(char, i))
            i += 1
        elif char == '"':
            i = _phrase(text, i, tokens)
        else:
            i = _word(text, i, tokens)
    tokens.append(_Token("end", len(text)))
    return tokens


def _phrase(text: str, start: int, tokens: list[_Token]) -> int:
    end = text.find('"', start + 1)
    if end < 0:
        raise RuleSyntaxError("unclosed quote", position=start)
    words = text[start + 1 : end].split()
    if not words:
        raise RuleSyntaxError("empty phrase", position=start)
    tokens.append(_Token("term", start, Term(TermKind.PHRASE, " ".join(words))))
    return end + 1


def _word(text: str, start: int, tokens: list[_Token]) -> int:
    found = _WORD_END.search(text, start)
    end = found.start() if found else len(text)
    word = text[start:end]
    if word in _OPERATORS:
        tokens.append(_Token(word, start))
    else:
        tokens.append(_Token("term", start, term_of(word, position=start)))
    return end


def term_of(text: str, *, position: int = 0) -> Term:
    """One term from its text, outer whitespace ignored: an @handle or #tag (lower-cased),
    else a word or a phrase. RuleSyntaxError at `position` for an empty text or a malformed
    @handle or #tag; a term built here may hold characters the rule text would need quoted.
    """
    text = text.strip()
    words = text.split()
    if not words:
        raise RuleSyntaxError("empty term", position=position)
    if text[0] in "@#":
        if not is_token(text):
            kind = "@handle" if text[0] == "@" else "#tag"
            raise RuleSyntaxError(f"{text!r} is not a valid {kind}", position=position)
        return Term(TermKind.HANDLE if text[0] == "@" else TermKind.TAG, text.lower())
    return Term(TermKind.WORD, text) if len(words) == 1 else Term(TermKind.PHRASE, " ".join(words))


class _Parser:
    """Recursive descent over the tokens, one method per grammar rule."""

    def __init__(self, tokens: list[_Token]) -> None:
        self._tokens = tokens
        self._at = 0

    def peek(self) -> _Token:
        return self._tokens[self._at]

    def _take(self) -> _Token:
        token = self._tokens[self._at]
        self._at += 1
        return token

    def parse_or(self, *, depth: int, after: _Token | None = None) -> Node:
        children = [self._parse_and(depth=depth, after=after)]
        while self.peek().kind == "OR":
            operator = self._take()
            children.append(self._parse_and(depth=depth, after=operator))
        return children[0] if len(children) == 1 else Or(tuple(children))

    def _parse_and(self, *, depth: int, after: _Token | None) -> Node:
        children = [self._parse_unary(depth=depth, after=after)]
        while self.peek().kind not in ("OR", ")", "end"):
            after = self._take() if self.peek().kind == "AND" else None
            children.append(self._parse_unary(depth=depth, after=after))
        return children[0] if len(children) == 1 else And(tuple(children))

    def _parse_unary(self, *, depth: int, after: _Token | None) -> Node:
        token = self.peek()
        if token.kind == "NOT":
            self._take()
            return Not(self._parse_unary(depth=depth, after=token))
        return self._parse_primary(depth=depth, after=after)

    def _parse_primary(self, *, depth: int, after: _Token | None) -> Node:
        token = self._take()
        if token.kind == "term" and token.term is not None:
            return token.term
        if token.kind == "(":
            if depth >= _MAX_DEPTH:
                raise RuleSyntaxError("parentheses nested too deeply", position=token.position)
            if self.peek().kind == ")":
                raise RuleSyntaxError("empty parentheses", position=token.position)
            inner = self.parse_or(depth=depth + 1, after=token)
            if self.peek().kind != ")":
                raise RuleSyntaxError("'(' is never closed", position=token.position)
            self._take()
            return inner
        if token.kind == "end":
            what = f" after {after.kind}" if after is not None else ""
            raise RuleSyntaxError(f"expected a term{what}, found the end", position=token.position)
        if token.kind == ")":
            raise RuleSyntaxError("expected a term, found ')'", position=token.position)
        raise RuleSyntaxError(f"expected a term, found {token.kind}", position=token.position)
