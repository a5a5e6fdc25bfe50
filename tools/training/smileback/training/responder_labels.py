"""Responders' labels (`GET /v1/mentions/labels.jsonl`) as labelled texts of real traffic.

A label says what the model got wrong, not a full sentiment, so it maps onto the three
classes like this:

- `not_a_complaint`: a non-negative example, trained as neutral (the label does not say
  whether it was kind, and neutral is the class that moves P(negative) down without
  claiming warmth);
- `missed_complaint`: a negative example;
- `not_for_us`: left out. The mention is not about the brand, whatever its tone: that is
  the brand rules' problem, and teaching the model a sentiment from it would be noise.

A mention labelled more than once (by several responders, or a responder who changed their
mind) counts once, with its most recent label.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import ValidationError

from smileback.common.errors import ConfigError
from smileback.common.mention_labels import LabelRecord, MentionLabel
from smileback.training.data import LABELS, Labelled, sha256_file

__all__ = ["CLASS_OF", "LABELS_SET", "latest_labels", "load_label_records", "responder_labels"]

# The evaluation's name for them: a check set of real traffic.
LABELS_SET = "responders' labels (real traffic)"
# The training class (data.LABELS index) of each label; a label missing here is left out.
CLASS_OF = {
    MentionLabel.NOT_A_COMPLAINT: LABELS.index("neutral"),
    MentionLabel.MISSED_COMPLAINT: LABELS.index("negative"),
}


def load_label_records(path: Path) -> list[LabelRecord]:
    """Every line of an export, parsed as data only; a bad line is a ConfigError naming it."""
    if not path.is_file():
        raise ConfigError(f"labels file not found: {path}")
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text") from exc
    records = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(LabelRecord.model_validate_json(line))
        except ValidationError as exc:
            raise ConfigError(f"{path}:{number}: not a label record: {_first(exc)}") from exc
    return records


def latest_labels(records: list[LabelRecord]) -> list[LabelRecord]:
    """Each mention's most recent label (the later line on a tie), in mention id order."""
    latest: dict[str, LabelRecord] = {}
    for record in records:
        kept = latest.get(record.mention_id)
        if kept is None or record.at >= kept.at:
            latest[record.mention_id] = record
    return sorted(latest.values(), key=lambda record: record.mention_id)


def responder_labels(path: Path) -> Labelled:
    """The export at `path` as labelled texts: each mention once, by its latest label;
    `not_for_us` left out. ConfigError when nothing usable remains."""
    usable = [r for r in latest_labels(load_label_records(path)) if r.label in CLASS_OF]
    if not usable:
        raise ConfigError(
            f"{path}: no usable labels (not_a_complaint or missed_complaint; "
            "not_for_us is left out)"
        )
    return Labelled(
        [record.text for record in usable],
        np.array([CLASS_OF[record.label] for record in usable], dtype=np.int64),
        {f"labels/{path.name}": sha256_file(path)},
    )


def _first(exc: ValidationError) -> str:
    """The first problem of a line, where it is and what: enough to fix the line."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc", ()))
    return f"{where}: {error['msg']}" if where else str(error["msg"])
