"""Responders' labels on mentions: recording one (idempotently) and the query behind the
listing and the export."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from smileback.api.store.models import MentionLabelRow, MentionRow
from smileback.common.mention_labels import MentionLabel

__all__ = ["LabelFilter", "label_query", "record_label"]


@dataclass(frozen=True)
class LabelFilter:
    """Every label listing filter; None means "any"."""

    label: MentionLabel | None = None
    brand: str | None = None
    responder: str | None = None
    mention_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    with_text_only: bool = False


def record_label(
    *, session: Session, mention_id: str, responder: str, label: MentionLabel, at: datetime
) -> tuple[MentionLabelRow, bool]:
    """Store `responder`'s `label` on a stored mention, or move an identical one's time to `at`
    (the responder's latest word); the row, and whether it is new."""
    key = (
        MentionLabelRow.mention_id == mention_id,
        MentionLabelRow.responder == responder,
        MentionLabelRow.label == str(label),
    )
    row = session.scalars(select(MentionLabelRow).where(*key).with_for_update()).one_or_none()
    if row is None:
        fresh = MentionLabelRow(
            id=uuid.uuid4().hex, mention_id=mention_id, responder=responder, label=str(label), at=at
        )
        try:
            with session.begin_nested():
                session.add(fresh)
            return fresh, True
        except IntegrityError:  # the same label, posted twice at once: the other one won
            row = session.scalars(select(MentionLabelRow).where(*key)).one()
    row.at = at
    return row, False


def label_query(f: LabelFilter) -> Select[MentionLabelRow, MentionRow]:
    """Labels with their mention, matching every given filter (ordering and paging are the
    caller's); `with_text_only` leaves out mentions whose text was redacted."""
    query = (
        select(MentionLabelRow, MentionRow)
        .join(MentionRow, MentionRow.id == MentionLabelRow.mention_id)
        .options(defer(MentionRow.payload))
    )
    if f.label is not None:
        query = query.where(MentionLabelRow.label == str(f.label))
    if f.brand is not None:
        query = query.where(MentionRow.brand == f.brand)
    if f.responder is not None:
        query = query.where(MentionLabelRow.responder == f.responder)
    if f.mention_id is not None:
        query = query.where(MentionLabelRow.mention_id == f.mention_id)
    if f.since is not None:
        query = query.where(MentionLabelRow.at >= f.since)
    if f.until is not None:
        query = query.where(MentionLabelRow.at < f.until)
    if f.with_text_only:
        query = query.where(MentionRow.redacted.is_(False))
    return query
