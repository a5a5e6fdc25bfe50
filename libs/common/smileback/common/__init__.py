"""What services share, and nothing service-specific: event schemas and the contracts they
carry (context packet, redaction, incident status, the on-call file), settings, bus,
logging, metrics and errors."""

__all__: list[str] = []
