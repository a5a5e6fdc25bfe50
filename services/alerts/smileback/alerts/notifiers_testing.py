"""A test double for the Notifier seam: records pages and fails on request."""

from __future__ import annotations

from smileback.alerts.notifiers import Notifier, Page
from smileback.common.errors import DeliveryError

__all__ = ["RecordingNotifier"]


class RecordingNotifier(Notifier):
    """Keeps every delivered page; the first `fail_times` calls raise DeliveryError."""

    name = "recording"

    def __init__(self, *, fail_times: int = 0) -> None:
        self.pages: list[Page] = []
        self.attempts = 0
        self.fail_times = fail_times

    def send(self, *, page: Page) -> None:
        self.attempts += 1
        if self.fail_times > 0:
            self.fail_times -= 1
            raise DeliveryError("recording notifier told to fail")
        self.pages.append(page)
