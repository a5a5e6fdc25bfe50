"""A responder's label on a mention, and the export line that carries it to training.

The API records labels (`POST /v1/mentions/{id}/labels`) and exports them one `LabelRecord`
per JSON line; `smileback train --labels` and `smileback evaluate --labels` read those
lines back with the same model, so both sides agree on one format.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from smileback.common.events import MAX_TEXT_CHARS

__all__ = ["LABEL_TITLES", "LabelRecord", "MentionLabel"]


class MentionLabel(StrEnum):
    """What a responder says the model got wrong about a mention."""

    # The model (or a rule) took it for a complaint; it is not one.
    NOT_A_COMPLAINT = "not_a_complaint"
    # A complaint the model did not flag as negative.
    MISSED_COMPLAINT = "missed_complaint"
    # Not about the brand at all: a matching problem, not a sentiment one.
    NOT_FOR_US = "not_for_us"


# How people read each label, in the console and in reports.
LABEL_TITLES = {
    MentionLabel.NOT_A_COMPLAINT: "not a complaint",
    MentionLabel.MISSED_COMPLAINT: "missed complaint",
    MentionLabel.NOT_FOR_US: "not for us",
}


class LabelRecord(BaseModel):
    """One label as exported: the mention's text and brand, the label, who gave it and when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mention_id: Annotated[str, Field(min_length=1, max_length=512)]
    brand: str | None
    text: Annotated[str, Field(max_length=MAX_TEXT_CHARS)]
    label: MentionLabel
    responder: Annotated[str, Field(min_length=1, max_length=200)]
    at: AwareDatetime
