"""A small, deterministic labelled corpus in TweetEval's file layout, for fast training tests."""

import itertools
from pathlib import Path

THINGS = ["the coffee", "the app", "the delivery", "the staff", "the train", "the update"]
NEGATIVE = [
    "{t} is awful and I hate it",
    "worst {t} ever, so disappointed",
    "{t} was terrible again :(",
    "not happy with {t} at all",
    "{t} is broken, useless and slow 😡",
]
NEUTRAL = [
    "{t} opens at nine tomorrow",
    "is {t} available on sunday?",
    "checking {t} before work",
    "{t} moved to the new building",
    "we talked about {t} today",
]
POSITIVE = [
    "{t} is great, I love it",
    "thank you for {t}, wonderful :)",
    "best {t} ever, so happy",
    "really enjoyed {t} today ❤️",
    "{t} was lovely and helpful",
]


def rows() -> list[tuple[str, int]]:
    """Every template with every thing, labelled 0/1/2, in a fixed interleaved order."""
    labelled = [
        [(template.format(t=thing), label) for template in templates for thing in THINGS]
        for label, templates in enumerate([NEGATIVE, NEUTRAL, POSITIVE])
    ]
    return [row for group in itertools.zip_longest(*labelled) for row in group if row]


def write_tweeteval(folder: Path) -> Path:
    """train/val text and label files; val reuses every other row (all three labels)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = rows()
    splits = {"train": data, "val": data[::2]}
    for split, items in splits.items():
        (folder / f"{split}_text.txt").write_text("".join(f"{t}\n" for t, _ in items))
        (folder / f"{split}_labels.txt").write_text("".join(f"{y}\n" for _, y in items))
    return folder
