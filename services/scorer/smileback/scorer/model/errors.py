"""The model's one error, inside the project's hierarchy."""

from __future__ import annotations

from smileback.common.errors import ConfigError

__all__ = ["ModelError"]


class ModelError(ConfigError):
    """A model artifact or card is missing, invalid, or does not match its recorded hash."""
