"""Whether a mention speaks to the brand, and whether it thanks it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smileback.alerts.policy.addressee import addressee, thanks

ACME = addressee("acme", ("@acmecoffee",))

# Words a post may wrap around a name; none of them is a place word or an @handle.
FILLER = st.lists(
    st.sampled_from(["lovely", "coffee", "today", "great", "team", "so", "kind", "see", "you"]),
    max_size=6,
).map(" ".join)
OTHER_HANDLES = st.sampled_from(["@okafor_j", "@sam", "@tomasr.bsky.social", "@ivy@mas.to"])


@pytest.mark.parametrize(
    ("text", "addressed"),
    [
        ("@okafor_j see you at Acme Coffee then.", False),  # a reply to a person, a place
        ("@okafor_j Acme Coffee is lovely", False),  # talks to another account about us
        ("thanks @sam for showing me Acme Coffee!", False),
        ("see you at Acme Coffee then.", False),  # a meeting place
        ("Sketching at the window seat in the Acme Coffee on Elm St.", False),
        ("Working from my Acme Coffee this morning", False),
        ("@acmecoffee thanks for helping me find my lost keys, really appreciate it!", True),
        ("@okafor_j and @AcmeCoffee, thank you both!", True),  # one of the tagged is us
        ("@acme you are lovely", True),
        ("Thank you Acme Coffee, lovely people!", True),
        ("Acme, you made my day", True),
        ("loving it #acme", True),
        ("Big thank you to Acme Coffee", True),
        ("thanks @acme.bsky.social", False),  # another account: handles match whole tokens
    ],
)
def test_addressed_to_the_brand(text: str, addressed: bool) -> None:
    assert ACME.addressed_by(text) is addressed


@given(before=FILLER, after=FILLER, other=OTHER_HANDLES)
def test_naming_the_brand_beside_another_account_does_not_address_it(
    before: str, after: str, other: str
) -> None:
    assert not ACME.addressed_by(f"{other} {before} Acme Coffee {after}")
    assert not ACME.addressed_by(f"{before} Acme Coffee {after} {other}")


@given(before=FILLER, after=FILLER, other=st.lists(OTHER_HANDLES, max_size=3))
def test_tagging_the_brand_addresses_it_whoever_else_is_tagged(
    before: str, after: str, other: list[str]
) -> None:
    assert ACME.addressed_by(" ".join([*other, before, "@AcmeCoffee", after]))


@given(
    place=st.sampled_from(["at", "in", "near", "from", "inside", "outside", "into", "by"]),
    det=st.sampled_from(["", "the ", "my ", "our ", "a "]),
    before=FILLER,
    after=FILLER,
)
def test_the_name_only_as_a_place_does_not_address_the_brand(
    place: str, det: str, before: str, after: str
) -> None:
    assert not ACME.addressed_by(f"{before} {place} {det}Acme Coffee {after}")


@pytest.mark.parametrize(
    ("text", "thanked"),
    [
        ("thanks for helping me find my lost keys", True),
        ("Thank you so much!", True),
        ("really appreciate it", True),
        ("so grateful for the team", True),
        ("thanks for nothing", False),
        ("Thank you for nothing, again.", False),
        ("no thanks", False),
        ("my order was wrong again", False),
        ("thankless job", False),  # a word of its own, not "thank"
    ],
)
def test_thanks(text: str, thanked: bool) -> None:
    assert thanks(text) is thanked


def test_a_brand_with_no_name_is_addressed_by_its_handles_only() -> None:
    handles_only = addressee(" ", ("@acmehelp",))
    assert handles_only.addressed_by("thanks @acmehelp")
    assert not handles_only.addressed_by("thanks, lovely")
