"""The plain-text page (the console's output, an email's body): the post said once."""

from __future__ import annotations

from smileback.alerts.notifiers.text import render_text
from smileback.common.packet import PostRef
from tests.alerts.factory import notification

POST = "Lost my order <again> & again"


def test_a_page_whose_summary_quotes_the_post_says_it_once_and_names_the_root() -> None:
    n = notification(summary=f'[critical] acme: large-audience complaint, @loud: "{POST}"')
    assert n.packet is not None
    root = PostRef(mention_id="root", handle="@loud", text=POST, url=None)
    n = n.model_copy(
        update={
            "packet": n.packet.model_copy(
                update={"thread": n.packet.thread.model_copy(update={"root": root})}
            )
        }
    )
    text = render_text(n)
    assert text.count(POST) == 1, text
    assert "root @loud: the post above" in text


def test_a_post_the_summary_does_not_quote_whole_is_given_in_full() -> None:
    n = notification(summary='[critical] acme: large-audience complaint, @loud: "Lost my..."')
    assert f"  what: {POST}\n" in render_text(n)


def test_a_root_that_is_another_post_is_quoted() -> None:
    n = notification(summary=f'[critical] acme: "{POST}"')
    assert n.packet is not None
    root = PostRef(mention_id="first", handle="@first", text="Where is my coffee?", url=None)
    n = n.model_copy(
        update={
            "packet": n.packet.model_copy(
                update={"thread": n.packet.thread.model_copy(update={"root": root})}
            )
        }
    )
    assert "root @first: Where is my coffee?" in render_text(n)
