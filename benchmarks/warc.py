"""Which libraries should read web archives: WARC readers and main-text extractors, measured.

Pages are built from real text: the five seed articles of ``corpus/`` and ``--stories``
Reuters-21578 stories (``$DEDUP_DATA``, longer than 1,500 characters, dated 30 years on so
that they look like web pages) are each wrapped in
one of three news-site templates with the furniture real pages carry: a navigation menu, a
cookie banner, breadcrumbs, a byline, share buttons, an inline "read more" box, a
newsletter sign-up, a "related articles" list (other stories' titles), a "most read"
sidebar, a comment section (other stories' sentences) and a footer with its links. Each
template states the publication date its own way (``article:published_time`` meta, JSON-LD
``datePublished``, or a ``<time datetime>`` in the byline). Every page goes into one WARC
file (gzip per record, as crawlers write it) with a ``request`` record before each
``response``, some non-HTML responses (robots.txt, an image) and a crawl date a year after
publication.

Measured, each in this process on one core:

* **readers** (fastwarc, warcio): the time to walk the WARC.gz and hand over each HTML
  response's URL, WARC-Date and body bytes: MB of WARC.gz file per second.
* **extractors** (``dedup.ingest.extract_article``: readability's method written on lxml;
  resiliparse's ``extract_plain_text(main_content=True)``, trafilatura, jusText,
  readability-lxml, and the page's whole text as a floor): the time to turn the
  bodies into text, as MB of those pages (uncompressed) per second and as MB of WARC.gz per
  second, and the quality of the text against the article text put in: character precision,
  recall and F1. The two texts are split into words after white space is collapsed, aligned
  with ``difflib.SequenceMatcher`` on the words, and the characters of the aligned words
  counted (precision = aligned characters / extracted characters, recall = / article
  characters); the figures are means over pages (macro) and over all characters (micro).
* **dates and titles**: the share of pages whose publication date (day) and title are
  found, by htmldate, by trafilatura's metadata, and by dedup's own reading of meta tags,
  JSON-LD and ``<time>`` (``dedup.ingest.page_metadata``).
* **end to end**: a reader and an extractor together, the MB of WARC.gz per second per core
  that ``dedup`` would read at.
* **WARC to passages**: ``dedup scan crawl.warc.gz -j 1`` as a process of its own, from the
  file to its written outputs (start-up, reading, extraction, the scan): MB of WARC.gz per
  wall second and per CPU second (one core's worth), medians of the runs, with the documents
  and passages it finds.

Licences are those each installed package declares (its METADATA), with its requirements.

    python benchmarks/warc.py [--stories 400] [--runs 3]
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import html
import importlib.metadata
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
DATA = Path(os.environ.get("DEDUP_DATA", ROOT.parent / "shared" / "data"))
REUTERS = DATA / "reuters21578" / "reuters21578.jsonl.gz"


@dataclass
class Article:
    id: str
    title: str
    paragraphs: list[str]
    published: datetime
    url: str

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


# --- articles from real text --------------------------------------------------------------


def seed_articles() -> list[Article]:
    """The seed articles: first line the title, paragraphs at line breaks."""
    meta = {}
    for line in (CORPUS / "metadata.csv").read_text(encoding="utf-8").splitlines()[1:]:
        doc_id, _outlet, day = line.split(",")[:3]
        meta[doc_id] = day or "2016-12-09"
    articles = []
    for path in sorted(CORPUS.glob("*.txt")):
        lines = [x.strip() for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        published = datetime.fromisoformat(meta[path.stem]).replace(
            hour=9, minute=30, tzinfo=timezone.utc
        )
        articles.append(
            Article(path.stem, lines[0], lines[1:], published, f"https://news.example/{path.stem}")
        )
    return articles


def reuters_articles(count: int) -> list[Article]:
    """Reuters stories longer than 1,500 characters: paragraphs at the wire's indents."""
    articles = []
    with gzip.open(REUTERS, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if len(row["text"]) < 1500 or not row.get("title") or not row.get("date"):
                continue
            paragraphs = [
                " ".join(part.split())
                for part in re.split(r"\n\s{2,}|\n\n", row["text"])
                if part.strip()
            ]
            day = datetime.fromisoformat(row["date"])
            # 30 years on: web pages of 1987 do not exist, and date finders rightly doubt them
            published = day.replace(year=day.year + 30, hour=14, minute=5, tzinfo=timezone.utc)
            title = row["title"].title()
            articles.append(
                Article(
                    f"reuters-{row['id']}",
                    title,
                    paragraphs,
                    published,
                    f"https://wire.example/{published:%Y/%m/%d}/story-{row['id']}",
                )
            )
            if len(articles) == count:
                break
    return articles


# --- pages --------------------------------------------------------------------------------

NAV = [
    "Home",
    "World",
    "Business",
    "Markets",
    "Politics",
    "Technology",
    "Science",
    "Health",
    "Sport",
    "Culture",
    "Opinion",
    "Video",
    "Podcasts",
]
FOOTER = [
    "About us",
    "Contact",
    "Careers",
    "Advertise with us",
    "Terms of use",
    "Privacy policy",
    "Cookie settings",
    "Accessibility",
    "Newsletters",
    "RSS feeds",
    "Corrections",
    "Site map",
]
COOKIE = (
    "We use cookies and similar technologies to personalise content and ads, to provide "
    "social media features and to analyse our traffic. We also share information about your "
    "use of our site with our social media, advertising and analytics partners. By clicking "
    "Accept all you agree to the use of all cookies."
)
NEWSLETTER = (
    "Sign up for our morning briefing: the day's most important stories, delivered to your "
    "inbox every weekday before 7am. You can unsubscribe at any time."
)
COMMENTERS = ["jdoe42", "Margaret T.", "observer", "PaulinOhio", "K. Nakamura", "realist99"]


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def links(items: list[str], base: str) -> str:
    return "".join(
        f'<li><a href="{base}/{esc(i.lower().replace(" ", "-"))}">{esc(i)}</a></li>' for i in items
    )


def furniture(article: Article, others: list[Article], rng: random.Random) -> dict[str, str]:
    related = rng.sample(others, 6)
    comments = []
    for other in rng.sample(others, 4):
        sentence = other.paragraphs[min(1, len(other.paragraphs) - 1)]
        comments.append(
            f'<div class="comment"><span class="author">{esc(rng.choice(COMMENTERS))}</span>'
            f'<span class="when">{rng.randint(1, 23)} hours ago</span>'
            f"<p>{esc(sentence)}</p>"
            '<a class="reply" href="#">Reply</a> <a class="like" href="#">Like</a></div>'
        )
    return {
        "nav": links(NAV, "https://news.example"),
        "footer": links(FOOTER, "https://news.example/info"),
        "related": "".join(
            f'<li><a href="{esc(o.url)}">{esc(o.title)}</a><span class="teaser">'
            f"{esc(o.paragraphs[0][:140])}</span></li>"
            for o in related
        ),
        "most_read": "".join(
            f'<li><a href="{esc(o.url)}">{esc(o.title)}</a></li>' for o in rng.sample(others, 5)
        ),
        "comments": "".join(comments),
        "read_more": esc(rng.choice(others).title),
    }


def body_paragraphs(article: Article, read_more: str) -> str:
    """Paragraphs with an inline "read more" box after the second."""
    out = []
    for k, paragraph in enumerate(article.paragraphs):
        out.append(f"<p>{esc(paragraph)}</p>")
        if k == 1:
            out.append(
                f'<aside class="inline-promo"><strong>Read more:</strong> '
                f'<a href="#">{read_more}</a></aside>'
            )
    return "\n".join(out)


def page_meta_tag(article: Article, parts: dict[str, str]) -> str:
    """Template A: a broadsheet with article:published_time and og:title."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{esc(article.title)} | The Daily Example</title>
<meta property="og:title" content="{esc(article.title)}">
<meta property="article:published_time" content="{article.published.isoformat()}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/site.css"><script src="/static/analytics.js"></script>
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{"section": "world"}});</script>
</head><body>
<div id="cookie-banner" class="banner"><p>{COOKIE}</p><button>Accept all</button>
<button>Manage preferences</button></div>
<header class="site-header"><a class="logo" href="/">The Daily Example</a>
<nav class="main-nav"><ul>{parts["nav"]}</ul></nav>
<form class="search"><input type="search" placeholder="Search"></form></header>
<main><div class="breadcrumbs"><a href="/">Home</a> &rsaquo; <a href="/world">World</a></div>
<article class="story">
<h1 class="headline">{esc(article.title)}</h1>
<div class="byline">By Staff Reporter &middot; {article.published:%d %B %Y}</div>
<div class="share"><a href="#">Share on Facebook</a> <a href="#">Share on X</a>
<a href="#">Email</a></div>
<div class="story-body">
{body_paragraphs(article, parts["read_more"])}
</div>
<div class="tags">Topics: <a href="#">World</a> <a href="#">Economy</a></div>
</article>
<section class="newsletter"><h3>Morning briefing</h3><p>{NEWSLETTER}</p>
<input type="email" placeholder="Your email"><button>Sign up</button></section>
<section class="related"><h2>Related articles</h2><ul>{parts["related"]}</ul></section>
<section class="comments"><h2>Comments (4)</h2>{parts["comments"]}</section>
</main>
<aside class="sidebar"><h2>Most read</h2><ol>{parts["most_read"]}</ol></aside>
<footer><ul>{parts["footer"]}</ul><p>&copy; 2026 The Daily Example. All rights reserved.</p>
</footer></body></html>"""


def page_json_ld(article: Article, parts: dict[str, str]) -> str:
    """Template B: a wire-service site with JSON-LD and div soup."""
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "datePublished": article.published.isoformat(),
        "dateModified": (article.published + timedelta(hours=3)).isoformat(),
        "publisher": {"@type": "Organization", "name": "Example Wire"},
    }
    paragraphs = "\n".join(
        f'<div class="text__paragraph">{esc(p)}</div>' for p in article.paragraphs
    )
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{esc(article.title)} - Example Wire</title>
<script type="application/ld+json">{json.dumps(ld)}</script>
</head><body>
<div class="consent-overlay"><div class="consent-text">{COOKIE}</div>
<a class="btn" href="#">I agree</a></div>
<div class="top-bar"><div class="menu"><ul>{parts["nav"]}</ul></div>
<div class="ticker">Markets: DOW +0.4% &middot; FTSE -0.2% &middot; NIKKEI +1.1%</div></div>
<div class="layout"><div class="col-main">
<div class="article-header"><div class="kicker">Business News</div>
<h1>{esc(article.title)}</h1>
<div class="meta">Updated {article.published:%B %d, %Y %H:%M} GMT &middot; 4 min read</div></div>
<div class="article-body">
{paragraphs}
<div class="trust">Our Standards: The Example Wire Trust Principles.</div>
</div>
<div class="more-from"><div class="title">More from Example Wire</div>
<ul>{parts["related"]}</ul></div>
</div>
<div class="col-side"><div class="ad">Advertisement</div>
<div class="widget"><div class="title">Trending</div><ol>{parts["most_read"]}</ol></div>
<div class="widget newsletter">{NEWSLETTER}</div></div></div>
<div class="footer"><ul>{parts["footer"]}</ul>
<div>All quotes delayed a minimum of 15 minutes.</div></div>
</body></html>"""


def page_time_tag(article: Article, parts: dict[str, str]) -> str:
    """Template C: a blog-style site, the date only in a <time> of the byline."""
    return f"""<!doctype html>
<html lang="en-GB"><head><meta charset="UTF-8">
<title>{esc(article.title)}</title>
<style>.post{{max-width:40em}}</style></head><body class="single-post">
<a class="skip" href="#content">Skip to content</a>
<div class="gdpr">{COOKIE} <a href="#">OK</a></div>
<nav id="site-navigation"><button class="menu-toggle">Menu</button><ul>{parts["nav"]}</ul></nav>
<div id="content"><article class="post">
<header class="entry-header"><h1 class="entry-title">{esc(article.title)}</h1>
<div class="entry-meta">Posted on <time class="published"
datetime="{article.published.isoformat()}">{article.published:%B %d, %Y}</time>
by <a href="#">Editor</a></div></header>
<div class="entry-content">
{body_paragraphs(article, parts["read_more"])}
</div>
<footer class="entry-footer"><span class="cat-links">Posted in <a href="#">News</a></span>
<div class="sharedaddy"><h3>Share this:</h3><ul><li>Twitter</li><li>Facebook</li>
<li>WhatsApp</li></ul></div></footer></article>
<div class="jp-relatedposts"><h3>Related</h3><ul>{parts["related"]}</ul></div>
<div id="comments" class="comments-area"><h2>4 thoughts on &ldquo;{esc(article.title)}&rdquo;</h2>
{parts["comments"]}
<div id="respond"><h3>Leave a Reply</h3><p>Your email address will not be published.</p>
<textarea></textarea><button>Post Comment</button></div></div></div>
<aside id="secondary"><section><h2>Recent Posts</h2><ul>{parts["most_read"]}</ul></section>
</aside>
<footer id="colophon"><ul>{parts["footer"]}</ul><p>Proudly powered by a CMS</p></footer>
</body></html>"""


TEMPLATES = (page_meta_tag, page_json_ld, page_time_tag)


@dataclass
class Page:
    article: Article
    html: bytes
    crawled: datetime


def build_pages(articles: list[Article], seed: int = 0) -> list[Page]:
    rng = random.Random(seed)
    pages = []
    for k, article in enumerate(articles):
        others = [a for a in articles if a is not article]
        markup = TEMPLATES[k % len(TEMPLATES)](article, furniture(article, others, rng))
        pages.append(Page(article, markup.encode("utf-8"), article.published + timedelta(days=365)))
    return pages


# --- a WARC file, written by hand (no library under test writes it) -----------------------


def warc_record(kind: str, uri: str, when: datetime, payload: bytes, content_type: str) -> bytes:
    record_id = f"<urn:uuid:{random.Random(uri + kind).getrandbits(128):032x}>"
    headers = (
        "WARC/1.0\r\n"
        f"WARC-Type: {kind}\r\n"
        f"WARC-Record-ID: {record_id}\r\n"
        f"WARC-Date: {when.strftime('%Y-%m-%dT%H:%M:%SZ')}\r\n"
        f"WARC-Target-URI: {uri}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    return gzip.compress(headers.encode() + payload + b"\r\n\r\n", compresslevel=6, mtime=0)


def http_response(body: bytes, content_type: str) -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Server: nginx\r\n\r\n"
    )
    return head.encode() + body


def write_warc(pages: list[Page], path: Path) -> None:
    with open(path, "wb") as handle:
        info = b"software: dedup benchmarks/warc.py\r\nformat: WARC File Format 1.0\r\n"
        handle.write(
            warc_record("warcinfo", "", pages[0].crawled, info, "application/warc-fields").replace(
                b"WARC-Target-URI: \r\n", b""
            )
        )
        for k, page in enumerate(pages):
            uri = page.article.url
            request = f"GET /{uri.split('/', 3)[-1]} HTTP/1.1\r\nHost: example\r\n\r\n".encode()
            handle.write(warc_record("request", uri, page.crawled, request, "application/http"))
            response = http_response(page.html, "text/html; charset=utf-8")
            handle.write(
                warc_record(
                    "response", uri, page.crawled, response, "application/http; msgtype=response"
                )
            )
            if k % 50 == 0:  # what else a crawl holds
                robots = http_response(b"User-agent: *\nDisallow: /search\n", "text/plain")
                handle.write(
                    warc_record(
                        "response",
                        uri.rsplit("/", 1)[0] + "/robots.txt",
                        page.crawled,
                        robots,
                        "application/http; msgtype=response",
                    )
                )
                image = http_response(bytes(range(256)) * 40, "image/jpeg")
                handle.write(
                    warc_record(
                        "response",
                        uri + ".jpg",
                        page.crawled,
                        image,
                        "application/http; msgtype=response",
                    )
                )


# --- readers ------------------------------------------------------------------------------

Body = tuple[str, str, bytes]  # url, WARC-Date, HTML body


def read_fastwarc(path: Path) -> list[Body]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    out = []
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle, record_types=WarcRecordType.response):
            content_type = record.http_headers.get("Content-Type", "")
            if "html" not in content_type:
                continue
            out.append(
                (
                    record.headers.get("WARC-Target-URI"),
                    record.headers.get("WARC-Date"),
                    record.reader.read(),
                )
            )
    return out


def read_warcio(path: Path) -> list[Body]:
    from warcio.archiveiterator import ArchiveIterator

    out = []
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            if "html" not in (record.http_headers.get_header("Content-Type") or ""):
                continue
            out.append(
                (
                    record.rec_headers.get_header("WARC-Target-URI"),
                    record.rec_headers.get_header("WARC-Date"),
                    record.content_stream().read(),
                )
            )
    return out


READERS: dict[str, tuple[str, Callable[[Path], list[Body]]]] = {
    "fastwarc": ("fastwarc", read_fastwarc),
    "warcio": ("warcio", read_warcio),
}


# --- extractors ---------------------------------------------------------------------------


def extract_resiliparse(body: bytes) -> str:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    tree = HTMLTree.parse_from_bytes(body, "utf-8")
    return extract_plain_text(tree, main_content=True, alt_texts=False, links=False)


def extract_trafilatura(body: bytes) -> str:
    import trafilatura

    return trafilatura.extract(body, include_comments=False, include_tables=False) or ""


def extract_justext(body: bytes) -> str:
    import justext

    paragraphs = justext.justext(body, justext.get_stoplist("English"))
    return "\n\n".join(p.text for p in paragraphs if not p.is_boilerplate)


def extract_readability(body: bytes) -> str:
    import lxml.html
    from readability import Document

    summary = Document(body.decode("utf-8")).summary(html_partial=True)
    return lxml.html.fromstring(summary).text_content()


def extract_all_text(body: bytes) -> str:
    """The floor: every text node of the body (lxml), scripts and styles left out."""
    import lxml.html

    tree = lxml.html.fromstring(body)
    for node in tree.xpath("//script|//style"):
        node.drop_tree()
    return tree.text_content()


def extract_dedup(body: bytes) -> str:
    """dedup's own (``dedup.ingest.extract_article``): readability's method on lxml."""
    from dedup.ingest import extract_article

    return extract_article(body, "utf-8").text


EXTRACTORS: dict[str, tuple[str, Callable[[bytes], str]]] = {
    "dedup (lxml)": ("lxml", extract_dedup),
    "resiliparse": ("resiliparse", extract_resiliparse),
    "trafilatura": ("trafilatura", extract_trafilatura),
    "justext": ("jusText", extract_justext),
    "readability-lxml": ("readability-lxml", extract_readability),
    "all text (lxml)": ("lxml", extract_all_text),
}


# --- dates and titles ---------------------------------------------------------------------


def meta_htmldate(body: bytes) -> tuple[str | None, str | None]:
    from htmldate import find_date

    return find_date(body.decode("utf-8"), original_date=True, extensive_search=False), None


def meta_trafilatura(body: bytes) -> tuple[str | None, str | None]:
    from trafilatura import extract_metadata

    found = extract_metadata(body.decode("utf-8"))
    return (found.date, found.title) if found else (None, None)


def meta_dedup(body: bytes) -> tuple[str | None, str | None]:
    from dedup.ingest import page_metadata

    found = page_metadata(body.decode("utf-8"))
    return found.get("date"), found.get("title")


METADATA: dict[str, tuple[str, Callable[[bytes], tuple[str | None, str | None]]]] = {
    "htmldate": ("htmldate", meta_htmldate),
    "trafilatura metadata": ("trafilatura", meta_trafilatura),
    "dedup (meta, JSON-LD, <time>)": ("dedup", meta_dedup),
}


# --- measures -----------------------------------------------------------------------------


def char_scores(extracted: str, truth: str) -> tuple[int, int, int]:
    """(aligned characters, extracted characters, article characters), on words."""
    got = extracted.split()
    want = truth.split()
    matcher = difflib.SequenceMatcher(None, got, want, autojunk=False)
    aligned = sum(
        sum(len(w) + 1 for w in got[block.a : block.a + block.size])
        for block in matcher.get_matching_blocks()
    )
    return aligned, sum(len(w) + 1 for w in got), sum(len(w) + 1 for w in want)


def prf(aligned: int, extracted: int, truth: int) -> tuple[float, float, float]:
    precision = aligned / extracted if extracted else 0.0
    recall = aligned / truth if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def timed(function: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def licence(distribution: str) -> str:
    """What the installed package declares, with its requirements' declarations."""
    try:
        meta = importlib.metadata.metadata(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"
    return meta.get("License-Expression") or (meta.get("License") or "?").splitlines()[0]


def requirement_licences(distribution: str, seen: set[str] | None = None) -> dict[str, str]:
    """Every package ``distribution`` needs (not extras), transitively, with its licence."""
    seen = set() if seen is None else seen
    out: dict[str, str] = {}
    try:
        requires = importlib.metadata.requires(distribution) or []
    except importlib.metadata.PackageNotFoundError:
        return out
    for requirement in requires:
        marker = requirement.partition(";")[2]
        if marker and not _marker_holds(marker):
            continue
        name = re.split(r"[\s\[<>=!;~(]", requirement, maxsplit=1)[0]
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        seen.add(key)
        out[name] = licence(name)
        out.update(requirement_licences(name, seen))
    return out


def _marker_holds(marker: str) -> bool:
    """Whether a requirement's environment marker holds here (extras never do)."""
    try:
        from packaging.markers import Marker
    except ImportError:  # read the usual ones by hand
        return not re.search(r"extra|win32|python_(full_)?version\s*<", marker)
    try:
        return Marker(marker).evaluate({"extra": ""})
    except Exception:
        return False


def version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def available(function: Callable) -> bool:
    try:
        function()
    except ImportError:
        return False
    return True


def scan_warc(path: Path) -> tuple[float, float, list[str]]:
    """``dedup scan PATH -j 1`` in a process of its own: its wall seconds, its CPU seconds
    (user + system, every thread: what a shared machine's load does not inflate much), and
    the documents, passages and rejects its run.json counts."""
    import resource
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "dedup", "scan", str(path), "-j", "1", "-q", "-o", str(out)],
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        outputs = json.loads((out / "run.json").read_text(encoding="utf-8"))["outputs"]
    names = ("documents.jsonl", "passages.jsonl", "rejects.jsonl")
    return wall, cpu, [str(outputs.get(name, "?")) for name in names]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=400, help="Reuters stories (and 5 seeds)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs; the median is shown")
    parser.add_argument("--warc", type=Path, default=Path("/tmp/dedup-bench.warc.gz"))
    args = parser.parse_args()

    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(f"command: python benchmarks/warc.py {' '.join(sys.argv[1:])}")
    print(f"date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; dedup at {commit}")
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    print(f"machine: nproc {os.cpu_count()}, {cpu}; Python {platform.python_version()}")
    names = ["fastwarc", "warcio", "resiliparse", "trafilatura", "jusText", "readability-lxml"]
    print("libraries: " + ", ".join(f"{n} {version(n)}" for n in [*names, "htmldate", "lxml"]))

    articles = seed_articles() + reuters_articles(args.stories)
    pages = build_pages(articles)
    write_warc(pages, args.warc)
    warc_mb = args.warc.stat().st_size / 1e6
    html_mb = sum(len(p.html) for p in pages) / 1e6
    text_mb = sum(len(p.article.text.encode()) for p in pages) / 1e6
    print(
        f"\nWARC: {len(pages)} HTML pages ({len(articles) - args.stories} seeds, "
        f"{args.stories} Reuters stories) in 3 templates, {warc_mb:.2f} MB gzipped, "
        f"{html_mb:.2f} MB of HTML, {text_mb:.2f} MB of article text "
        f"({100 * text_mb / html_mb:.0f} % of the HTML)\n"
    )
    by_url = {p.article.url: p for p in pages}

    print("## Readers: walk the WARC.gz, hand over each HTML response's URL, date and body\n")
    print("| reader | licence | median s | MB WARC.gz / s | pages | bodies identical |")
    print("|---|---|---|---|---|---|")
    reader_seconds = {}
    for name, (dist, function) in READERS.items():
        if not available(lambda f=function: f(args.warc)):
            print(f"| {name} | {licence(dist)} | not installed | | | |")
            continue
        seconds, bodies = timed(lambda f=function: f(args.warc), args.runs)
        reader_seconds[name] = seconds
        same = all(by_url[url].html == body for url, _when, body in bodies)
        print(
            f"| {name} | {licence(dist)} | {seconds:.3f} | {warc_mb / seconds:.1f} | "
            f"{len(bodies)} | {'yes' if same and len(bodies) == len(pages) else 'NO'} |"
        )

    print("\n## Extractors: main text of each page against the article text put in\n")
    print(
        "| extractor | licence | median s | MB HTML / s | MB WARC.gz / s | precision | recall "
        "| F1 | micro P | micro R | micro F1 | pages F1 < 0.9 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    extractor_seconds = {}
    for name, (dist, function) in EXTRACTORS.items():
        if not available(lambda f=function: f(pages[0].html)):
            print(f"| {name} | {licence(dist)} | not installed |" + " |" * 9)
            continue
        seconds, texts = timed(lambda f=function: [f(p.html) for p in pages], args.runs)
        extractor_seconds[name] = seconds
        scores = [char_scores(t, p.article.text) for t, p in zip(texts, pages)]
        per_page = [prf(*s) for s in scores]
        macro = [statistics.fmean(x[i] for x in per_page) for i in range(3)]
        micro = prf(*(sum(s[i] for s in scores) for i in range(3)))
        low = sum(1 for x in per_page if x[2] < 0.9)
        print(
            f"| {name} | {licence(dist)} | {seconds:.2f} | {html_mb / seconds:.2f} | "
            f"{warc_mb / seconds:.2f} | {macro[0]:.3f} | {macro[1]:.3f} | {macro[2]:.3f} | "
            f"{micro[0]:.3f} | {micro[1]:.3f} | {micro[2]:.3f} | {low} |"
        )

    print("\n## Publication date (day) and title found\n")
    print("| method | licence | median s | date right | date wrong | no date | title right |")
    print("|---|---|---|---|---|---|---|")
    for name, (dist, function) in METADATA.items():
        if not available(lambda f=function: f(pages[0].html)):
            print(f"| {name} | {licence(dist)} | not available | | | | |")
            continue
        seconds, found = timed(lambda f=function: [f(p.html) for p in pages], args.runs)
        right = wrong = missing = titles = 0
        for (day, title), page in zip(found, pages):
            if not day:
                missing += 1
            elif str(day)[:10] == page.article.published.date().isoformat():
                right += 1
            else:
                wrong += 1
            titles += title is not None and title.strip() == page.article.title
        title_cell = f"{titles}/{len(pages)}" if name != "htmldate" else "–"
        print(
            f"| {name} | {licence(dist) if dist != 'dedup' else 'MIT (lxml: BSD-3-Clause)'} | "
            f"{seconds:.2f} | "
            f"{right}/{len(pages)} | {wrong} | {missing} | {title_cell} |"
        )

    print("\n## End to end: reader + extractor, MB of WARC.gz per second per core\n")
    extractors = list(extractor_seconds)
    print("| reader \\ extractor | " + " | ".join(extractors) + " |")
    print("|---|" + "---|" * len(extractors))
    for reader, read_s in reader_seconds.items():
        cells = [f"{warc_mb / (read_s + extractor_seconds[e]):.2f}" for e in extractors]
        print(f"| {reader} | " + " | ".join(cells) + " |")

    print("\n## WARC to passages: dedup scan from the WARC.gz, one worker, one process\n")
    runs = [scan_warc(args.warc) for _ in range(args.runs)]
    wall = statistics.median(run[0] for run in runs)
    cpu = statistics.median(run[1] for run in runs)
    print(
        "| median wall s | MB WARC.gz / wall s | median CPU s | MB WARC.gz / CPU s | "
        "documents | passages | rejects |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {wall:.2f} | {warc_mb / wall:.2f} | {cpu:.2f} | {warc_mb / cpu:.2f} | "
        + " | ".join(runs[0][2])
        + " |"
    )
    print(f"(load average {os.getloadavg()[0]:.1f}; CPU s: user + system of the process)")

    print("\n## Licences of each candidate and of everything it installs\n")
    print("| candidate | licence | requirements (licence) |")
    print("|---|---|---|")
    for dist in [*names, "htmldate", "zstandard"]:
        needs = requirement_licences(dist)
        listed = "; ".join(f"{k} ({v})" for k, v in sorted(needs.items())) or "none"
        print(f"| {dist} {version(dist)} | {licence(dist)} | {listed} |")
    print(
        "\nNotes:\n- Times are wall seconds, median of the runs, one process on one core; "
        "reading the WARC.gz includes gunzip.\n- End to end adds the reader's and the "
        "extractor's medians (the HTML bodies are the same bytes either way).\n- Quality: "
        "words of the extracted text aligned to the article's words (difflib on words, "
        "white space collapsed), characters of aligned words counted; macro = mean over "
        "pages, micro = over all characters."
    )


if __name__ == "__main__":
    main()
