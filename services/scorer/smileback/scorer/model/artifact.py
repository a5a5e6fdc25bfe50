"""Writing the artifact, and loading it only after its SHA-256 matches what vouches for it.

The artifact is data, not code: numpy arrays and JSON in one `.npz` (module `archive`),
read without pickle, so no file, however made, runs code while it loads. The hash check
is against corruption and swaps: the shipped artifact must have the SHA-256 pinned here
in the code (`SHIPPED_SHA256`), not only the one on the card beside it; a model trained
elsewhere must match its own card. Bytes are read once, hashed and decoded from that copy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from smileback.scorer.model.archive import decode_model, encode_model
from smileback.scorer.model.card import CARD_NAME, FORMAT, ModelCard, read_card
from smileback.scorer.model.errors import ModelError
from smileback.scorer.model.negativity import NegativityModel

__all__ = ["SHIPPED_SHA256", "LoadedModel", "dump_model", "load_model", "shipped_dir"]

# The shipped artifacts/negativity.npz. Retraining the shipped model means updating this
# to the new card's artifact_sha256, in the same commit as the artifact.
SHIPPED_SHA256 = "b9a1f9ca1bce802f70ed6c342a89d52eb2b715b6ad195cf84301251799205aa8"


@dataclass(frozen=True)
class LoadedModel:
    """A verified model and the card that vouches for it."""

    model: NegativityModel
    card: ModelCard


def shipped_dir() -> Path:
    """The folder inside the package holding the shipped artifact and card."""
    return Path(str(resources.files("smileback.scorer.model") / "artifacts"))


def dump_model(*, model: NegativityModel, path: Path) -> tuple[str, int]:
    """Write `model` as an archive to `path`; return its SHA-256 and size in bytes."""
    data = encode_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest(), len(data)


def load_model(directory: Path | None = None) -> LoadedModel:
    """The model in `directory` (default: the shipped one), verified before it is decoded."""
    folder = directory or shipped_dir()
    card = read_card(folder / CARD_NAME)
    if card.format != FORMAT:
        raise ModelError(
            f"model card {folder / CARD_NAME} has format {card.format}, this code reads "
            f"format {FORMAT} (numpy arrays and JSON; pickled models are never loaded); "
            "retrain with `smileback train`"
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
    if folder.resolve() == shipped_dir().resolve() and digest != SHIPPED_SHA256:
        raise ModelError(
            f"refusing to load {path}: its SHA-256 is {digest}, the code pins the shipped "
            f"model at {SHIPPED_SHA256} (SHIPPED_SHA256 in {__name__}); after retraining "
            "the shipped model, update that constant"
        )
    try:
        model = decode_model(data)
    except ModelError as exc:
        raise ModelError(f"refusing to load {path}: {exc}") from exc
    return LoadedModel(model=model, card=card)
