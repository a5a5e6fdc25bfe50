"""Suite-wide pytest configuration."""

import pytest

# Session fixtures shared by the scorer's model tests and the training tests.
pytest_plugins = ["tests.support.small_model"]


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers used across the suite."""
    config.addinivalue_line(
        "markers",
        "integration: needs a real Kafka broker and PostgreSQL"
        " (started on demand, see tests/integration/conftest.py)",
    )
