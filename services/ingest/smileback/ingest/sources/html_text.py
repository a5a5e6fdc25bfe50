"""Mastodon's HTML `content` as the plain text a person reads.

Paragraphs become blank lines and `<br>` a line break; a link becomes its text (Mastodon
hides a long URL's scheme and tail in `invisible` spans: both are kept, so the text holds
the whole URL); entities are decoded; everything else is markup and dropped. Runs of
whitespace collapse as a browser shows them; inside `<pre>` line breaks are kept (its
indentation is not: the text is for reading and matching, not for running).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_text"]

# Block elements Mastodon keeps in content (its own and sanitised remote posts).
_PARAGRAPHS = frozenset(
    {"p", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "div"}
)
_LINES = frozenset({"br", "li"})
_HIDDEN = frozenset({"script", "style", "template"})
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
_BREAKS = re.compile(r" *\n[ \n]*")


def html_to_text(html: str) -> str:
    """The text of `html`: paragraphs separated by a blank line, lines by one newline."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return parser.text()


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._pre = 0
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _PARAGRAPHS:
            self._parts.append("\n\n")
            if tag == "pre":
                self._pre += 1
        elif tag in _LINES:
            self._parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _LINES:
            self._parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(self._hidden - 1, 0)
        elif tag in _PARAGRAPHS:
            self._parts.append("\n\n")
            if tag == "pre":
                self._pre = max(self._pre - 1, 0)

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        # Inside <pre> a newline is the author's; elsewhere it is layout, shown as a space.
        self._parts.append(data.replace("\r\n", "\n") if self._pre else _SPACES.sub(" ", data))

    def text(self) -> str:
        joined = "".join(self._parts)
        # Blank lines from nested blocks merge into one; spaces around a break go.
        lines = _BREAKS.sub(lambda m: "\n\n" if m.group().count("\n") > 1 else "\n", joined)
        return lines.strip()
