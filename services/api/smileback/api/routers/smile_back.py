"""The smile-back queue: kind mentions that deserve a genuine reply, and marking them answered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends
from sqlalchemy import update

from smileback.api.acting import actor_of
from smileback.api.auth import Principal
from smileback.api.deps import READ, RESPOND, ContextDep, SessionDep
from smileback.api.errors import ApiError, documented
from smileback.api.pagination import newest_first, split_page
from smileback.api.params import Cursor, Limit, Word
from smileback.api.schemas import AnsweredIn, MentionOut, Page, SmileBackItem
from smileback.api.store import MentionRow, QueueItemRow
from smileback.api.store.queries import queue_query
from smileback.common.events import QueueName

__all__ = ["list_smile_back", "mark_answered", "router"]

router = APIRouter(prefix="/v1/smile-back", tags=["smile-back"])


@router.get(
    "", response_model=Page[SmileBackItem], responses=documented(), dependencies=[Depends(READ)]
)
def list_smile_back(
    session: SessionDep,
    answered: bool | None = None,
    brand: Word = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[SmileBackItem]:
    """The queue, newest first; `answered=false` for what still waits."""
    query = newest_first(
        queue_query(queue=QueueName.SMILE_BACK, answered=answered, brand=brand),
        at=QueueItemRow.at,
        id_=QueueItemRow.mention_id,
        cursor=cursor,
        limit=limit,
    )
    rows, next_cursor = split_page(
        session.execute(query).all(),
        limit=limit,
        key=lambda pair: (pair[0].at, pair[0].mention_id),
    )
    return Page[SmileBackItem](
        items=[_item(entry, mention) for entry, mention in rows], next_cursor=next_cursor
    )


@router.post(
    "/{mention_id:path}/answered",
    response_model=SmileBackItem,
    responses=documented(404, body=True),
)
def mark_answered(
    mention_id: str,
    context: ContextDep,
    principal: Annotated[Principal, Depends(RESPOND)],
    body: Annotated[AnsweredIn | None, Body()] = None,
) -> SmileBackItem:
    """Mark a queued mention as answered by the key's responder (the first answer's
    responder and time are kept)."""
    body = body or AnsweredIn()
    responder = actor_of(
        context, principal, claimed=body.responder, on_behalf_of=body.on_behalf_of
    ).responder
    with context.sessions() as session, session.begin():
        session.execute(
            update(QueueItemRow)
            .where(
                QueueItemRow.mention_id == mention_id,
                QueueItemRow.queue == str(QueueName.SMILE_BACK),
                QueueItemRow.answered.is_(False),
            )
            .values(answered=True, answered_by=responder, answered_at=context.clock())
        )
        entry = session.get(QueueItemRow, (mention_id, str(QueueName.SMILE_BACK)))
        if entry is None:
            raise ApiError(
                status=404, code="not_found", message=f"{mention_id!r} is not in the queue"
            )
        session.refresh(entry)
        return _item(entry, session.get(MentionRow, mention_id))


def _item(entry: QueueItemRow, mention: MentionRow | None) -> SmileBackItem:
    return SmileBackItem(
        mention_id=entry.mention_id,
        brand=entry.brand,
        reason=entry.reason,
        at=entry.at,
        answered=entry.answered,
        answered_by=entry.answered_by,
        answered_at=entry.answered_at,
        mention=MentionOut.model_validate(mention) if mention is not None else None,
    )
