"""A test double for the Notifier seam: records notifications and fails on request."""

from __future__ import annotations

from smileback.alerts.notifiers.base import Notification, Notifier, NotifyError

__all__ = ["RecordingNotifier"]


class RecordingNotifier(Notifier):
    """Keeps every delivered notification; the first `fail_times` calls raise NotifyError."""

    def __init__(
        self, *, name: str = "recording", fail_times: int = 0, permanent: bool = False
    ) -> None:
        self.name = name
        self.sent: list[Notification] = []
        self.attempts = 0
        self.fail_times = fail_times
        self.permanent = permanent

    def send(self, *, notification: Notification) -> None:
        self.attempts += 1
        if self.fail_times > 0:
            self.fail_times -= 1
            raise NotifyError(f"{self.name} told to fail", permanent=self.permanent)
        self.sent.append(notification)
