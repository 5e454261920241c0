"""Syndication networks with exact truth, and how well ``dedup chains`` and ``dedup clean``
recover them (issue #21).

The generator builds many small networks ("stories") in one corpus, so that outlet
boilerplate recurs across articles as it does in a real crawl. Per story:

* a **wire** story: a Reuters-21578 story (paragraphs as sent, a dateline
  ``CITY, Dec 10 (Reuters) -``), outlet ``Reuters``, dated with a time of day. In about 20 %
  of stories the wire story is **not in the corpus**: its subscribers are then siblings,
  copies of an absent source with no true edge between them;
* 2–6 **subscribers** (newspapers) reprinting it later the same day or 1–2 days on, full or
  trimmed to its first paragraphs or with one paragraph dropped, with 0–4 word substitutions
  (house style: "pct" → "percent", "dlrs" → "dollars", …), the "(Reuters)" credit struck in
  about 40 % and a local lead sentence of their own in about 30 %; half of the subscriber
  outlets print a copyright footer under every article;
* 0–2 **rewriters** embedding 1–3 consecutive paragraphs of the wire or of a subscriber (then
  with that subscriber's edits) among 3–6 paragraphs of their own reporting, and in about
  20 % paragraphs of both; some end with "Reuters contributed to this report.";
* 0–3 **scrapers** re-publishing one subscriber's whole version (its edits and lead, not the
  wire's wording) with scraper debris: "Read more: <another story's headline>" teasers
  between paragraphs, often a second flat copy of the body (one paragraph, before or after
  it), a tag list ("Tags: Cocoa, Brazil"), share buttons, a newsletter line and a comment
  form ("Leave a Reply / Your email address will not be published ...") that are the same
  in every article of that outlet (three scrapers share WordPress's comment form word for
  word, the others have their own).

Besides the stories, 40 % as many **control** articles: unrelated Reuters stories
published by scrapers and subscribers with the same outlet furniture, so they share nothing
with the rest but boilerplate.

The outlets' own text is BASIL paragraphs (other stories, other years); a leading sentence
is the first sentence of a BASIL paragraph. No word 8-gram of a wire story, control or own
paragraph appears in another one (each is checked against everything used before it), so
every text two articles share is planted, but for a rare accidental 8-gram across a
paragraph break an edit made. Reuters stories (by id) and BASIL stories (by story id) are
split into two fixed halves by a hash (``--split dev`` or ``test``); defaults are tuned on
dev and reported on test.

Dates: the wire story has a time of day; subscribers, rewriters and scrapers follow it by
half an hour to two days; each outlet either prints times (``2016-12-10T09:30:00``) or only
dates (``2016-12-10``). A true copy whose source and copy fall on the same day with a time
missing on either side cannot be ordered by dates.

Truth (``truth.json``):

* ``articles``: per id, its ``role``, ``story``, ``outlet``, ``date``, ``sources`` (direct
  source ids; empty for the wire, controls, and copies of an absent wire, which have
  ``absent_source: true``) and ``debris`` (``start``, ``end``, ``kind``: flat-copy,
  teaser, tags, share, newsletter, comments, footer);
* ``edges``: every direct copy ``source`` → ``target`` with ``kind`` (wire→subscriber,
  wire→rewriter, subscriber→rewriter, subscriber→scraper), ``date_orders`` (whether the
  printed dates order the pair) and ``spans``: the maximal runs of words the target took
  from the source, ``source_start``/``source_end``/``target_start``/``target_end``
  half-open ``str`` offsets, the same text in both;
* ``pairs``: every pair that shares copied text (a run of at least 8 words with the same
  origin outside debris), with its ``relation``: ``direct``, ``ancestor`` (one descends
  from the other through a third article) or ``sibling`` (neither descends from the other;
  ``common_source_in_corpus`` says whether a common ancestor is in the corpus);
* ``boilerplate_pairs``: pairs that are not true pairs but share a word 8-gram touching
  debris in both (outlet furniture, WordPress's form, a headline in two teasers);
* ``accidental_pairs``: other pairs sharing a word 8-gram: formulaic wire phrases that
  meet across a paragraph break an edit made (0 or 1 per corpus).

Scoring runs ``dedup chains`` and ``dedup clean`` on the written corpus as a user would
(``python -m dedup`` in a subprocess, default settings), and ``dedup chains`` once more on
the cleaned corpus; beside them a naive baseline: every two articles sharing a word 8-gram
are linked and directed from the earlier date to the later (ties by id). See
``docs/accuracy-chains.md`` for the measures.

    python benchmarks/syndication.py --split dev --seed 0
    python benchmarks/syndication.py --split test --seed 0 -o /tmp/syn-test   # keep the files
    python benchmarks/syndication.py --split dev --generate-only -o /tmp/syn-dev
"""

from __future__ import annotations

import argparse
import collections
import gzip
import hashlib
import html
import itertools
import json
import os
import re
import shutil
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("DEDUP_DATA", ROOT.parent / "shared" / "data"))
REUTERS = "reuters21578/reuters21578.jsonl.gz"
BASIL = "basil/basil.jsonl.gz"

# --- the shape of a network -------------------------------------------------------------------

STORIES = 100
CONTROL_SHARE = 0.4  # control articles per story
WIRE_ABSENT_SHARE = 0.2
SUBSCRIBERS = (2, 6)  # inclusive
REWRITERS = (0, 2)
SCRAPERS = (0, 3)
TRIM_SHARE = 0.35  # subscribers keeping only the first paragraphs
DROP_SHARE = 0.35  # subscribers dropping one paragraph (of those not trimming)
SUBSTITUTIONS = (0, 4)
STRIKE_CREDIT_SHARE = 0.4
LOCAL_LEAD_SHARE = 0.3
REWRITER_PARAGRAPHS = (1, 3)  # paragraphs taken from the source
REWRITER_OWN_PARAGRAPHS = (3, 6)
REWRITER_TWO_SOURCES_SHARE = 0.2
REWRITER_CREDIT_SHARE = 0.4
FLAT_COPY_SHARE = 0.7
TEASERS = (1, 2)
SHARED_RUN_WORDS = 8  # a pair shares copied text when a run of this many words is common
GRAM_WORDS = 8  # word n-grams of the naive baseline and of the no-accidental-sharing check
FIRST_DAY = datetime(2016, 11, 1)
DAYS = 60

WIRE_OUTLET = "Reuters"
SUBSCRIBER_OUTLETS = (
    # (name, prints a time of day, prints a copyright footer)
    ("The Daily Ledger", True, True),
    ("Morning Courier", True, False),
    ("Harbor Times", True, True),
    ("Valley Gazette", False, True),
    ("The Northern Star", True, False),
    ("Capital Tribune", True, True),
    ("Lakeside Post", False, False),
    ("Evening Chronicle", True, True),
    ("The County Register", False, True),
    ("Metro Herald", True, False),
    ("Prairie Sentinel", True, False),
    ("Coastal Observer", False, True),
)
REWRITER_OUTLETS = (
    ("Atlantic Monitor", True),
    ("Policy Review Online", True),
    ("Market Watchers Weekly", False),
    ("The Insight", True),
    ("Global Affairs Today", False),
    ("Ledger Analysis", True),
)
WORDPRESS_FORM = (
    "Leave a Reply",
    "Your email address will not be published. Required fields are marked *",
    "Comment",
    "Name *",
    "Email *",
    "Website",
    "Save my name, email, and website in this browser for the next time I comment.",
    "Post Comment",
)


@dataclass(frozen=True)
class ScraperOutlet:
    """A scraper's furniture: the same in every article it publishes."""

    name: str
    timed: bool
    teaser: str  # the teaser line's prefix
    share: tuple[str, ...]
    newsletter: str
    comments: tuple[str, ...]


SCRAPER_OUTLETS = (
    ScraperOutlet(
        "newsflash24.net",
        False,
        "Read more:",
        ("Share this:", "Share on Facebook", "Share on Twitter"),
        "Get the newsflash24 morning digest in your inbox: the ten stories everyone will be "
        "talking about before breakfast, free every weekday.",
        WORDPRESS_FORM,
    ),
    ScraperOutlet(
        "worldnewsdaily.info",
        True,
        "Read more:",
        ("Share this:", "Share on Facebook", "Share on WhatsApp"),
        "Like World News Daily on Facebook and follow our live desk for breaking updates from "
        "every continent, around the clock and without a paywall.",
        WORDPRESS_FORM,
    ),
    ScraperOutlet(
        "trendingnow.site",
        False,
        "READ MORE:",
        ("Click to share on Twitter (Opens in new window)", "Share via email"),
        "Trending Now is reader supported: when you buy through links on our site we may earn "
        "an affiliate commission at no extra cost to you.",
        WORDPRESS_FORM,
    ),
    ScraperOutlet(
        "pressfeed-hub.com",
        True,
        "Read more:",
        ("Share on Facebook", "Share on Twitter", "Share on LinkedIn"),
        "The Feed Hub newsletter brings you the business headlines that move markets, with "
        "analysis from our editors, every evening at six.",
        (
            "Comments",
            "Join the discussion: comments are reviewed by our moderators and must follow the "
            "Feed Hub community guidelines before they appear on the site.",
            "Log in or register to post comments",
        ),
    ),
    ScraperOutlet(
        "dailyfeed.co",
        False,
        "Read more:",
        ("Share this article", "Share on Facebook"),
        "Daily Feed collects the most important news of the day from trusted sources around "
        "the world so you never miss what matters.",
        (
            "Comments",
            "Please keep your comments civil and on topic. Daily Feed reserves the right to "
            "remove any comment that breaks our house rules without notice.",
            "Sign in to comment",
        ),
    ),
)
HOUSE_STYLE = {
    "pct": "percent",
    "dlrs": "dollars",
    "mln": "million",
    "billion": "bln",
    "said": "says",
    "shr": "share",
    "cts": "cents",
    "corp": "corporation",
    "inc": "incorporated",
    "company": "firm",
}
OTHER_WORDS = ("reported", "noted", "added", "also", "major", "key", "local")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WORD = re.compile(r"[^\W_]+")


def part_of(key: str) -> str:
    """``dev`` or ``test``: a fixed split by a hash of ``key`` (a story or article id)."""
    return "dev" if int(hashlib.sha256(key.encode()).hexdigest(), 16) % 2 == 0 else "test"


# --- source texts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WireStory:
    id: str
    title: str
    city: str
    paragraphs: tuple[str, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True)
class BasilArticle:
    id: str
    title: str
    paragraphs: tuple[str, ...]


def _read(name: str) -> list[dict]:
    with gzip.open(DATA / name, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@lru_cache(maxsize=2)
def wire_stories(split: str) -> tuple[WireStory, ...]:
    """Reuters-21578 stories of one half usable as wire copy: normal text, not an exact
    duplicate, 4–12 paragraphs of running text (no tables), 120–700 words."""
    out = []
    for row in _read(REUTERS):
        if row["text_type"] != "NORM" or row["exact_dup_group"] is not None:
            continue
        if part_of(row["id"]) != split:
            continue
        text = html.unescape(row["text"]).strip()
        text = re.sub(r"\s*\bReuter\s*(&#3;)?\s*$", "", text, flags=re.IGNORECASE)
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n[ \t]{2,}", text)]
        paragraphs = [p for p in paragraphs if p]
        words = sum(len(p.split()) for p in paragraphs)
        if not 4 <= len(paragraphs) <= 12 or not 120 <= words <= 700:
            continue
        if any(not _running_text(p) for p in paragraphs):
            continue
        city = (row.get("dateline") or "").split(",")[0].strip()
        if not city or not re.fullmatch(r"[A-Z][A-Z .'-]+", city):
            continue
        title = row.get("title") or ""
        if not re.fullmatch(r"[A-Z0-9][A-Z0-9 ,.'&/-]{8,}", title):
            continue  # no ticker marks or stray characters, which a teaser would show
        tags = [t.replace("-", " ").title() for t in (row["topics"] + row["places"])[:4]]
        out.append(
            WireStory(
                row["id"], string.capwords(title.lower()), city, tuple(paragraphs), tuple(tags)
            )
        )
    return tuple(out)


def _running_text(paragraph: str) -> bool:
    tokens = paragraph.split()
    alphabetic = sum(1 for t in tokens if re.fullmatch(r"[A-Za-z][A-Za-z'.,;:()-]*", t))
    return len(tokens) >= 8 and alphabetic >= 0.75 * len(tokens)


@lru_cache(maxsize=2)
def basil_articles(split: str) -> tuple[BasilArticle, ...]:
    """BASIL articles of the stories in one half, paragraphs of 20–120 words."""
    out = []
    for row in _read(BASIL):
        if part_of(str(row["story"])) != split:
            continue
        paragraphs = [" ".join(p.split()) for p in row["text"].split("\n\n")]
        paragraphs = [p for p in paragraphs if 20 <= len(p.split()) <= 120]
        if len(paragraphs) >= 3:
            out.append(BasilArticle(str(row["id"]), row["title"] or "", tuple(paragraphs)))
    return tuple(out)


class _Fresh:
    """Word 8-grams of every text used so far: a new text must share none of them."""

    def __init__(self) -> None:
        self.grams: set[str] = set()

    def take(self, *texts: str) -> bool:
        """True (and remember them) when ``texts`` share no 8-gram with earlier texts."""
        grams = set()
        for text in texts:
            words = WORD.findall(text.lower())
            grams.update(" ".join(words[k : k + GRAM_WORDS]) for k in range(len(words) - 7))
        if grams & self.grams:
            return False
        self.grams |= grams
        return True


# --- articles as blocks of words with origins -------------------------------------------------

DEBRIS_KINDS = ("flat-copy", "teaser", "tags", "share", "newsletter", "comments", "footer")


@dataclass
class _Block:
    """A paragraph or a line: words (with punctuation) and one origin per word.

    Origins are hashable and unique per written word: ``("w", story, paragraph, k)`` for
    the wire's words, ``("e", article, k)`` for a word an edit put in, ``("o", ...)`` for
    an outlet's own words, None for debris. Copying a word keeps its origin, so two texts
    share copied words exactly where their origins agree.
    """

    words: list[str]
    origins: list
    kind: str = "body"  # body, own, or a debris kind
    sep: str = "\n\n"  # what comes before it (not before the first block)

    @property
    def debris(self) -> bool:
        return self.kind in DEBRIS_KINDS


@dataclass
class _Article:
    key: str
    role: str  # wire, subscriber, rewriter, scraper, control
    story: int  # -1 for controls
    outlet: str
    moment: datetime
    timed: bool
    title: str
    blocks: list[_Block]
    sources: list[str] = field(default_factory=list)  # keys
    absent_source: bool = False
    id: str = ""
    text: str = ""
    tokens: list[tuple] = field(default_factory=list)  # (origin, start, end, debris)
    debris: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def date(self) -> str:
        return (
            self.moment.isoformat(timespec="seconds")
            if self.timed
            else self.moment.date().isoformat()
        )


def _own_block(text: str, tag: tuple, kind: str = "own") -> _Block:
    words = text.split()
    return _Block(words, [(*tag, k) for k in range(len(words))], kind)


def _debris_block(text: str, kind: str, sep: str = "\n\n") -> _Block:
    words = text.split()
    return _Block(words, [None] * len(words), kind, sep)


def _copy(blocks: Iterable[_Block]) -> list[_Block]:
    return [_Block(list(b.words), list(b.origins), b.kind, b.sep) for b in blocks]


def _render(article: _Article) -> None:
    """Set the article's text, its tokens' offsets and its debris spans."""
    parts: list[str] = []
    offset = 0
    article.tokens, article.debris = [], []
    for number, block in enumerate(article.blocks):
        if number:
            parts.append(block.sep)
            offset += len(block.sep)
        start = offset
        for k, (word, origin) in enumerate(zip(block.words, block.origins)):
            if k:
                parts.append(" ")
                offset += 1
            parts.append(word)
            article.tokens.append((origin, offset, offset + len(word), block.debris))
            offset += len(word)
        if block.debris:
            article.debris.append((start, offset, block.kind))
    article.text = "".join(parts)


# --- the generator ----------------------------------------------------------------------------


class _Network:
    def __init__(self, seed: int, split: str) -> None:
        self.rng = np.random.default_rng([seed, 0 if split == "dev" else 1])
        self.fresh = _Fresh()
        self.wire_pool = list(wire_stories(split))
        self.rng.shuffle(self.wire_pool)
        # teasers name headlines of the site's other articles (Reuters titles not used here)
        self.headlines = [story.title for story in self.wire_pool[:200]]
        del self.wire_pool[:200]
        self.basil_pool = list(basil_articles(split))
        self.rng.shuffle(self.basil_pool)
        self.own_paragraphs = (
            (article, k) for article in self.basil_pool for k in range(len(article.paragraphs))
        )
        self.articles: list[_Article] = []
        self.edits = 0

    # draws
    def chance(self, share: float) -> bool:
        return bool(self.rng.random() < share)

    def between(self, low: int, high: int) -> int:
        return int(self.rng.integers(low, high, endpoint=True))

    def pick(self, items: Sequence):
        return items[int(self.rng.integers(len(items)))]

    def add(self, article: _Article) -> _Article:
        self.articles.append(article)
        return article

    # text sources
    def next_wire(self, moment: datetime | None = None) -> WireStory:
        """The next Reuters story sharing no 8-gram with the texts used so far (with its
        dateline on ``moment`` when given)."""
        while self.wire_pool:
            story = self.wire_pool.pop()
            dateline = [self.dateline(story, moment)] if moment else []
            # one text, so the 8-grams across its paragraph breaks are checked too
            if self.fresh.take(" ".join([*dateline, *story.paragraphs])):
                return story
        raise RuntimeError("out of Reuters stories: ask for fewer stories")

    @staticmethod
    def dateline(story: WireStory, moment: datetime) -> str:
        return f"{story.city}, {MONTHS[moment.month - 1]} {moment.day} (Reuters) -"

    def next_own(self) -> tuple[BasilArticle, int]:
        for article, k in self.own_paragraphs:
            if self.fresh.take(article.paragraphs[k]):
                return article, k
        raise RuntimeError("out of BASIL paragraphs: ask for fewer stories")

    def own_paragraph(self) -> _Block:
        article, k = self.next_own()
        return _own_block(article.paragraphs[k], ("o", article.id, k))

    def lead_sentence(self) -> _Block:
        article, k = self.next_own()
        sentence = re.split(r"(?<=[.!?”\"])\s+(?=[A-Z“\"])", article.paragraphs[k])[0]
        return _own_block(sentence, ("o", article.id, k))

    # edits
    def substitute(self, article_key: str, blocks: list[_Block], count: int) -> None:
        """``count`` house-style or other word substitutions in the copied (body) words."""
        places = [
            (b, k)
            for b, block in enumerate(blocks)
            if block.kind == "body"
            for k, origin in enumerate(block.origins)
            if origin is not None and origin[0] == "w" and not (origin[2] == 0 and origin[3] < 8)
        ]
        if not places:
            return
        house = [
            k
            for k, (b, w) in enumerate(places)
            if blocks[b].words[w].rstrip(".,;:)\"'").lower() in HOUSE_STYLE
        ]
        chosen = []
        for _ in range(min(count, len(places))):
            # mostly the outlet's house style ("pct" → "percent"), else another word
            pool = [k for k in house if k not in chosen] if self.chance(0.7) else []
            pool = pool or [k for k in range(len(places)) if k not in chosen]
            chosen.append(self.pick(pool))
        for index in sorted(chosen):
            b, k = places[index]
            word = blocks[b].words[k]
            core = word.rstrip(".,;:)\"'")
            tail = word[len(core) :]
            new = HOUSE_STYLE.get(core.lower())
            if new is None:
                new = self.pick([w for w in OTHER_WORDS if w != core.lower()])
            if core[:1].isupper():
                new = new.capitalize()
            blocks[b].words[k] = new + tail
            blocks[b].origins[k] = ("e", article_key, self.edits)
            self.edits += 1

    # the roles
    def story(self, number: int) -> None:
        day = FIRST_DAY + timedelta(days=int(self.rng.integers(DAYS)))
        moment = day + timedelta(minutes=int(self.rng.integers(6 * 60, 14 * 60)))
        story = self.next_wire(moment)
        dateline = self.dateline(story, moment).split()
        blocks = []
        for p, paragraph in enumerate(story.paragraphs):
            words = ([*dateline] if p == 0 else []) + paragraph.split()
            blocks.append(_Block(words, [("w", number, p, k) for k in range(len(words))]))
        wire = _Article(
            f"s{number}-wire", "wire", number, WIRE_OUTLET, moment, True, story.title, blocks
        )
        present = not self.chance(WIRE_ABSENT_SHARE)
        if present:
            self.add(wire)

        subscribers = []
        outlets = self.rng.choice(
            len(SUBSCRIBER_OUTLETS), self.between(*SUBSCRIBERS), replace=False
        )
        for n, outlet_index in enumerate(outlets.tolist()):
            subscribers.append(self.subscriber(wire, present, f"s{number}-sub{n}", outlet_index))
        outlets = self.rng.choice(len(REWRITER_OUTLETS), self.between(*REWRITERS), replace=False)
        for n, outlet_index in enumerate(outlets.tolist()):
            self.rewriter(wire, present, subscribers, f"s{number}-rew{n}", outlet_index)
        n_scrapers = min(self.between(*SCRAPERS), len(SCRAPER_OUTLETS))
        outlets = self.rng.choice(len(SCRAPER_OUTLETS), n_scrapers, replace=False)
        for n, outlet_index in enumerate(outlets.tolist()):
            self.scraper(
                self.pick(subscribers), SCRAPER_OUTLETS[outlet_index], f"s{number}-scr{n}", story
            )

    def later(self, moment: datetime, same_day_share: float = 0.6) -> datetime:
        """A moment after ``moment``: the same day (by half an hour or more) or 1–2 days on."""
        if self.chance(same_day_share):
            end_of_day = moment.replace(hour=23, minute=30)
            room = int((end_of_day - moment).total_seconds() // 60)
            if room > 30:
                return moment + timedelta(minutes=int(self.rng.integers(30, room + 1)))
        days = 1 if self.chance(0.8) else 2
        return moment.replace(hour=0, minute=0) + timedelta(
            days=days, minutes=int(self.rng.integers(6 * 60, 22 * 60))
        )

    def subscriber(self, wire: _Article, present: bool, key: str, outlet_index: int) -> _Article:
        name, timed, footer = SUBSCRIBER_OUTLETS[outlet_index]
        blocks = _copy(wire.blocks)
        if self.chance(TRIM_SHARE):
            keep = max(2, int(np.ceil(len(blocks) * self.rng.uniform(0.4, 0.8))))
            blocks = blocks[:keep]
        elif self.chance(DROP_SHARE / (1 - TRIM_SHARE)) and len(blocks) >= 3:
            del blocks[self.between(1, len(blocks) - 1)]
        self.substitute(key, blocks, self.between(*SUBSTITUTIONS))
        if self.chance(STRIKE_CREDIT_SHARE):
            first = blocks[0]
            where = first.words.index("(Reuters)")
            del first.words[where], first.origins[where]
        if self.chance(LOCAL_LEAD_SHARE):
            blocks.insert(0, self.lead_sentence())
        if footer:
            blocks.append(_debris_block(f"© 2016 {name}. All rights reserved.", "footer"))
        return self.add(
            _Article(
                key,
                "subscriber",
                wire.story,
                name,
                self.later(wire.moment),
                timed,
                wire.title,
                blocks,
                [wire.key] if present else [],
                absent_source=not present,
            )
        )

    def rewriter(
        self, wire: _Article, present: bool, subscribers: list[_Article], key: str, outlet: int
    ) -> None:
        name, timed = REWRITER_OUTLETS[outlet]
        first = wire if self.chance(0.6) else self.pick(subscribers)
        chosen = [first]
        if self.chance(REWRITER_TWO_SOURCES_SHARE):
            chosen.append(self.pick([c for c in (wire, *subscribers) if c is not first]))
        blocks = [self.own_paragraph() for _ in range(self.between(*REWRITER_OWN_PARAGRAPHS))]
        taken: set = set()
        used = []
        for source in chosen:
            body = [b for b in source.blocks if b.kind == "body"]
            count = min(self.between(*REWRITER_PARAGRAPHS), len(body))
            start = self.between(0, len(body) - count)
            # a paragraph the other source already gave (the same wire words) is not taken twice
            piece = [b for b in _copy(body[start : start + count]) if not taken & set(b.origins)]
            if not piece:
                continue
            for block in piece:
                taken |= set(block.origins)
            if self.chance(0.5):
                self.substitute(key, piece, 1)
            where = self.between(1, len(blocks))
            blocks[where:where] = piece
            used.append(source)
        if self.chance(REWRITER_CREDIT_SHARE):
            blocks.append(_own_block("Reuters contributed to this report.", ("o", key, "credit")))
        self.add(
            _Article(
                key,
                "rewriter",
                wire.story,
                name,
                self.later(max(s.moment for s in used), same_day_share=0.4),
                timed,
                self.pick(self.basil_pool).title or wire.title,
                blocks,
                [s.key for s in used if s is not wire or present],
                absent_source=not present and any(s is wire for s in used),
            )
        )

    def scraper_furniture(
        self, outlet: ScraperOutlet, body: list[_Block], tags: Sequence[str]
    ) -> list[_Block]:
        """The body with teasers between its paragraphs, a flat copy, tags, share buttons, a
        newsletter line and the comment form."""
        blocks = _copy(body)
        gaps = list(range(1, len(blocks)))
        count = min(self.between(*TEASERS), len(gaps))
        for where in sorted(self.rng.choice(gaps, count, replace=False).tolist(), reverse=True):
            headline = self.pick(self.headlines)
            blocks.insert(where, _debris_block(f"{outlet.teaser} {headline}", "teaser"))
        if self.chance(FLAT_COPY_SHARE):
            words = [w for b in body for w in b.words]
            origins = [o for b in body for o in b.origins]
            flat = _Block(words, origins, "flat-copy")
            if self.chance(0.5):
                blocks.insert(0, flat)
            else:
                blocks.append(flat)
        if tags:
            blocks.append(_debris_block("Tags: " + ", ".join(tags), "tags"))
        for k, line in enumerate(outlet.share):
            blocks.append(_debris_block(line, "share", "\n\n" if k == 0 else "\n"))
        blocks.append(_debris_block(outlet.newsletter, "newsletter"))
        for k, line in enumerate(outlet.comments):
            blocks.append(_debris_block(line, "comments", "\n\n" if k == 0 else "\n"))
        return blocks

    def scraper(self, source: _Article, outlet: ScraperOutlet, key: str, story: WireStory) -> None:
        body = [b for b in source.blocks if not b.debris]
        blocks = self.scraper_furniture(outlet, body, story.tags)
        self.add(
            _Article(
                key,
                "scraper",
                source.story,
                outlet.name,
                self.later(source.moment, 0.5),
                outlet.timed,
                source.title,
                blocks,
                [source.key],
            )
        )

    def control(self, number: int) -> None:
        day = FIRST_DAY + timedelta(days=int(self.rng.integers(DAYS)))
        moment = day + timedelta(minutes=int(self.rng.integers(6 * 60, 22 * 60)))
        story = self.next_wire()
        body = [_own_block(p, ("c", number, k), "body") for k, p in enumerate(story.paragraphs)]
        if self.chance(0.6):
            outlet = self.pick(SCRAPER_OUTLETS)
            blocks = self.scraper_furniture(outlet, body, story.tags)
            name, timed = outlet.name, outlet.timed
        else:
            name, timed, footer = self.pick(SUBSCRIBER_OUTLETS)
            blocks = body + (
                [_debris_block(f"© 2016 {name}. All rights reserved.", "footer")] if footer else []
            )
        self.add(
            _Article(f"control{number}", "control", -1, name, moment, timed, story.title, blocks)
        )


def generate_network(
    seed: int = 0, split: str = "dev", *, stories: int = STORIES, controls: int | None = None
) -> tuple[list[dict], dict]:
    """A corpus of ``stories`` syndication networks and ``controls`` unrelated articles.

    Parameters
    ----------
    seed : int
        Every draw comes from ``np.random.default_rng([seed, split])``: the same arguments
        give the same corpus on any machine.
    split : {"dev", "test"}
        Which half of Reuters-21578 and of BASIL the texts come from.
    stories : int
        Wire stories (networks); about 7 articles each.
    controls : int, optional
        Unrelated articles with outlet furniture (default: 40 % of ``stories``).

    Returns
    -------
    records : list of dict
        ``{"id", "outlet", "date", "title", "text"}`` sorted by id; ids are opaque.
    truth : dict
        See the module docstring.
    """
    if split not in ("dev", "test"):
        raise ValueError(f"split must be 'dev' or 'test', got {split!r}")
    network = _Network(seed, split)
    for number in range(stories):
        network.story(number)
    for number in range(round(CONTROL_SHARE * stories) if controls is None else controls):
        network.control(number)
    articles = network.articles
    order = network.rng.permutation(len(articles)).tolist()
    for position, index in enumerate(order):
        articles[index].id = f"a{position + 1:05d}"
    for article in articles:
        _render(article)
    records = [
        {"id": a.id, "outlet": a.outlet, "date": a.date, "title": a.title, "text": a.text}
        for a in sorted(articles, key=lambda a: a.id)
    ]
    truth = _truth(articles, seed, split, stories)
    return records, truth


# --- the truth --------------------------------------------------------------------------------


def date_orders(source_date: str, target_date: str) -> bool:
    """Whether printed dates order a pair: different days, or times on both."""
    if source_date[:10] != target_date[:10]:
        return True
    return "T" in source_date and "T" in target_date and source_date != target_date


def _shared_runs(a: _Article, b: _Article) -> list[tuple[int, int, int, int, int]]:
    """Maximal runs of words with the same origins, in the same order and with the same
    spaces between them, outside debris: ``(a_start, a_end, b_start, b_end, words)``, the
    words counted as ``[^\\W_]+`` matches."""
    where = {t[0]: i for i, t in enumerate(a.tokens) if t[0] is not None and not t[3]}
    runs: list[list[int]] = []  # [a_first, a_last, b_first, b_last]
    for j, (origin, _, _, debris) in enumerate(b.tokens):
        i = where.get(origin) if origin is not None and not debris else None
        if i is None:
            continue
        if runs and runs[-1][1] == i - 1 and runs[-1][3] == j - 1:
            gap_a = a.text[a.tokens[i - 1][2] : a.tokens[i][1]]
            gap_b = b.text[b.tokens[j - 1][2] : b.tokens[j][1]]
            if gap_a == gap_b:
                runs[-1][1], runs[-1][3] = i, j
                continue
        runs.append([i, i, j, j])
    out = []
    for i0, i1, j0, j1 in runs:
        start, end = a.tokens[i0][1], a.tokens[i1][2]
        # words as the 8-gram check counts them: "68.98" is two
        words = len(WORD.findall(a.text[start:end]))
        out.append((start, end, b.tokens[j0][1], b.tokens[j1][2], words))
    return out


def _grams(article: _Article) -> dict[str, bool]:
    """Word 8-grams (lower-cased ``[^\\W_]+`` words) of the text → whether one of its words
    lies in debris."""
    spans = sorted((s, e) for s, e, _ in article.debris)
    words = [(m.group().lower(), m.start()) for m in WORD.finditer(article.text.lower())]
    in_debris = [any(s <= start < e for s, e in spans) for _, start in words]
    out: dict[str, bool] = {}
    for k in range(len(words) - GRAM_WORDS + 1):
        gram = " ".join(w for w, _ in words[k : k + GRAM_WORDS])
        out[gram] = out.get(gram, False) or any(in_debris[k : k + GRAM_WORDS])
    return out


def gram_pairs(texts: dict[str, str]) -> set[tuple[str, str]]:
    """Every pair of ids whose texts share a word 8-gram (lower-cased ``[^\\W_]+`` words)."""
    holders: dict[str, set[str]] = collections.defaultdict(set)
    for doc, text in texts.items():
        words = WORD.findall(text.lower())
        for k in range(len(words) - GRAM_WORDS + 1):
            holders[" ".join(words[k : k + GRAM_WORDS])].add(doc)
    groups = {frozenset(docs) for docs in holders.values() if len(docs) > 1}
    return {pair for docs in groups for pair in itertools.combinations(sorted(docs), 2)}


def _truth(articles: list[_Article], seed: int, split: str, stories: int) -> dict:
    by_key = {a.key: a for a in articles}
    ancestors: dict[str, set[str]] = {}

    def ancestors_of(key: str) -> set[str]:
        if key not in ancestors:
            found = set()
            for source in by_key[key].sources:
                found |= {source} | ancestors_of(source)
            ancestors[key] = found
        return ancestors[key]

    edges = []
    for article in articles:
        for source_key in article.sources:
            source = by_key[source_key]
            runs = _shared_runs(source, article)
            for s0, s1, t0, t1, _ in runs:
                assert source.text[s0:s1] == article.text[t0:t1], (source.key, article.key)
            edges.append(
                {
                    "source": source.id,
                    "target": article.id,
                    "kind": f"{source.role}→{article.role}",
                    "date_orders": date_orders(source.date, article.date),
                    "copied_words": sum(r[4] for r in runs),
                    "spans": [
                        {"source_start": s0, "source_end": s1, "target_start": t0, "target_end": t1}
                        for s0, s1, t0, t1, _ in runs
                    ],
                }
            )
    pairs = []
    by_story: dict[int, list[_Article]] = collections.defaultdict(list)
    for article in articles:
        if article.story >= 0:
            by_story[article.story].append(article)
    for members in by_story.values():
        for a, b in itertools.combinations(sorted(members, key=lambda m: m.id), 2):
            runs = _shared_runs(a, b)
            longest = max((r[4] for r in runs), default=0)
            direct = a.key in b.sources or b.key in a.sources
            if longest < SHARED_RUN_WORDS and not direct:
                continue
            if direct:
                relation = "direct"
            elif a.key in ancestors_of(b.key) or b.key in ancestors_of(a.key):
                relation = "ancestor"
            else:
                relation = "sibling"
            pair = {
                "a": a.id,
                "b": b.id,
                "relation": relation,
                "shared_words": sum(r[4] for r in runs if r[4] >= SHARED_RUN_WORDS),
            }
            if relation == "sibling":
                pair["common_source_in_corpus"] = bool(ancestors_of(a.key) & ancestors_of(b.key))
            pairs.append(pair)
    true_pairs = {(p["a"], p["b"]) for p in pairs}

    # a pair sharing an 8-gram that is not a true pair shares boilerplate when the 8-gram
    # touches debris in both, else it is an accident (formulaic wire phrases meeting across
    # a paragraph break that an edit made)
    holders: dict[str, list[tuple[str, bool]]] = collections.defaultdict(list)
    for article in articles:
        for gram, debris in _grams(article).items():
            holders[gram].append((article.id, debris))
    boilerplate, accidental = set(), set()
    seen_groups: set[tuple] = set()
    for held in holders.values():
        if len(held) < 2:
            continue
        group = tuple(sorted(held))
        if group in seen_groups:
            continue
        seen_groups.add(group)
        for (a, debris_a), (b, debris_b) in itertools.combinations(group, 2):
            if a == b or (a, b) in true_pairs:
                continue
            (boilerplate if debris_a and debris_b else accidental).add((a, b))

    return {
        "generator": {
            "script": "benchmarks/syndication.py",
            "seed": seed,
            "split": split,
            "stories": stories,
            "articles": len(articles),
            "shared_run_words": SHARED_RUN_WORDS,
        },
        "articles": {
            a.id: {
                "role": a.role,
                "story": a.story,
                "outlet": a.outlet,
                "date": a.date,
                "sources": sorted(by_key[s].id for s in a.sources),
                "absent_source": a.absent_source,
                "debris": [{"start": s, "end": e, "kind": k} for s, e, k in a.debris],
            }
            for a in sorted(articles, key=lambda a: a.id)
        },
        "edges": sorted(edges, key=lambda e: (e["source"], e["target"])),
        "pairs": pairs,
        "boilerplate_pairs": sorted(boilerplate),
        "accidental_pairs": sorted(accidental),
    }


def write(records: list[dict], truth: dict, folder: Path) -> Path:
    """Write ``corpus.jsonl`` and ``truth.json`` into ``folder``; return the corpus path."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus = folder / "corpus.jsonl"
    with open(corpus, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    (folder / "truth.json").write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")
    return corpus


def load(folder: str | Path) -> tuple[list[dict], dict]:
    """Records and truth as written into ``folder``."""
    folder = Path(folder)
    with open(folder / "corpus.jsonl", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    return records, json.loads((folder / "truth.json").read_text(encoding="utf-8"))


# --- predictions ------------------------------------------------------------------------------


@dataclass
class Prediction:
    """What a method says, in the terms the scorer uses.

    ``pairs`` are unordered linked pairs ``(a, b)`` with ``a < b``; ``directed`` maps each
    directed edge ``(source, target)`` between two articles to its confidence (None when the
    method gives none); ``common`` maps each common node (an unnamed shared source) to the
    articles hung from it.
    """

    pairs: set[tuple[str, str]]
    directed: dict[tuple[str, str], float | None]
    common: dict[str, set[str]] = field(default_factory=dict)


def chains_prediction(rows: Iterable[dict]) -> Prediction:
    """A prediction from the rows of ``chains.jsonl``.

    Two articles are a linked pair when they carry one reported passage: both are on edges
    (as source or target) that list the same passage id. Directed edges are the rows with
    ``directed: true``; a pair that several rows direct the same way keeps the highest
    confidence. Rows from ``common:…`` are the common nodes.
    """
    carriers: dict[str, set[str]] = collections.defaultdict(set)
    directed: dict[tuple[str, str], float | None] = {}
    common: dict[str, set[str]] = collections.defaultdict(set)
    for row in rows:
        source, target = row["source"], row["target"]
        is_common = source.startswith(("common:", "inferred:"))
        for passage in row["passages"]:
            carriers[passage].add(target)
            if not is_common:
                carriers[passage].add(source)
        if is_common:
            common[source].add(target)
        elif row["directed"]:
            key = (source, target)
            directed[key] = max(directed.get(key) or 0.0, float(row["confidence"]))
    pairs = {pair for docs in carriers.values() for pair in itertools.combinations(sorted(docs), 2)}
    return Prediction(pairs, directed, dict(common))


def naive_prediction(records: Sequence[dict]) -> Prediction:
    """The baseline: every two articles sharing a word 8-gram are linked, directed from the
    earlier date string to the later (ISO strings compare in time; a date without a time
    sorts before that day's times), ties by id."""
    texts = {r["id"]: r["text"] for r in records}
    order = {r["id"]: (r.get("date") or "", r["id"]) for r in records}
    pairs = gram_pairs(texts)
    directed: dict[tuple[str, str], float | None] = {}
    for a, b in pairs:
        source, target = (a, b) if order[a] < order[b] else (b, a)
        directed[(source, target)] = None
    return Prediction(pairs, directed)


def truth_prediction(truth: dict) -> Prediction:
    """The truth itself as a prediction: every true pair, every direct copy directed right
    with confidence 1 (the scorer must give it precision = recall = 1)."""
    pairs = {tuple(sorted((p["a"], p["b"]))) for p in truth["pairs"]}
    return Prediction(pairs, {(e["source"], e["target"]): 1.0 for e in truth["edges"]})


# --- scoring ----------------------------------------------------------------------------------

EDGE_CLASSES = (
    "right",
    "reversed",
    "skips a link",
    "against a chain",
    "siblings, source in corpus",
    "siblings, source absent",
    "boilerplate only",
    "accidental 8-gram",
    "nothing shared",
)
OUTCOMES = ("right", "reversed", "abstained", "linked elsewhere", "not linked")
CONFIDENCE_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0001)


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None or precision + recall == 0:
        return None
    return 2 * precision * recall / (precision + recall)


class _TruthIndex:
    """The truth's pairs and edges as sets, and each article's ancestors."""

    def __init__(self, truth: dict) -> None:
        self.relation = {tuple(sorted((p["a"], p["b"]))): p for p in truth["pairs"]}
        self.edges = {(e["source"], e["target"]): e for e in truth["edges"]}
        self.boilerplate = {tuple(p) for p in truth["boilerplate_pairs"]}
        self.accidental = {tuple(p) for p in truth["accidental_pairs"]}
        sources = {doc: a["sources"] for doc, a in truth["articles"].items()}
        self.ancestors: dict[str, set[str]] = {}
        for doc in sources:
            stack, seen = list(sources[doc]), set()
            while stack:
                up = stack.pop()
                if up not in seen:
                    seen.add(up)
                    stack.extend(sources[up])
            self.ancestors[doc] = seen

    def edge_class(self, source: str, target: str) -> str:
        pair = tuple(sorted((source, target)))
        if (source, target) in self.edges:
            return "right"
        if (target, source) in self.edges:
            return "reversed"
        if source in self.ancestors[target]:
            return "skips a link"
        if target in self.ancestors[source]:
            return "against a chain"
        found = self.relation.get(pair)
        if found and found["relation"] == "sibling":
            absent = not found["common_source_in_corpus"]
            return "siblings, source absent" if absent else "siblings, source in corpus"
        if pair in self.boilerplate:
            return "boilerplate only"
        if pair in self.accidental:
            return "accidental 8-gram"
        return "nothing shared"


def score_links(truth: dict, prediction: Prediction) -> dict:
    """Every link measure of one method against the truth (see docs/accuracy-chains.md).

    Returns a dict: ``pairs`` (precision, recall, F1, recall per relation, false pairs by
    kind), ``edges`` (precision, recall, F1 of directed edges, and the count of each
    :data:`EDGE_CLASSES`), ``outcomes`` (per true direct copy: ``OUTCOMES`` counts, overall,
    by ``date_orders`` and by kind), ``siblings``, ``boilerplate`` and ``calibration``.
    """
    index = _TruthIndex(truth)
    true_pairs = set(index.relation)
    found = prediction.pairs & true_pairs
    precision = _ratio(len(found), len(prediction.pairs))
    recall = _ratio(len(found), len(true_pairs))
    by_relation = {}
    for relation in ("direct", "ancestor", "sibling"):
        wanted = {p for p, r in index.relation.items() if r["relation"] == relation}
        by_relation[relation] = (len(wanted & prediction.pairs), len(wanted))
    false_pairs = prediction.pairs - true_pairs
    pairs = {
        "predicted": len(prediction.pairs),
        "true": len(true_pairs),
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "recall_by_relation": by_relation,
        "false_boilerplate": len(false_pairs & index.boilerplate),
        "false_accidental": len(false_pairs & index.accidental - index.boilerplate),
        "false_other": len(false_pairs - index.boilerplate - index.accidental),
    }

    classes = collections.Counter(index.edge_class(s, t) for s, t in prediction.directed)
    right = classes["right"]
    edge_precision = _ratio(right, len(prediction.directed))
    edge_recall = _ratio(right, len(index.edges))
    edges = {
        "predicted": len(prediction.directed),
        "true": len(index.edges),
        "precision": edge_precision,
        "recall": edge_recall,
        "f1": _f1(edge_precision, edge_recall),
        "classes": {name: classes[name] for name in EDGE_CLASSES},
    }

    member_of: dict[str, set[str]] = collections.defaultdict(set)
    for node, docs in prediction.common.items():
        for doc in docs:
            member_of[doc].add(node)

    def under_one_common(a: str, b: str) -> bool:
        return bool(member_of[a] & member_of[b])

    def outcome(source: str, target: str) -> str:
        if (source, target) in prediction.directed:
            return "right"
        if (target, source) in prediction.directed:
            return "reversed"
        if under_one_common(source, target):
            return "abstained"
        if tuple(sorted((source, target))) in prediction.pairs:
            return "linked elsewhere"
        return "not linked"

    outcomes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for (source, target), edge in index.edges.items():
        result = outcome(source, target)
        outcomes["all"][result] += 1
        outcomes["dates order it" if edge["date_orders"] else "same day, a time missing"][
            result
        ] += 1
        outcomes[edge["kind"]][result] += 1

    siblings = {}
    for in_corpus in (True, False):
        wanted = [
            p
            for p, r in index.relation.items()
            if r["relation"] == "sibling" and r["common_source_in_corpus"] == in_corpus
        ]
        siblings["source in corpus" if in_corpus else "source absent"] = {
            "pairs": len(wanted),
            "linked": sum(1 for p in wanted if p in prediction.pairs),
            "directed edge": sum(
                1
                for a, b in wanted
                if (a, b) in prediction.directed or (b, a) in prediction.directed
            ),
            "under one common node": sum(1 for a, b in wanted if under_one_common(a, b)),
        }
    boilerplate = {
        "pairs": len(index.boilerplate),
        "linked": len(index.boilerplate & prediction.pairs),
        "directed edge": sum(
            1
            for a, b in index.boilerplate
            if (a, b) in prediction.directed or (b, a) in prediction.directed
        ),
        "under one common node": sum(1 for a, b in index.boilerplate if under_one_common(a, b)),
    }
    roles = {doc: article["role"] for doc, article in truth["articles"].items()}
    wrong = collections.Counter(
        (f"{roles[s]}→{roles[t]}", index.edge_class(s, t)) for s, t in prediction.directed
    )
    wrong = {key: n for key, n in wrong.items() if key[1] != "right"}
    common_nodes = []
    for node, docs in prediction.common.items():
        pairs_under = list(itertools.combinations(sorted(docs), 2))
        common_nodes.append(
            {
                "node": node,
                "articles": len(docs),
                "outlets": len({truth["articles"][d]["outlet"] for d in docs}),
                "true pairs": sum(1 for pair in pairs_under if pair in index.relation),
                "boilerplate pairs": sum(1 for pair in pairs_under if pair in index.boilerplate),
                "pairs": len(pairs_under),
            }
        )
    common_nodes.sort(key=lambda row: (-row["articles"], row["node"]))

    calibration = []
    confident = [(c, k) for k, c in prediction.directed.items() if c is not None]
    for low, high in itertools.pairwise(CONFIDENCE_BINS):
        inside = [(c, k) for c, k in confident if low <= c < high]
        calibration.append(
            {
                "bin": f"{low:.1f}–{min(high, 1.0):.1f}",
                "edges": len(inside),
                "mean confidence": _ratio(sum(c for c, _ in inside), len(inside)),
                "share right": _ratio(sum(1 for _, k in inside if k in index.edges), len(inside)),
            }
        )
    # the test of calibration: of the edges given confidence ≥ 0.9, the share right
    top = [(c, k) for c, k in confident if c >= 0.9]
    calibration.append(
        {
            "bin": "≥ 0.9",
            "edges": len(top),
            "mean confidence": _ratio(sum(c for c, _ in top), len(top)),
            "share right": _ratio(sum(1 for _, k in top if k in index.edges), len(top)),
        }
    )
    return {
        "pairs": pairs,
        "edges": edges,
        "outcomes": {k: dict(v) for k, v in outcomes.items()},
        "siblings": siblings,
        "boilerplate": boilerplate,
        "wrong edges": dict(sorted(wrong.items(), key=lambda kv: (-kv[1], kv[0]))),
        "common nodes": common_nodes,
        "calibration": calibration if confident else [],
    }


def _visible(text: str, start: int, end: int) -> np.ndarray:
    """Mask of the non-white-space characters of ``text[start:end]``."""
    return np.frombuffer(text[start:end].encode("utf-32-le"), dtype=np.uint32) > 0x20


def score_debris(records: Sequence[dict], truth: dict, cuts: Sequence[dict]) -> dict:
    """Debris removal by the cuts (rows of ``cuts.jsonl``: ``doc``, ``start``, ``end``,
    ``reason``), counted in non-white-space characters.

    Returns precision (share of cut characters that are debris), recall (share of debris
    characters cut), F1, the share of the other characters kept, recall per debris kind and,
    per cut reason, the characters cut and the share of them that is debris.
    """
    by_doc: dict[str, list[dict]] = collections.defaultdict(list)
    for cut in cuts:
        by_doc[cut["doc"]].append(cut)
    debris_chars = cut_chars = cut_debris = other_chars = 0
    per_kind: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    per_reason: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for record in records:
        text = record["text"]
        visible = _visible(text, 0, len(text))
        debris = np.zeros(len(text), dtype=bool)
        kind_of = np.full(len(text), -1, dtype=np.int8)
        for span in truth["articles"][record["id"]]["debris"]:
            debris[span["start"] : span["end"]] = True
            kind_of[span["start"] : span["end"]] = DEBRIS_KINDS.index(span["kind"])
        cut = np.zeros(len(text), dtype=bool)
        for row in by_doc.get(record["id"], []):
            cut[row["start"] : row["end"]] = True
            inside = visible[row["start"] : row["end"]]
            per_reason[row["reason"]][0] += int(inside.sum())
            per_reason[row["reason"]][1] += int((inside & debris[row["start"] : row["end"]]).sum())
        debris &= visible
        cut &= visible
        debris_chars += int(debris.sum())
        cut_chars += int(cut.sum())
        cut_debris += int((cut & debris).sum())
        other_chars += int((visible & ~debris).sum())
        for number, kind in enumerate(DEBRIS_KINDS):
            mine = debris & (kind_of == number)
            per_kind[kind][0] += int(mine.sum())
            per_kind[kind][1] += int((mine & cut).sum())
    precision = _ratio(cut_debris, cut_chars)
    recall = _ratio(cut_debris, debris_chars)
    return {
        "debris characters": debris_chars,
        "cut characters": cut_chars,
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "other text kept": _ratio(other_chars - (cut_chars - cut_debris), other_chars),
        "recall by kind": {k: (v[1], v[0]) for k, v in per_kind.items() if v[0]},
        "by reason": {k: (v[0], _ratio(v[1], v[0])) for k, v in sorted(per_reason.items())},
    }


# --- running dedup ----------------------------------------------------------------------------


def run_dedup(command: str, corpus: Path, out: Path) -> float:
    """Run ``python -m dedup COMMAND corpus -o out -q`` on this work tree's dedup; wall
    seconds."""
    if out.exists():
        shutil.rmtree(out)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    clock = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "dedup", command, str(corpus), "-o", str(out), "-q"],
        check=True,
        env=env,
    )
    return time.perf_counter() - clock


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# --- printing ---------------------------------------------------------------------------------


def markdown(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _share(part: int, whole: int) -> str:
    return f"{part:,}/{whole:,} ({part / whole:.0%})" if whole else "—"


def reads_as_the_wire(records: Sequence[dict], truth: dict) -> collections.Counter:
    """Per kind, the true copies taken from an outlet's version whose copied spans all read
    word for word (words of letters and digits, any case) as in the story's wire article,
    when that is in the corpus: no text tells the outlet's version from the wire's."""
    texts = {r["id"]: r["text"] for r in records}
    articles = truth["articles"]

    def words(text: str) -> str:
        return " " + " ".join(re.findall(r"[^\W_]+", text.lower())) + " "

    wires = {a["story"]: words(texts[k]) for k, a in articles.items() if a["role"] == "wire"}
    out: collections.Counter = collections.Counter()
    for edge in truth["edges"]:
        wire = wires.get(articles[edge["target"]]["story"])
        if wire is None or articles[edge["source"]]["role"] == "wire":
            continue
        target = texts[edge["target"]]
        if all(words(target[s["target_start"] : s["target_end"]]) in wire for s in edge["spans"]):
            out[edge["kind"]] += 1
    return out


def print_corpus(records: Sequence[dict], truth: dict, seconds: float) -> None:
    articles = truth["articles"].values()
    roles = collections.Counter(a["role"] for a in articles)
    stories = truth["generator"]["stories"]
    wires = roles["wire"]
    relations = collections.Counter(p["relation"] for p in truth["pairs"])
    absent = sum(1 for p in truth["pairs"] if p.get("common_source_in_corpus") is False)
    orders = sum(1 for e in truth["edges"] if e["date_orders"])
    debris = sum(
        len(re.sub(r"\s", "", r["text"][d["start"] : d["end"]]))
        for r in records
        for d in truth["articles"][r["id"]]["debris"]
    )
    visible = sum(len(re.sub(r"\s", "", r["text"])) for r in records)
    size = sum(len(r["text"].encode()) for r in records) / 1e6
    same = reads_as_the_wire(records, truth)
    print(f"Corpus (generated in {seconds:.1f} s):\n")
    rows = [
        ["stories (wire story in the corpus / absent)", f"{stories} ({wires} / {stories - wires})"],
        [
            "articles",
            f"{len(records):,}: "
            + ", ".join(
                f"{roles[r]} {r}" for r in ("wire", "subscriber", "rewriter", "scraper", "control")
            ),
        ],
        ["text", f"{size:.2f} MB"],
        [
            "true direct copies (dates order them / same day, a time missing)",
            f"{len(truth['edges']):,} ({orders:,} / {len(truth['edges']) - orders:,})",
        ],
        [
            "true pairs (sharing copied text)",
            f"{len(truth['pairs']):,}: direct {relations['direct']:,}, ancestor "
            f"{relations['ancestor']:,}, sibling {relations['sibling']:,} "
            f"({absent:,} of an absent source)",
        ],
        [
            "pairs sharing only boilerplate (an 8-gram touching debris in both)",
            f"{len(truth['boilerplate_pairs']):,}",
        ],
        [
            "pairs sharing an accidental 8-gram (across a paragraph break)",
            f"{len(truth['accidental_pairs']):,}",
        ],
        ["debris characters (non-white-space)", _share(debris, visible)],
        [
            "true copies of an outlet's version that read word for word as the wire's",
            ", ".join(f"{k} {v}" for k, v in sorted(same.items())) or "0",
        ],
    ]
    print(markdown(["what", "count"], rows))


def print_links(scores: dict[str, dict]) -> None:
    print("Linked pairs (unordered; true = a direct copy or any two articles sharing a run of")
    print(f"≥ {SHARED_RUN_WORDS} copied words):\n")
    rows = []
    for name, score in scores.items():
        p = score["pairs"]
        rel = p["recall_by_relation"]
        rows.append(
            [
                name,
                p["predicted"],
                p["precision"],
                p["recall"],
                p["f1"],
                *(
                    f"{rel[r][0] / rel[r][1]:.3f}" if rel[r][1] else "—"
                    for r in ("direct", "ancestor", "sibling")
                ),
                p["false_boilerplate"],
                p["false_accidental"],
                p["false_other"],
            ]
        )
    print(
        markdown(
            [
                "method",
                "pairs",
                "precision",
                "recall",
                "F1",
                "recall direct",
                "recall ancestor",
                "recall sibling",
                "false: boilerplate only",
                "false: accidental 8-gram",
                "false: nothing shared",
            ],
            rows,
        )
    )
    print("Directed edges (right = a true direct copy, source → copy):\n")
    rows = []
    for name, score in scores.items():
        e = score["edges"]
        rows.append([name, e["predicted"], e["true"], e["precision"], e["recall"], e["f1"]])
    print(markdown(["method", "directed edges", "true copies", "precision", "recall", "F1"], rows))
    print("Where the directed edges go (skips a link: from an ancestor past the direct source;")
    print("against a chain: from a descendant to its ancestor):\n")
    rows = [
        [name, *(score["edges"]["classes"][c] for c in EDGE_CLASSES)]
        for name, score in scores.items()
    ]
    print(markdown(["method", *EDGE_CLASSES], rows))


def print_outcomes(scores: dict[str, dict]) -> None:
    print("Each true direct copy: an edge the right way, reversed, both under one common node")
    print("(abstained), linked only to others of its group, or not linked; direction accuracy =")
    print("right / (right + reversed):\n")
    rows = []
    for name, score in scores.items():
        for group in (
            "all",
            "dates order it",
            "same day, a time missing",
            "wire→subscriber",
            "wire→rewriter",
            "subscriber→rewriter",
            "subscriber→scraper",
        ):
            counts = score["outcomes"].get(group, {})
            total = sum(counts.values())
            directed = counts.get("right", 0) + counts.get("reversed", 0)
            rows.append(
                [
                    name,
                    group,
                    total,
                    *(counts.get(o, 0) for o in OUTCOMES),
                    _ratio(counts.get("right", 0), directed),
                ]
            )
    print(markdown(["method", "copies", "n", *OUTCOMES, "direction accuracy"], rows))


def print_siblings(scores: dict[str, dict]) -> None:
    print("Siblings (share copied text, neither descends from the other) and boilerplate-only")
    print("pairs: linked, joined by a directed edge (wrong), or hung from one common node:\n")
    rows = []
    for name, score in scores.items():
        for group, counts in score["siblings"].items():
            rows.append(
                [
                    name,
                    f"siblings, {group}",
                    counts["pairs"],
                    counts["linked"],
                    counts["directed edge"],
                    counts["under one common node"],
                ]
            )
        b = score["boilerplate"]
        rows.append(
            [
                name,
                "boilerplate only",
                b["pairs"],
                b["linked"],
                b["directed edge"],
                b["under one common node"],
            ]
        )
    print(
        markdown(["method", "pairs", "n", "linked", "directed edge", "under one common node"], rows)
    )


def print_wrong_edges(scores: dict[str, dict], top: int = 8) -> None:
    print("The most frequent wrong directed edges, by the roles of their ends:\n")
    rows = []
    for name, score in scores.items():
        for (roles, kind), n in list(score["wrong edges"].items())[:top]:
            rows.append([name, roles, kind, n])
    print(markdown(["method", "source → target", "what it is", "edges"], rows))


def print_common_nodes(scores: dict[str, dict], min_articles: int = 10) -> None:
    print(f"Common nodes (undirected groups) of at least {min_articles} articles:\n")
    rows = []
    for name, score in scores.items():
        nodes = score["common nodes"]
        small = [n for n in nodes if n["articles"] < min_articles]
        for node in nodes:
            if node["articles"] >= min_articles:
                rows.append(
                    [
                        name,
                        node["articles"],
                        node["outlets"],
                        node["pairs"],
                        node["true pairs"],
                        node["boilerplate pairs"],
                    ]
                )
        if small:
            rows.append(
                [
                    name,
                    f"{len(small)} smaller nodes, {sum(n['articles'] for n in small):,} articles",
                    "",
                    sum(n["pairs"] for n in small),
                    sum(n["true pairs"] for n in small),
                    sum(n["boilerplate pairs"] for n in small),
                ]
            )
    print(
        markdown(
            [
                "method",
                "articles",
                "outlets",
                "pairs under it",
                "true pairs",
                "boilerplate-only pairs",
            ],
            rows,
        )
    )


def print_calibration(scores: dict[str, dict]) -> None:
    print("Confidence of the directed edges against the share that are true direct copies the")
    print("right way:\n")
    rows = []
    for name, score in scores.items():
        for row in score["calibration"]:
            rows.append(
                [name, row["bin"], row["edges"], row["mean confidence"], row["share right"]]
            )
    print(markdown(["method", "confidence", "edges", "mean confidence", "share right"], rows))


def edge_reason(row: dict) -> str:
    """What orders a directed row of ``chains.jsonl``, read from its evidence (the keys of
    ``dedup.syndication.CONFIDENCE``): the agency rule (``whole`` or ``part``), the source's
    changes to the agency's text (``edits``), the outlet habit, or the date."""
    favours = {(e["kind"], e["favours"]) for e in row["evidence"]}
    details = " ".join(e["detail"] for e in row["evidence"] if e["kind"] == "containment")
    if ("agency", row["source"]) in favours:
        return "agency, part" if "a few passages" in details else "agency, whole"
    if "changes to the agency's text" in details:
        return "edits"
    if ("outlet", row["source"]) in favours:
        return "outlet"
    return "date"


def score_reasons(truth: dict, rows: Iterable[dict]) -> dict[str, tuple[int, int]]:
    """Per reason (:func:`edge_reason`): directed edges, and how many are true direct copies
    the right way (the figures behind ``dedup.syndication.CONFIDENCE``)."""
    true = {(e["source"], e["target"]) for e in truth["edges"]}
    out: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for row in rows:
        if row["directed"]:
            counts = out[edge_reason(row)]
            counts[0] += 1
            counts[1] += (row["source"], row["target"]) in true
    return {k: (v[0], v[1]) for k, v in sorted(out.items())}


def print_reasons(reasons: dict[str, tuple[int, int]]) -> None:
    print("dedup chains: directed edges by what orders them (the confidence table's figures):\n")
    rows = [[k, n, right, _ratio(right, n)] for k, (n, right) in reasons.items()]
    print(markdown(["ordered by", "edges", "right", "share right"], rows))


def print_debris(debris: dict) -> None:
    print("dedup clean against the debris (non-white-space characters):\n")
    rows = [
        [
            debris["debris characters"],
            debris["cut characters"],
            debris["precision"],
            debris["recall"],
            debris["f1"],
            debris["other text kept"],
        ]
    ]
    print(markdown(["debris", "cut", "precision", "recall", "F1", "other text kept"], rows))
    rows = [[kind, _share(cut, total)] for kind, (cut, total) in debris["recall by kind"].items()]
    print(markdown(["debris kind", "characters cut"], rows))
    rows = [[reason, chars, share] for reason, (chars, share) in debris["by reason"].items()]
    print(markdown(["cut reason", "characters", "share debris"], rows))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stories", type=int, default=STORIES)
    parser.add_argument(
        "-o", "--out", type=Path, help="folder to keep the corpus, truth and outputs in"
    )
    parser.add_argument(
        "--generate-only", action="store_true", help="write corpus and truth, score nothing"
    )
    args = parser.parse_args(argv)
    from scan_speed import provenance  # the header every benchmark prints

    print(provenance(list(sys.argv[1:] if argv is None else argv), Path(__file__).name))
    print()
    clock = time.perf_counter()
    records, truth = generate_network(args.seed, args.split, stories=args.stories)
    seconds = time.perf_counter() - clock
    with tempfile.TemporaryDirectory(prefix="syndication-") as scratch:
        folder = args.out or Path(scratch)
        corpus = write(records, truth, folder)
        print_corpus(records, truth, seconds)
        if args.generate_only:
            print(f"written: {corpus} and {folder / 'truth.json'}")
            return
        times = {
            "dedup chains": run_dedup("chains", corpus, folder / "chains"),
            "dedup clean": run_dedup("clean", corpus, folder / "clean"),
        }
        times["dedup chains on the cleaned corpus"] = run_dedup(
            "chains", folder / "clean" / corpus.name, folder / "clean-chains"
        )
        clock = time.perf_counter()
        naive = naive_prediction(records)
        times["naive 8-gram"] = time.perf_counter() - clock
        scores = {
            "dedup chains": score_links(
                truth, chains_prediction(read_jsonl(folder / "chains" / "chains.jsonl"))
            ),
            "clean → chains": score_links(
                truth, chains_prediction(read_jsonl(folder / "clean-chains" / "chains.jsonl"))
            ),
            "naive 8-gram": score_links(truth, naive),
        }
        debris = score_debris(records, truth, read_jsonl(folder / "clean" / "cuts.jsonl"))
        reasons = score_reasons(truth, read_jsonl(folder / "chains" / "chains.jsonl"))
    print_links(scores)
    print_outcomes(scores)
    print_siblings(scores)
    dedup_scores = {k: v for k, v in scores.items() if v["calibration"]}
    print_wrong_edges(dedup_scores)
    print_common_nodes(dedup_scores)
    print_calibration({k: v for k, v in scores.items() if v["calibration"]})
    print_reasons(reasons)
    print_debris(debris)
    print(markdown(["step", "seconds"], [[k, f"{v:.1f}"] for k, v in times.items()]))


if __name__ == "__main__":
    main()
