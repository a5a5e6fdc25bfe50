"""The model card: what an artifact is, how it was made, how good it is, and its hash.

Written next to the artifact by `smileback train` as JSON, and shipped with it. It
holds no timestamps, so training twice on the same data writes the same card.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from smileback.scorer.model.errors import ModelError

__all__ = ["ARTIFACT_NAME", "CARD_NAME", "FORMAT", "ModelCard", "SplitMetrics", "read_card"]

ARTIFACT_NAME = "negativity.npz"
CARD_NAME = "negativity.card.json"
# Bump when the archive's contents change shape; cards of other formats are refused. Format
# 1 was a pickle (joblib), which could run code while loading: it is never read again.
FORMAT = 2


class SplitMetrics(BaseModel):
    """Quality on one labelled set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rows: int
    negative_precision: float
    negative_recall: float
    negative_f1: float
    macro_f1: float
    macro_recall: float
    seen_in: str = Field(description="which training step saw this data, or 'none'")


class ModelCard(BaseModel):
    """The JSON card beside an artifact."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "smileback-negativity"
    format: int = FORMAT
    version: str
    artifact: str = ARTIFACT_NAME
    artifact_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    artifact_bytes: int
    threshold: float = Field(ge=0.0, le=1.0)
    class_prior: tuple[float, float, float] = Field(
        description="share of each label in the (weighted) training data; sentiment divides by it"
    )
    labels: tuple[str, str, str] = ("negative", "neutral", "positive")
    seed: int
    scikit_learn: str
    numpy: str
    environment: dict[str, str] = Field(
        default={},
        description="python, scipy, BLAS and numpy's SIMD targets: what last digits depend on",
    )
    training_data: dict[str, str]
    threshold_data: dict[str, str]
    parameters: dict[str, object]
    metrics: dict[str, SplitMetrics]
    notes: list[str] = []

    @property
    def model_version(self) -> str:
        """The label scores carry: card version plus the artifact's hash prefix."""
        return f"negativity-{self.version}-{self.artifact_sha256[:8]}"

    def to_json(self) -> str:
        """Readable JSON in field order, ending in a newline."""
        return self.model_dump_json(indent=2) + "\n"


def read_card(path: Path) -> ModelCard:
    """The card at `path`; ModelError when it is missing or not a valid card."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"model card not readable: {path} ({exc.strerror})") from exc
    try:
        return ModelCard.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'card'}: {e['msg']}" for e in exc.errors()
        )
        raise ModelError(f"invalid model card {path}: {problems}") from exc
