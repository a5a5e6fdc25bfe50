"""Labelled text for training and evaluation: TweetEval files, user CSV/JSONL, the brand set.

Labels are 0 negative, 1 neutral, 2 positive everywhere (TweetEval's mapping). User
files give `label` as that number or as the word.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from smileback.common.errors import ConfigError

__all__ = [
    "LABELS",
    "NEGATIVE",
    "TWEETEVAL_ENV",
    "Labelled",
    "corpus_dir",
    "default_tweeteval_dir",
    "load_corpus",
    "load_labelled",
    "load_tweeteval",
    "sha256_file",
    "split_half",
]

LABELS = ("negative", "neutral", "positive")
TWEETEVAL_ENV = "SMILEBACK_TWEETEVAL_DIR"
NEGATIVE = 0


@dataclass(frozen=True)
class Labelled:
    """Texts with their labels (0 negative, 1 neutral, 2 positive) and where they came from."""

    texts: list[str]
    labels: np.ndarray  # int64, one per text
    sources: dict[str, str]  # file name -> SHA-256

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, index: np.ndarray) -> Labelled:
        """The rows at `index`, same sources."""
        return Labelled([self.texts[i] for i in index], self.labels[index], self.sources)

    def plus(self, other: Labelled) -> Labelled:
        """These rows followed by `other`'s, sources merged."""
        return Labelled(
            [*self.texts, *other.texts],
            np.concatenate([self.labels, other.labels]),
            {**self.sources, **other.sources},
        )


def default_tweeteval_dir() -> Path:
    """$SMILEBACK_TWEETEVAL_DIR, else ../shared/data/tweeteval beside the repository."""
    configured = os.environ.get(TWEETEVAL_ENV)
    if configured:
        return Path(configured)
    repo = Path(__file__).resolve().parents[4]
    return repo.parent / "shared" / "data" / "tweeteval"


def corpus_dir() -> Path:
    """The labelled brand-directed mentions shipped with the package for training."""
    return Path(__file__).resolve().parent / "corpus"


def load_corpus(directory: Path) -> Labelled:
    """Every JSONL file in `directory`, in name order, as one labelled set."""
    files = sorted(directory.glob("*.jsonl"))
    if not files:
        raise ConfigError(f"no labelled JSONL files in {directory}")
    parts = [load_labelled(path, source=f"corpus/{path.name}") for path in files]
    corpus = parts[0]
    for part in parts[1:]:
        corpus = corpus.plus(part)
    return corpus


def load_tweeteval(*, directory: Path, split: str) -> Labelled:
    """The `split` ("train" or "val") of TweetEval sentiment from `directory`."""
    text_path = directory / f"{split}_text.txt"
    label_path = directory / f"{split}_labels.txt"
    for path in (text_path, label_path):
        if not path.is_file():
            raise ConfigError(f"TweetEval file not found: {path} (set --data or ${TWEETEVAL_ENV})")
    texts = text_path.read_text(encoding="utf-8").split("\n")
    labels = label_path.read_text(encoding="utf-8").split()
    if texts and texts[-1] == "":
        texts.pop()
    if len(texts) != len(labels):
        raise ConfigError(
            f"{text_path.name} has {len(texts)} lines, {label_path.name} has {len(labels)}"
        )
    return Labelled(
        texts,
        np.array([_label(value, where=label_path) for value in labels], dtype=np.int64),
        {f"tweeteval/{p.name}": sha256_file(p) for p in (text_path, label_path)},
    )


def load_labelled(path: Path, *, source: str | None = None) -> Labelled:
    """Labelled mentions: CSV with a header, or JSONL; fields `text` and `label`.

    `source` names the file in `sources` (default: its file name).
    """
    if not path.is_file():
        raise ConfigError(f"labelled file not found: {path}")
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text") from exc
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(raw.splitlines()))
    else:
        rows = []
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path}:{number}: invalid JSON: {exc.msg}") from exc
    texts: list[str] = []
    labels: list[int] = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise ConfigError(f"{path}: row {number} needs a text field")
        texts.append(row["text"])
        labels.append(_label(row.get("label"), where=path))
    if not texts:
        raise ConfigError(f"{path}: no labelled rows")
    return Labelled(
        texts, np.array(labels, dtype=np.int64), {source or path.name: sha256_file(path)}
    )


def split_half(
    labels: np.ndarray, *, seed: int, share: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Two disjoint index sets, stratified by label, fixed by `seed`; `share` goes first."""
    rng = np.random.default_rng(seed)
    first: list[int] = []
    second: list[int] = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        rng.shuffle(rows)
        cut = int(len(rows) * share)
        first += rows[:cut].tolist()
        second += rows[cut:].tolist()
    return np.array(sorted(first)), np.array(sorted(second))


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _label(value: object, *, where: Path) -> int:
    """0, 1 or 2 from a number or a label word."""
    text = str(value).strip().lower()
    if text in LABELS:
        return LABELS.index(text)
    if text in ("0", "1", "2"):
        return int(text)
    raise ConfigError(f"{where}: unknown label {value!r} (use {', '.join(LABELS)} or 0/1/2)")
