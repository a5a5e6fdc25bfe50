"""Responders' labels on mentions ("not a complaint", "missed complaint", "not for us"):
recorded by who the key says, listed, and exported as JSON lines for `smileback train
--labels` and `smileback evaluate --labels`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse

from smileback.api.acting import acting_responder
from smileback.api.context import ApiContext
from smileback.api.deps import READ, ContextDep, ResponderDep, SessionDep
from smileback.api.errors import ApiError, documented
from smileback.api.pagination import count_rows, newest_first, split_page
from smileback.api.params import Cursor, Limit, Since, Until, Word, check_order
from smileback.api.schemas import CountedPage
from smileback.api.schemas.labels import LabelIn, LabelOut
from smileback.api.store import MentionLabelRow, MentionRow
from smileback.api.store.labels import LabelFilter, label_query, record_label
from smileback.common.mention_labels import LabelRecord, MentionLabel

__all__ = ["export_labels", "label_mention", "list_labels", "router"]

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/v1/mentions", tags=["labels"])

_JSONL_TYPE = "application/x-ndjson"
_EXPORT_BATCH = 500

_LabelParam = Annotated[MentionLabel | None, Query(description="Only this label.")]


@router.get(
    "/labels",
    response_model=CountedPage[LabelOut],
    responses=documented(),
    dependencies=[Depends(READ)],
)
def list_labels(
    session: SessionDep,
    label: _LabelParam = None,
    brand: Word = None,
    responder: Word = None,
    mention_id: Word = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> CountedPage[LabelOut]:
    """Labels, newest first, each with its mention's brand and text (`since`/`until`: when
    labelled); `total` counts every label the filters match."""
    check_order(since, until)
    labels = label_query(
        LabelFilter(
            label=label,
            brand=brand,
            responder=responder,
            mention_id=mention_id,
            since=since,
            until=until,
        )
    )
    query = newest_first(
        labels,
        at=MentionLabelRow.at,
        id_=MentionLabelRow.id,
        cursor=cursor,
        limit=limit,
    )
    rows, next_cursor = split_page(
        session.execute(query).all(), limit=limit, key=lambda pair: (pair[0].at, pair[0].id)
    )
    return CountedPage[LabelOut](
        items=[_out(row, mention) for row, mention in rows],
        next_cursor=next_cursor,
        total=count_rows(session, labels),
    )


@router.get(
    "/labels.jsonl",
    responses={
        200: {"content": {_JSONL_TYPE: {}}, "description": "One label per line."},
        **documented(),
    },
    response_class=StreamingResponse,
    dependencies=[Depends(READ)],
)
def export_labels(
    context: ContextDep,
    label: _LabelParam = None,
    brand: Word = None,
    since: Since = None,
    until: Until = None,
) -> StreamingResponse:
    """Every label as a JSON line (mention_id, brand, text, label, responder, at), newest
    first, for `smileback train --labels`; mentions whose text was redacted are left out."""
    check_order(since, until)
    wanted = LabelFilter(label=label, brand=brand, since=since, until=until, with_text_only=True)
    return StreamingResponse(_export_lines(context, wanted), media_type=_JSONL_TYPE)


@router.post(
    "/{mention_id:path}/labels",
    response_model=LabelOut,
    status_code=201,
    responses={
        200: {"model": LabelOut, "description": "This responder gave this label before"},
        **documented(404, body=True),
    },
)
def label_mention(
    mention_id: str,
    body: LabelIn,
    response: Response,
    context: ContextDep,
    principal: ResponderDep,
) -> LabelOut:
    """Label a mention as the key's responder: 201 for a new label; 200 when this responder
    gave it before (one record is kept, its time moved to now)."""
    responder = acting_responder(
        context, principal, claimed=body.responder, on_behalf_of=body.on_behalf_of
    ).responder
    with context.sessions() as session, session.begin():
        mention = session.get(MentionRow, mention_id)
        if mention is None:
            raise ApiError(status=404, code="not_found", message=f"no mention {mention_id!r}")
        row, created = record_label(
            session=session,
            mention_id=mention_id,
            responder=responder,
            label=body.label,
            at=context.clock(),
        )
        log.info(
            "mention labelled",
            mention_id=mention_id,
            label=str(body.label),
            responder=responder,
            key_id=principal.key_id,
            new=created,
        )
        response.status_code = 201 if created else 200
        return _out(row, mention)


def _export_lines(context: ApiContext, wanted: LabelFilter) -> Iterator[str]:
    """The export, a batch of rows per short-lived session (a long export holds no
    transaction open)."""
    cursor: str | None = None
    while True:
        query = newest_first(
            label_query(wanted),
            at=MentionLabelRow.at,
            id_=MentionLabelRow.id,
            cursor=cursor,
            limit=_EXPORT_BATCH,
        )
        with context.sessions() as session:
            rows, cursor = split_page(
                session.execute(query).all(),
                limit=_EXPORT_BATCH,
                key=lambda pair: (pair[0].at, pair[0].id),
            )
            lines = [_record(row, mention).model_dump_json() + "\n" for row, mention in rows]
        yield "".join(lines)
        if cursor is None:
            return


def _out(row: MentionLabelRow, mention: MentionRow) -> LabelOut:
    return LabelOut(
        id=row.id,
        mention_id=row.mention_id,
        brand=mention.brand,
        text=mention.text,
        label=MentionLabel(row.label),
        responder=row.responder,
        at=row.at,
        redacted=mention.redacted,
    )


def _record(row: MentionLabelRow, mention: MentionRow) -> LabelRecord:
    return LabelRecord(
        mention_id=row.mention_id,
        brand=mention.brand,
        text=mention.text,
        label=MentionLabel(row.label),
        responder=row.responder,
        at=row.at,
    )
