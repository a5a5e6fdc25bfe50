"""Throughput of text scoring on one core: the model batched vs one call per mention, and VADER.

    .venv/bin/python benchmarks/bench_scoring.py [--repeat 3] [--batch 500]

Texts: TweetEval val (2,000 real tweets) when ../shared/data/tweeteval is there, else
the brand-directed check set. Rows, all in the same run and pinned to one CPU:

- model, batched (warm): score_texts over batches, per-word and per-chunk caches warm
- model, batched (cold): the same with the caches cleared before every run
- model, one call per mention: score_texts([text]) for each text
- VADER, one call per mention: the interim lexicon scorer, text by text
- pipeline, batched: ScoringPipeline.score_batch on Mentions (adds reach and threads)

Steps run round-robin, --repeat times, keeping each step's fastest wall-clock and CPU
time (CPU time is steadier on a shared machine). Also the artifact's load time (hash
check + decoding the archive), and load plus the first score, which builds the n-gram
index scoring derives from the vocabularies. Prints a table with each rate as a ratio to
VADER per mention.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime

from timing import interleaved  # benchmarks/ is on sys.path when a script there runs

from smileback.common.events import Mention
from smileback.scorer.factory import default_pipeline
from smileback.scorer.model.artifact import load_model
from smileback.scorer.model.scorer import ModelScorer
from smileback.training.commands import default_brand_set
from smileback.training.data import default_tweeteval_dir, load_labelled, load_tweeteval
from smileback.training.vader import InterimLexiconScorer


def _texts() -> tuple[str, list[str]]:
    folder = default_tweeteval_dir()
    if (folder / "val_text.txt").is_file():
        return "TweetEval val", load_tweeteval(directory=folder, split="val").texts
    return "brand-directed set", load_labelled(default_brand_set()).texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    source, texts = _texts()
    print(f"benchmark: {len(texts)} texts from {source}, best of {args.repeat}", file=sys.stderr)

    load = interleaved(
        args.repeat,
        {
            "load model": lambda: len(load_model().card.version),
            # Scoring derives its n-gram index from the vocabularies on first use.
            "load and score one": lambda: len(ModelScorer(load_model()).score_texts(texts[:1])),
        },
    )
    scorer = ModelScorer(load_model())
    vader = InterimLexiconScorer()
    size = args.batch

    def batched() -> int:
        return sum(len(scorer.score_texts(texts[i : i + size])) for i in range(0, len(texts), size))

    def cold() -> int:
        scorer.model.features.clear_caches()
        return batched()

    def one_by_one() -> int:
        return sum(len(scorer.score_texts([text])) for text in texts)

    def vader_each() -> int:
        return sum(len(vader.score_texts([text])) for text in texts)

    mentions = [Mention(id=f"b:{i}", text=text) for i, text in enumerate(texts)]
    now = datetime(2026, 11, 1, tzinfo=UTC)

    def pipeline() -> int:
        scoring = default_pipeline()
        return sum(
            len(scoring.score_batch(mentions=mentions[i : i + size], now=now))
            for i in range(0, len(mentions), size)
        )

    steps = {
        "VADER, one call per mention": vader_each,
        "model, one call per mention": one_by_one,
        f"model, batched {size} (cold)": cold,
        f"model, batched {size} (warm)": batched,
        f"pipeline, batched {size}": pipeline,
    }
    timings = interleaved(args.repeat, steps)
    base = timings["VADER, one call per mention"]
    print(f"model load (hash check + decode): {load['load model'].wall_s:.3f} s")
    print(f"load and first score (+ n-gram index): {load['load and score one'].wall_s:.3f} s")
    print("| scoring step | mentions | mentions/s (wall) | mentions/s (CPU) | vs VADER (CPU) |")
    print("|---|---:|---:|---:|---:|")
    for name, t in timings.items():
        ratio = (t.count / t.cpu_s) / (base.count / base.cpu_s)
        print(
            f"| {name} | {t.count} | {t.count / t.wall_s:,.0f} | {t.count / t.cpu_s:,.0f} "
            f"| {ratio:.2f}x |"
        )


if __name__ == "__main__":
    main()
