"""The syndication benchmark's shape and texts: the outlets, the Reuters-21578 wire stories
and BASIL paragraphs, and articles as blocks of words with origins (see syndication.py)."""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import os
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

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
