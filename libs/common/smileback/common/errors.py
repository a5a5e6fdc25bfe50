"""The one exception hierarchy. Adapters translate foreign exceptions into these.

SmilebackError
├── ConfigError      settings or a config file are invalid; raised at start
├── SchemaError      a record does not match its event schema; goes to the DLQ
├── BusError         the message bus failed (broker down, timeout)
└── DeliveryError    a notifier could not deliver; retried from the outbox
"""

__all__ = ["BusError", "ConfigError", "DeliveryError", "SchemaError", "SmilebackError"]


class SmilebackError(Exception):
    """Base of every error Smileback raises on purpose."""


class ConfigError(SmilebackError):
    """Settings or a configuration file are invalid."""


class SchemaError(SmilebackError):
    """A record does not match its event schema."""


class BusError(SmilebackError):
    """The message bus failed."""


class DeliveryError(SmilebackError):
    """A notification could not be delivered."""
