"""Brand-rule matching per mention: 1,000 rules through the RuleSet index vs asking each rule.

    .venv/bin/python benchmarks/bench_rules.py [--rules 1000] [--mentions 3000] [--repeat 3]

Rules and mentions are generated from a seed, the same every run. Each brand gets one rule of
the shapes people write: its name in a phrase with its category, its @handle and #tag, a
brand word AND a topic, NOT exclusions (hiring, job openings, ads, giveaways, a street of the
same name). Mentions: complaints, praise and questions naming one brand, two, or none
(chatter about the categories, job posts that the exclusions must drop), 40 to 280 characters.

Two matchers, measured in the same run, pinned to one CPU, round-robin --repeat times:
RuleSet.match, and the loop over every CompiledRule.matches (the baseline). Each mention's
time is its fastest of the repeats; the table gives the median, p99 and mean over mentions,
and the baseline's median as a multiple of the RuleSet's. Both must name the same brands.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable

from smileback.common.rules import CompiledRule, RuleSet, compile_rule

_PREFIXES = [
    "acme",
    "brightleaf",
    "northwind",
    "bluepeak",
    "silverline",
    "greenfield",
    "redrock",
    "suncrest",
    "starfall",
    "riverbend",
    "oakridge",
    "ironclad",
    "cloudnine",
    "pixelforge",
    "urbanest",
    "novaluxe",
    "summitco",
    "coralbay",
    "maplewood",
    "echopoint",
    "lumen",
    "zephyr",
    "quanta",
    "orbital",
    "harbor",
    "kestrel",
    "falcon",
    "juniper",
    "aurora",
    "canyon",
    "meridian",
    "solstice",
    "tidewater",
    "granite",
    "velvet",
    "copperleaf",
    "emberly",
    "frostline",
    "wildoak",
]
_SUFFIXES = (
    *("", "go", "hq", "labs", "co", "plus", "one", "now", "home", "pro", "uk", "us", "mart"),
    *("box", "hub", "ly", "ify", "io", "works", "shop", "direct", "express", "fresh", "point"),
    *("line", "zone"),
)
_CATEGORIES = [
    "coffee",
    "airlines",
    "bank",
    "mobile",
    "pizza",
    "shoes",
    "energy",
    "insurance",
    "games",
    "cloud",
    "bikes",
    "tea",
    "burgers",
    "telecom",
    "streaming",
    "fitness",
    "hotels",
    "rail",
    "cosmetics",
    "groceries",
]
_COMPLAINTS = [
    "my order never arrived and nobody answers",
    "charged twice this month, I want a refund",
    "the app keeps crashing when I try to pay",
    "worst customer service I have had in years",
    "been on hold for 45 minutes, unbelievable",
    "the delivery was cold and two hours late",
]
_PRAISE = [
    "honestly the best service I've had all year",
    "thank you for sorting my account so quickly",
    "the new flavour is amazing, well done",
    "shoutout to the team at the downtown store",
]
_CHATTER = [
    "anyone know a good {cat} place near the station?",
    "why is every {cat} so expensive these days",
    "thinking about switching {cat} providers, suggestions welcome",
    "the {cat} queue this morning was wild lol",
    "#mondaymotivation grab a {cat} and get going",
]
_JOBS = [
    "{brand} {cat} is hiring baristas downtown, apply now",
    "job opening at {brand} {cat}: shift lead, DM for details",
]


def _brands(count: int) -> list[tuple[str, str]]:
    """(name, category) pairs: distinct names from prefix and suffix, a category each."""
    rng = random.Random(7)
    names = [p + s for s in _SUFFIXES for p in _PREFIXES][:count]
    if len(names) < count:
        raise SystemExit(f"at most {len(_PREFIXES) * len(_SUFFIXES)} brands")
    return [(name, rng.choice(_CATEGORIES)) for name in names]


def _rule(i: int, name: str, cat: str) -> str:
    shapes = [
        f'("{name} {cat}" OR @{name} OR #{name}) AND NOT (hiring OR "job opening")',
        f"({name} OR @{name}) AND ({cat} OR refund OR order OR app OR service)",
        f'"{name} {cat}" OR @{name} OR #{name}{cat}',
        f'#{name} OR (@{name} AND NOT giveaway) OR "{name} support"',
        f'{name} AND NOT ("{name} street" OR #ad OR sponsored OR hiring)',
    ]
    return shapes[i % len(shapes)]


def _mentions(brands: list[tuple[str, str]], count: int) -> list[str]:
    rng = random.Random(11)

    def named(name: str, cat: str) -> str:
        return rng.choice(
            [f"@{name}", f"{name.title()} {cat}", f"#{name}", f"{name.upper()} app", f"{name}'s"]
        )

    texts = []
    for _ in range(count):
        (a, cat), (b, other) = rng.sample(brands, 2)
        kind = rng.random()
        if kind < 0.45:
            text = f"{named(a, cat)} {rng.choice(_COMPLAINTS)}"
        elif kind < 0.65:
            text = f"{rng.choice(_PRAISE)} {named(a, cat)} 🙌"
        elif kind < 0.75:
            text = f"switching from {named(a, cat)} to {named(b, other)}, {rng.choice(_PRAISE)}"
        elif kind < 0.8:
            text = rng.choice(_JOBS).format(brand=a.title(), cat=cat)
        else:
            text = rng.choice(_CHATTER).format(cat=cat)
        while len(text) < 40 or (rng.random() < 0.4 and len(text) < 200):
            text += " " + rng.choice(_COMPLAINTS + _PRAISE)
        texts.append(text[:280])
    return texts


def _per_mention(match: Callable[[str], object], texts: list[str], best: list[int]) -> None:
    for i, text in enumerate(texts):
        started = time.perf_counter_ns()
        match(text)
        best[i] = min(best[i], time.perf_counter_ns() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--mentions", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    brands = _brands(args.rules)
    rules: dict[str, CompiledRule] = {
        name: compile_rule(_rule(i, name, cat)) for i, (name, cat) in enumerate(brands)
    }
    started = time.perf_counter()
    ruleset = RuleSet(rules)
    built_s = time.perf_counter() - started
    texts = _mentions(brands, args.mentions)

    def naive(text: str) -> tuple[str, ...]:
        return tuple(name for name, rule in rules.items() if rule.matches(text=text))

    print(f"benchmark: {len(rules)} rules, {len(texts)} mentions", file=sys.stderr)
    matched = [ruleset.match(text=text) for text in texts]
    if matched != [naive(text) for text in texts]:
        raise SystemExit("the RuleSet and the loop over every rule disagree")
    steps: dict[str, Callable[[str], object]] = {
        "RuleSet.match (index)": lambda text: ruleset.match(text=text),
        "loop over CompiledRule.matches": naive,
    }
    best = {label: [sys.maxsize] * len(texts) for label in steps}
    for i in range(args.repeat):
        for label, match in steps.items():
            print(f"  {label}: run {i + 1}/{args.repeat}", file=sys.stderr, flush=True)
            _per_mention(match, texts, best[label])

    brands_per_mention = sum(map(len, matched)) / len(texts)
    print(f"index built in {built_s * 1000:.0f} ms; {brands_per_mention:.2f} brands per mention")
    print("| matcher | rules | mentions | median µs | p99 µs | mean µs | median vs RuleSet |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    base = statistics.median(best["RuleSet.match (index)"]) / 1000
    for label, times in best.items():
        micros = sorted(t / 1000 for t in times)
        median = statistics.median(micros)
        p99 = micros[min(len(micros) - 1, int(len(micros) * 0.99))]
        print(
            f"| {label} | {len(rules)} | {len(texts)} | {median:.1f} | {p99:.1f} "
            f"| {statistics.fmean(micros):.1f} | {median / base:.1f}x |"
        )


if __name__ == "__main__":
    main()
