"""The api service: a projector into the SQL store and the REST API over it."""

__all__: list[str] = []
