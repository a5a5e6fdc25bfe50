"""Hostile model folders: a pickle payload that leaves a marker file, and forged cards."""

import hashlib
import json
import pickle
from pathlib import Path

from smileback.scorer.model.card import ARTIFACT_NAME, CARD_NAME


class Boom:
    """Unpickling this creates `marker` (builtins.open, so it runs in any process)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def live_payload(folder: Path) -> Boom:
    """A Boom marking `folder`/payload-ran, after checking that unpickling one runs it."""
    probe = folder / "probe"
    pickle.loads(pickle.dumps(Boom(probe)))
    assert probe.exists()
    return Boom(folder / "payload-ran")


def vouch_for(folder: Path, data: bytes, *, name: str = ARTIFACT_NAME, **card_changes) -> None:
    """Put `data` in as the artifact `name`, with the card in `folder` forged to match it."""
    (folder / name).write_bytes(data)
    card = json.loads((folder / CARD_NAME).read_text())
    card.update(artifact=name, artifact_sha256=hashlib.sha256(data).hexdigest())
    card.update(artifact_bytes=len(data), **card_changes)
    (folder / CARD_NAME).write_text(json.dumps(card))
