"""Shared schemas, settings, bus, logging, metrics and errors: nothing service-specific."""

__all__: list[str] = []
