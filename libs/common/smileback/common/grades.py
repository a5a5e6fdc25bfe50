"""The graded scales events and context packets share: a page's severity, an author's reach.

Their own module so that `packet` can use them while `events` imports `packet`.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ReachTier", "Severity"]


class ReachTier(StrEnum):
    NONE = "none"
    NANO = "nano"
    MICRO = "micro"
    MACRO = "macro"
    MEGA = "mega"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"
