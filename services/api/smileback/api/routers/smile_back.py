"""The smile-back queue: kind mentions that deserve a genuine reply, how long each has waited,
marking them answered, and dismissing one that is not for us (with the reason)."""

from __future__ import annotations

from smileback.api.routers.queue_routes import make_router
from smileback.api.schemas import SmileBackItem
from smileback.common.events import QueueName

__all__ = ["router"]

router = make_router(queue=QueueName.SMILE_BACK, entry=SmileBackItem, path="smile-back")
