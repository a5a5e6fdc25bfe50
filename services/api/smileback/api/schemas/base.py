"""Shapes every resource shares: the error body, pages, and safe input text."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

__all__ = [
    "CountedPage",
    "ErrorBody",
    "ErrorDetail",
    "In",
    "Name",
    "Out",
    "Page",
    "Prose",
    "storable",
]

T = TypeVar("T")


class Out(BaseModel):
    """Base of response models: read from ORM rows, never changed."""

    model_config = ConfigDict(from_attributes=True, frozen=True)


class In(BaseModel):
    """Base of request bodies: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def storable(value: str) -> str:
    """The value, if a SQL text column can hold it; ValueError otherwise."""
    # SQL text cannot hold NUL, and a lone surrogate is not UTF-8: refuse both up front.
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from exc
    return value


# A person's or key's name: one line, not blank.
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=r"\S"),
    AfterValidator(storable),
]
# Free text such as a note: not blank, bounded.
Prose = Annotated[
    str,
    StringConstraints(min_length=1, max_length=4000, pattern=r"\S"),
    AfterValidator(storable),
]


class ErrorDetail(Out):
    code: str
    message: str
    position: int | None = None  # only for rule syntax errors: 0-based offset in the rule
    owner: str | None = None  # only for a 409 on a claimed incident: who holds it


class ErrorBody(Out):
    """Every error the API returns has this shape."""

    error: ErrorDetail


class Page(Out, Generic[T]):
    """One page of a listing; pass `next_cursor` as `cursor` for the next (null: last page)."""

    items: list[T]
    next_cursor: str | None


class CountedPage(Page[T], Generic[T]):
    """One page of a listing; `total` counts every item its filters match, on all pages."""

    total: int
