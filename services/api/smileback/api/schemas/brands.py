"""Brands and their boolean match rules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from smileback.api.schemas.base import In, Out, storable
from smileback.common.rules import MAX_RULE_CHARS
from smileback.common.rules.file import BRAND_NAME_PATTERN

__all__ = [
    "BRAND_NAME_PATTERN",
    "BrandIn",
    "BrandOut",
    "BrandUpdate",
    "Description",
    "RuleCheckIn",
    "RuleCheckOut",
    "RuleIn",
    "RuleOut",
    "RuleText",
]

RuleText = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_RULE_CHARS), AfterValidator(storable)
]
Description = Annotated[str, StringConstraints(max_length=2000), AfterValidator(storable)]


class RuleIn(In):
    query: RuleText
    description: Description = ""


class RuleOut(Out):
    id: str
    brand: str
    query: str
    normalized: str
    description: str
    created_at: datetime
    updated_at: datetime


class BrandIn(In):
    name: Annotated[str, StringConstraints(pattern=BRAND_NAME_PATTERN)]
    description: Description = ""
    rules: Annotated[list[RuleIn], Field(max_length=50)] = []


class BrandUpdate(In):
    description: Description


class BrandOut(Out):
    name: str
    description: str
    created_at: datetime
    updated_at: datetime
    rules: list[RuleOut]


class RuleCheckIn(In):
    query: RuleText
    text: Annotated[str, StringConstraints(max_length=10_000), AfterValidator(storable)] | None = (
        None
    )


class RuleCheckOut(Out):
    """Whether a rule parses (with the error's position if not) and, given a text, matches it."""

    valid: bool
    normalized: str | None
    error: str | None
    position: int | None
    matches: bool | None
