"""What a scenario file holds, read back from its lines, so tests need not hard-code it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from smileback.cli.demo import scenario_text as words
from smileback.common.errors import SchemaError
from smileback.common.events import Mention, decode

__all__ = ["KINDS", "MACRO_FOLLOWERS", "ScenarioFacts", "scenario_facts"]

# Where the macro reach tier starts: only the one complaint author may reach it.
MACRO_FOLLOWERS = 100_000

KINDS = (
    "large_complaint",
    "pile_on",
    "complaint",
    "praise",
    "question",
    "chatter",
    "tombstone",
    "other",
)

_KIND_OF_CORE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("complaint", words.COMPLAINTS),
    ("praise", words.PRAISE),
    ("question", words.QUESTIONS),
    ("chatter", words.CHATTER + words.CHATTER_REPLIES + words.BOT),
)


@dataclass(frozen=True)
class ScenarioFacts:
    """Counts and ids of a scenario, as ingest will see it."""

    lines: int  # non-blank lines
    valid_mentions: int  # lines that parse as a Mention, tombstones included
    bad_lines: int  # lines ingest dead-letters
    published: int  # records ingest publishes: valid lines minus repeated (id, deleted) pairs
    unique_ids: int  # distinct mention ids: a deleted post and its tombstone share one
    complaint_id: str  # the large-audience complaint
    complaint_root_id: str  # its thread root: the key of its whole thread
    complaint_author: str  # its author's handle
    large_authors: tuple[str, ...]  # handles of every author with >= MACRO_FOLLOWERS
    pile_on_ids: tuple[str, ...]  # replies and quotes in the complaint's thread
    pile_on_span: timedelta  # from the complaint to the last of them
    deleted_ids: tuple[str, ...]  # ids that a tombstone line deletes
    kinds: Mapping[str, tuple[str, ...]]  # kind (see KINDS) -> mention ids, tombstones apart

    def count(self, kind: str) -> int:
        """How many mentions of `kind` the scenario holds."""
        return len(self.kinds.get(kind, ()))


def scenario_facts(lines: Iterable[bytes]) -> ScenarioFacts:
    """Read a scenario's lines; ValueError if it lacks a large-audience complaint."""
    mentions: list[Mention] = []
    total = bad = 0
    for line in lines:
        raw = line.rstrip(b"\r\n")
        if not raw.strip():
            continue
        total += 1
        try:
            mentions.append(decode(Mention, raw))
        except SchemaError:
            bad += 1
    posts = [m for m in mentions if not m.deleted]
    large = [m for m in posts if m.author.followers >= MACRO_FOLLOWERS]
    complaint = next((m for m in large if not m.is_reply), None)
    if complaint is None:
        raise ValueError("the scenario has no thread started by a large-audience author")
    pile_on = [m for m in posts if m.root_id == complaint.root_id and m.id != complaint.id]
    times = [m.created_at for m in pile_on if m.created_at is not None]
    span = (
        max(times) - complaint.created_at
        if times and complaint.created_at is not None
        else timedelta(0)
    )
    kinds: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for mention in mentions:
        kinds[_kind_of(mention, complaint=complaint)].append(mention.id)
    return ScenarioFacts(
        lines=total,
        valid_mentions=len(mentions),
        bad_lines=bad,
        published=len({(m.id, m.deleted) for m in mentions}),
        unique_ids=len({m.id for m in mentions}),
        complaint_id=complaint.id,
        complaint_root_id=complaint.root_id,
        complaint_author=complaint.author.handle,
        large_authors=tuple(sorted({m.author.handle for m in large})),
        pile_on_ids=tuple(m.id for m in pile_on),
        pile_on_span=span,
        deleted_ids=tuple(m.id for m in mentions if m.deleted),
        kinds={kind: tuple(ids) for kind, ids in kinds.items()},
    )


def _kind_of(mention: Mention, *, complaint: Mention) -> str:
    if mention.deleted:
        return "tombstone"
    if mention.id == complaint.id:
        return "large_complaint"
    if mention.root_id == complaint.root_id:
        return "pile_on"
    return next(
        (kind for kind, cores in _KIND_OF_CORE if any(core in mention.text for core in cores)),
        "other",
    )
