"""The routes every human queue has, made once per queue (smile-back, triage): its listing
in a chosen order with a total, marking an entry answered, and dismissing one (with why)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends

from smileback.api import queues
from smileback.api.deps import READ, ContextDep, ResponderDep, SessionDep
from smileback.api.errors import documented
from smileback.api.params import Cursor, Limit, Word
from smileback.api.schemas import AnsweredIn, DismissIn, QueueEntry, QueuePage, QueueSort
from smileback.common.events import QueueName

__all__ = ["make_router"]


def make_router(*, queue: QueueName, entry: type[QueueEntry], path: str) -> APIRouter:
    """The routes of `queue` under `/v1/<path>`, answering with `entry`s."""
    router = APIRouter(prefix=f"/v1/{path}", tags=[path])

    @router.get(
        "",
        response_model=QueuePage[entry],  # type: ignore[valid-type]
        responses=documented(),
        dependencies=[Depends(READ)],
    )
    def list_queue(
        session: SessionDep,
        context: ContextDep,
        answered: bool | None = None,
        brand: Word = None,
        sort: QueueSort = QueueSort.NEWEST,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> QueuePage[QueueEntry]:
        """The queue, newest first, or `sort=waiting` (longest wait first) or `sort=audience`
        (most followers first); `answered=false` for what still waits (dismissed entries
        have left it). `total` counts every entry the filters match, on all pages."""
        return queues.list_entries(
            session,
            entry=entry,
            queue=queue,
            answered=answered,
            brand=brand,
            sort=sort,
            limit=limit,
            cursor=cursor,
            now=context.clock(),
        )

    @router.post(
        "/{mention_id:path}/answered",
        response_model=entry,
        responses=documented(404, body=True),
    )
    def mark_answered(
        mention_id: str,
        context: ContextDep,
        principal: ResponderDep,
        body: Annotated[AnsweredIn | None, Body()] = None,
    ) -> QueueEntry:
        """Mark a queued mention as answered by the key's responder (the first answer's
        responder and time are kept)."""
        return queues.mark_answered(
            context,
            principal,
            entry=entry,
            queue=queue,
            mention_id=mention_id,
            body=body or AnsweredIn(),
        )

    @router.post(
        "/{mention_id:path}/dismiss",
        response_model=entry,
        responses=documented(404, body=True),
    )
    def dismiss(
        mention_id: str, context: ContextDep, principal: ResponderDep, body: DismissIn
    ) -> QueueEntry:
        """ "Not for us" / nothing to do: take a mention out of the queue, keeping why;
        dismissed by the key's responder (the first dismissal's reason, responder and time
        are kept)."""
        return queues.dismiss_entry(
            context, principal, entry=entry, queue=queue, mention_id=mention_id, body=body
        )

    return router
