"""`smileback rules check`: which brands of a rules file each mention of a JSONL stream matches."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

from smileback.common.mention_lines import MentionLines
from smileback.common.rules import RuleSet, render_rule

__all__ = ["CheckReport", "check_lines"]


@dataclass(frozen=True)
class CheckReport:
    """How many mentions were checked, how many matched a brand, how many lines were bad."""

    checked: int
    matched: int
    bad: int


def check_lines(
    *, lines: Iterable[bytes], out: TextIO, err: TextIO, rules: RuleSet, explain: bool
) -> CheckReport:
    """Each good line to `out` with `matched_brands` (and, explaining, `matched_terms`: the
    terms that matched, per brand); a bad line to `err` as 'line N: reason', then skipped."""
    checked = matched = 0
    reader = MentionLines(err=err)
    for mention in reader.read(lines):
        row = mention.model_dump(mode="json", exclude_unset=True)  # as given, validated
        if explain:
            terms = rules.explain(text=mention.text)
            row["matched_brands"] = list(terms)
            row["matched_terms"] = {b: [render_rule(t) for t in ts] for b, ts in terms.items()}
        else:
            row["matched_brands"] = list(rules.match(text=mention.text))
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        checked += 1
        matched += bool(row["matched_brands"])
    return CheckReport(checked=checked, matched=matched, bad=reader.bad)
