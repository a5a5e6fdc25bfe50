"""Training, evaluation and the VADER baseline of the negativity model: `smileback[train]`.

Tooling, not runtime: services load the artifact it writes through `smileback.scorer.model`,
and the service image leaves this package and its corpus out.
"""

from importlib.util import find_spec

__all__ = ["missing_extra"]

# What the `train` extra installs (pyproject.toml), by import name; training and evaluation
# need every one of them.
_EXTRA = ("sklearn", "threadpoolctl", "vaderSentiment", "matplotlib")


def missing_extra() -> list[str]:
    """The extra's modules this environment cannot import; empty with smileback[train]."""
    return [name for name in _EXTRA if find_spec(name) is None]
