"""py-spy's collapsed stacks, read and summed up (pure): the functions that took the most samples
by their own time and by their cumulative time, and the same stacks as a speedscope file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "NO_PYTHON",
    "Hotspot",
    "Hotspots",
    "hotspots",
    "parse_collapsed",
    "render_hotspots",
    "speedscope",
]

Stacks = Mapping[tuple[str, ...], int]  # root-first frames -> samples
# py-spy writes a sample of a thread with no Python frame (native code only) with no frames.
NO_PYTHON = "(no Python frame)"


@dataclass(frozen=True)
class Hotspot:
    """A function and its samples: as the innermost frame (own) or anywhere (cumulative)."""

    function: str
    samples: int
    share: float  # of all samples


@dataclass(frozen=True)
class Hotspots:
    """The top functions of one profile."""

    samples: int
    own: list[Hotspot]
    cumulative: list[Hotspot]


def parse_collapsed(lines: Iterable[str]) -> dict[tuple[str, ...], int]:
    """`frame;frame;... count` lines (py-spy's `--format raw`, root first) -> samples per stack.

    The same stack on several lines is summed; an empty stack becomes `NO_PYTHON`."""
    stacks: Counter[tuple[str, ...]] = Counter()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        stack, space, count = line.rstrip("\n").rpartition(" ")
        if not space or not count.isdigit():
            raise ValueError(f"line {number} is not `frames count`: {line[:80]!r}")
        stacks[tuple(stack.split(";")) if stack else (NO_PYTHON,)] += int(count)
    return dict(stacks)


def hotspots(stacks: Stacks, *, own_top: int = 15, cumulative_top: int = 40) -> Hotspots:
    """The top functions by own samples and by cumulative samples (a function counts once per
    stack, however deep it recurses); ties in name order. More cumulative than own: the first
    dozen or so are the entry points and event loop every sample passes through."""
    own: Counter[str] = Counter()
    cumulative: Counter[str] = Counter()
    for frames, count in stacks.items():
        if frames:
            own[frames[-1]] += count
        for function in set(frames):
            cumulative[function] += count
    total = sum(stacks.values())

    def ranked(counts: Counter[str], top: int) -> list[Hotspot]:
        order = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
        return [Hotspot(function=f, samples=n, share=n / total) for f, n in order]

    return Hotspots(
        samples=total, own=ranked(own, own_top), cumulative=ranked(cumulative, cumulative_top)
    )


def render_hotspots(*, name: str, spots: Hotspots, rate_hz: int) -> str:
    """The text summary written beside each profile."""
    lines = [
        f"{name}: {spots.samples:,} samples at {rate_hz} Hz (one per busy thread per tick; "
        "idle threads are not sampled)"
    ]
    for title, rows in (("own time", spots.own), ("cumulative time", spots.cumulative)):
        lines += ["", f"by {title}:", "   share   samples  function"]
        lines += [f"  {r.share:6.1%}  {r.samples:8,}  {r.function}" for r in rows]
    return "\n".join(lines) + "\n"


def speedscope(stacks: Stacks, *, name: str) -> dict[str, Any]:
    """The stacks as a speedscope "sampled" profile (https://www.speedscope.app)."""
    frames: dict[str, int] = {}
    samples = [[frames.setdefault(f, len(frames)) for f in stack] for stack in stacks]
    weights = list(stacks.values())
    return {
        "$schema": "https://www.speedscope.app/file-format-schema.json",
        "name": name,
        "exporter": "benchmarks.e2e",
        "shared": {"frames": [{"name": f} for f in frames]},
        "profiles": [
            {
                "type": "sampled",
                "name": name,
                "unit": "none",
                "startValue": 0,
                "endValue": sum(weights),
                "samples": samples,
                "weights": weights,
            }
        ],
    }
