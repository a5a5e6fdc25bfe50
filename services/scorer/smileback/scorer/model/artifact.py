"""Writing the artifact, and loading it only after its SHA-256 matches its card.

joblib (pickle) can run code while it loads, so the bytes are read once, hashed,
compared with the card shipped beside them, and only then unpickled, from those same
bytes. A swapped, truncated or corrupted file is refused with ModelError and never
unpickled. The card itself is JSON and safe to parse.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import joblib

from smileback.scorer.model.card import CARD_NAME, FORMAT, ModelCard, read_card
from smileback.scorer.model.errors import ModelError
from smileback.scorer.model.negativity import NegativityModel

__all__ = ["LoadedModel", "dump_model", "load_model", "shipped_dir"]

_COMPRESS = ("zlib", 6)


@dataclass(frozen=True)
class LoadedModel:
    """A verified model and the card that vouches for it."""

    model: NegativityModel
    card: ModelCard


def shipped_dir() -> Path:
    """The folder inside the package holding the shipped artifact and card."""
    return Path(str(resources.files("smileback.scorer.model") / "artifacts"))


def dump_model(*, model: NegativityModel, path: Path) -> tuple[str, int]:
    """Write `model` compressed to `path`; return its SHA-256 and size in bytes."""
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=_COMPRESS)
    data = buffer.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest(), len(data)


def load_model(directory: Path | None = None) -> LoadedModel:
    """The model in `directory` (default: the shipped one), verified against its card."""
    folder = directory or shipped_dir()
    card = read_card(folder / CARD_NAME)
    if card.format != FORMAT:
        raise ModelError(
            f"model card {folder / CARD_NAME} has format {card.format}, this code reads "
            f"format {FORMAT}; retrain with `smileback train`"
        )
    if Path(card.artifact).name != card.artifact or card.artifact in ("", ".", ".."):
        raise ModelError(f"model card names an artifact outside {folder}: {card.artifact!r}")
    path = folder / card.artifact
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"model artifact not readable: {path} ({exc.strerror})") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != card.artifact_sha256:
        raise ModelError(
            f"refusing to load {path}: its SHA-256 is {digest}, the card says "
            f"{card.artifact_sha256}; the file was changed or corrupted"
        )
    model = joblib.load(io.BytesIO(data))
    if not isinstance(model, NegativityModel):
        raise ModelError(f"{path} holds a {type(model).__name__}, not a NegativityModel")
    return LoadedModel(model=model, card=card)
