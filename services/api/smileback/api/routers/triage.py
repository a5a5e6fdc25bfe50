"""The triage queue: negative mentions that paged nobody, waiting for a human to look at them.
An entry closes as a smile-back one does: answered (dealt with), or dismissed with why."""

from __future__ import annotations

from smileback.api.routers.queue_routes import make_router
from smileback.api.schemas import TriageItem
from smileback.common.events import QueueName

__all__ = ["router"]

router = make_router(queue=QueueName.TRIAGE, entry=TriageItem, path="triage")
