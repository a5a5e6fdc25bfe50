"""Plans the demo scenario's posts: who says what, when, in which thread."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from smileback.cli.demo import scenario_text as words
from smileback.common.events import Author

__all__ = ["B32", "SPAN_S", "Planner", "Post", "Who"]

SPAN_S = 3 * 3600
_BURST_S = 420  # the pile-on lands within seven minutes of the complaint
_PLATFORMS = ("mastodon", "mastodon", "mastodon", "bluesky", "bluesky")
B32 = "abcdefghijklmnopqrstuvwxyz234567"


@dataclass(frozen=True)
class Who:
    """An author and the platform they post on."""

    platform: str
    author: Author


@dataclass(eq=False)
class Post:
    """One planned line; `id` is given once every post is in time order."""

    kind: str
    at: datetime
    who: Who
    text: str = ""
    parent: Post | None = None
    quote: bool = False
    deletes: Post | None = None
    likes: int = 0
    reposts: int = 0
    id: str = ""
    children: list[Post] = field(default_factory=list)

    @property
    def root(self) -> Post:
        """The post that starts this one's thread."""
        return self.parent.root if self.parent is not None else self


class Planner:
    """Draws the authors, texts and times of every post from one seeded generator."""

    def __init__(self, *, rng: random.Random, start: datetime) -> None:
        self.rng = rng
        self.start = start
        self.handles = {"@mara_reviews"}

    def plan(self, *, total: int) -> list[Post]:
        """Every post of a scenario with `total` valid lines, plus the two bad ones, unordered."""
        rng = self.rng
        burst = min(40, max(25, total // 10))
        complaints = max(3, total // 60)
        praise = round(total * 0.2)
        questions = round(total * 0.12)
        chatter = total - (1 + burst + complaints + praise + questions + 1)
        bots = max(1, chatter // 40)
        replies = chatter // 5

        posts = self._large_complaint_thread(burst=burst)
        crowd = [self._person(scale=30, alpha=0.8, cap=60_000) for _ in range(max(40, total // 4))]
        # A few regulars post far more than everyone else.
        weights = [1 / (i + 1) ** 0.7 for i in range(len(crowd))]

        def anyone() -> Who:
            return rng.choices(crowd, weights)[0]

        for _ in range(complaints):
            who = self._person(scale=10, alpha=1.2, cap=950)
            text = rng.choice(words.COMPLAINTS) + rng.choice(words.NEGATIVE_SUFFIXES)
            posts.append(self._post("complaint", self._any_time(), who, text))
        for _ in range(praise):
            text = rng.choice(words.PRAISE) + rng.choice(words.POSITIVE_SUFFIXES)
            posts.append(self._post("praise", self._any_time(), anyone(), text))
        asked = [
            self._post("question", self._any_time(), anyone(), rng.choice(words.QUESTIONS))
            for _ in range(questions)
        ]
        said = [
            self._post("chatter", self._any_time(), anyone(), rng.choice(words.CHATTER))
            for _ in range(chatter - bots - replies)
        ]
        bot = self._bot()
        posts += asked + said
        posts += [
            self._post("chatter", self._any_time(), bot, rng.choice(words.BOT)) for _ in range(bots)
        ]

        latest = self.start + timedelta(seconds=SPAN_S - 45 * 60)
        deleted = next(post for post in said if post.at < latest)
        deletion_at = deleted.at + timedelta(seconds=rng.randrange(10 * 60, 40 * 60))
        posts.append(Post("tombstone", deletion_at, deleted.who, deletes=deleted))

        open_threads = [post for post in asked + said if post is not deleted]
        for _ in range(replies):
            parent = rng.choice(open_threads)
            at = parent.at + timedelta(seconds=rng.randrange(60, 1800))
            text = f"{parent.who.author.handle} {rng.choice(words.CHATTER_REPLIES)}"
            who = anyone()
            while who == parent.who:
                who = anyone()
            posts.append(self._post("chatter", at, who, text, parent=parent))

        for kind in ("malformed", "oversize"):
            posts.append(Post(kind, self._any_time(), anyone()))
        return posts

    def _large_complaint_thread(self, *, burst: int) -> list[Post]:
        rng = self.rng
        mara = Who(
            "mastodon",
            Author(
                id="mastodon:109348213770558712",
                handle="@mara_reviews",
                display_name="Mara Okafor | food & service reviews",
                followers=248_300,
                following=612,
                verified=True,
                created_at=self.start - timedelta(days=3321),
            ),
        )
        root_at = self.start + timedelta(seconds=rng.randrange(40 * 60, 80 * 60))
        complaint = self._post("large_complaint", root_at, mara, words.LARGE_COMPLAINT)
        complaint.likes, complaint.reposts = rng.randrange(1500, 2500), rng.randrange(300, 600)
        thread = [complaint]
        crowd = [
            self._person(scale=20, alpha=1.0, cap=4_900, young=0.25)
            for _ in range(max(1, burst * 4 // 5))
        ]
        # Offsets ~ sqrt(uniform): arrivals get denser as the pile-on builds.
        for offset in sorted(20 + _BURST_S * math.sqrt(rng.random()) for _ in range(burst)):
            who = rng.choice(crowd)
            quote = rng.random() < 0.25
            parent = complaint if quote or rng.random() < 0.7 else rng.choice(thread)
            if parent.who == who:
                parent = complaint
            text = rng.choice(words.PILE_ON) + rng.choice(words.NEGATIVE_SUFFIXES)
            if not quote:
                text = f"{parent.who.author.handle} {text}"
            at = root_at + timedelta(seconds=int(offset))
            thread.append(self._post("pile_on", at, who, text, parent=parent, quote=quote))
        return thread

    def _post(
        self,
        kind: str,
        at: datetime,
        who: Who,
        text: str,
        *,
        parent: Post | None = None,
        quote: bool = False,
    ) -> Post:
        post = Post(kind, at, who, text, parent=parent, quote=quote)
        post.likes = int(self.rng.paretovariate(1.5)) - 1
        post.reposts = int(self.rng.paretovariate(2.5)) - 1
        if parent is not None:
            parent.children.append(post)
        return post

    def _any_time(self) -> datetime:
        return self.start + timedelta(seconds=self.rng.randrange(SPAN_S))

    def _person(self, *, scale: float, alpha: float, cap: int, young: float = 0.0) -> Who:
        """A new author with a heavy-tailed follower count, never above `cap`."""
        rng = self.rng
        platform = rng.choice(_PLATFORMS)
        first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)
        if platform == "mastodon":
            local = rng.choice([f"{first}{last}", f"{first}_{last}", f"{last}_{first[0]}"])
            handle, author_id = f"@{local}", f"mastodon:{rng.randrange(10**17, 10**18)}"
        else:
            local = rng.choice([f"{first}{last}", f"{first}-{last}", f"{first}{last[0]}"])
            handle, author_id = f"@{local}.bsky.social", f"did:plc:{_b32(rng, 24)}"
        while handle in self.handles:
            handle = handle.replace(local, f"{local}{rng.randrange(10)}", 1)
            local = handle[1:].split(".")[0]
        self.handles.add(handle)
        followers = min(cap, int(scale * rng.paretovariate(alpha)))
        days = rng.randrange(2, 30) if rng.random() < young else rng.randrange(60, 4500)
        author = Author(
            id=author_id,
            handle=handle,
            display_name=f"{first.title()} {last.title()}",
            followers=followers,
            following=rng.randrange(20, 1500),
            verified=followers >= 20_000 and rng.random() < 0.6,
            created_at=self.start - timedelta(days=days, seconds=rng.randrange(86_400)),
        )
        return Who(platform, author)

    def _bot(self) -> Who:
        author = Author(
            id=f"did:plc:{_b32(self.rng, 24)}",
            handle="@coffeedeals.bsky.social",
            display_name="Coffee Deals Bot",
            followers=1_840,
            following=3,
            bot=True,
            created_at=self.start - timedelta(days=400),
        )
        return Who("bluesky", author)


def _b32(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(B32) for _ in range(length))
