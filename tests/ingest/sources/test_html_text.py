import pytest

from smileback.ingest.sources.html_text import html_to_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        # Mastodon's own markup: paragraphs, line breaks, entities.
        ("<p>First</p><p>Second<br />third</p>", "First\n\nSecond\nthird"),
        (
            "<p>&quot;Fish &amp; chips&quot; &#8212; caf&eacute; &lt;3</p>",
            '"Fish & chips" — café <3',
        ),
        # A long link: scheme and tail in invisible spans, the middle in an ellipsis span.
        (
            '<p>See <a href="https://www.example.com/money/2019/dec/07/refund" rel="nofollow '
            'noopener" target="_blank"><span class="invisible">https://www.</span><span '
            'class="ellipsis">example.com/money/2019/dec</span><span class="invisible">/07/'
            "refund</span></a> now</p>",
            "See https://www.example.com/money/2019/dec/07/refund now",
        ),
        # A mention (h-card) and a hashtag link read as their text.
        (
            '<p><span class="h-card" translate="no"><a href="https://mastodon.social/@acme" '
            'class="u-url mention">@<span>acme</span></a></span> why? <a href="https://'
            'mastodon.social/tags/AcmeFail" class="mention hashtag" rel="tag">#<span>AcmeFail'
            "</span></a></p>",
            "@acme why? #AcmeFail",
        ),
        # Layout whitespace collapses; nested blocks leave one blank line, not several.
        (
            "<p>  a \n  b  </p>\n\n<blockquote><p>quoted</p></blockquote><p>c</p>",
            "a b\n\nquoted\n\nc",
        ),
        ("<ul><li>one</li><li>two</li></ul>", "one\ntwo"),
        ("<pre>line 1\nline 2</pre>", "line 1\nline 2"),
        ("<p>ok</p><script>alert(1)</script><style>p{}</style>", "ok"),
        ("plain text, no markup", "plain text, no markup"),
        ("", ""),
        ("<p>unclosed <b>bold", "unclosed bold"),
    ],
)
def test_mastodon_content_becomes_the_text_a_reader_sees(html, text):
    assert html_to_text(html) == text
