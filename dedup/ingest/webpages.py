"""Web archives (WARC) and HTML pages → records: the article's main text extracted from each
page, with its URL, dates and title."""

from __future__ import annotations

import codecs
import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from dedup.errors import InputError
from dedup.ingest.compressed import READ_ERRORS, CutShort, read_error_message
from dedup.ingest.dates import parse_date
from dedup.ingest.options import ReadOptions, _fail, _text_or_none
from dedup.types import Record, Reject

# --- web archives and HTML pages ----------------------------------------------------------

#: What to install for WARC and HTML input (lxml parses pages, warcio reads web archives).
WARC_EXTRA = "pip install 'dedup[warc]'"


@dataclass(frozen=True, slots=True)
class PageText:
    """What :func:`extract_article` finds in a page: the article's main text (paragraphs
    separated by a blank line; the page's furniture left out) and what the page says of it.
    A field the page does not give is None."""

    text: str
    title: str | None = None
    date: str | None = None
    outlet: str | None = None
    url: str | None = None


def _lxml_html() -> Any:
    try:
        import lxml.html
    except ImportError:
        raise ImportError(f"reading HTML needs lxml: {WARC_EXTRA}") from None
    return lxml.html


# Blocks that are never article text.
_DROP_TAGS = (
    "script", "style", "noscript", "template", "svg", "math", "form", "button", "input",
    "select", "textarea", "iframe", "object", "embed", "canvas", "nav", "footer", "aside",
    "header", "figure", "figcaption", "menu", "dialog", "head",
)  # fmt: skip
# Class or id of page furniture: readability's "unlikely candidates" and the furniture of news
# sites (cookie banners, newsletters, sharing, "most read"), unless the name also looks like
# the article's ("ok maybe its a candidate").
_UNLIKELY = re.compile(
    r"-ad-|banner|breadcrumbs|combx|comment|community|disqus|extra|footer|gdpr|header|legends|"
    r"menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|supplemental|"
    r"ad-break|agegate|pagination|pager|popup|cookie|consent|newsletter|subscribe|signup|"
    r"trending|most-?read|popular|recommend|outbrain|taboola|share|promo|navigation|\bnav\b",
    re.IGNORECASE,
)
_LIKELY = re.compile(r"and|article|body|column|content|main|shadow", re.IGNORECASE)
# readability's class weights: +25 for a name like the article's, -25 for furniture
_POSITIVE = re.compile(
    r"article|body|content|entry|hentry|h-entry|main|page|pagination|post|text|blog|story",
    re.IGNORECASE,
)
_NEGATIVE = re.compile(
    r"-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|foot|footer|"
    r"footnote|gdpr|masthead|media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|"
    r"skyscraper|sponsor|shopping|tags|tool|widget|byline|author",
    re.IGNORECASE,
)
_BLOCKS = frozenset(
    [
        "p",
        "div",
        "section",
        "article",
        "main",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "table",
        "tr",
        "td",
        "th",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "br",
        "hr",
        "address",
        "center",
    ]
)
_DATE_KEYS = (
    "article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate",
    "publish-date", "publish_date", "date", "dc.date", "dc.date.issued", "dcterms.created",
    "dcterms.issued", "sailthru.date", "parsely-pub-date", "article.published",
    "publisheddate", "published_time", "published-date", "original-publish-date",
    "citation_publication_date", "dc.date.created",
)  # fmt: skip
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)


def _read_warc(handle: BinaryIO, name: str, options: ReadOptions) -> Iterator[Record | Reject]:
    """Each HTML page a WARC file holds (``response`` or ``resource`` records with status
    2xx and an HTML content type) as an article: id and url the WARC-Target-URI, text the
    page's main text, title, date and outlet as the page states them, and the crawl's
    WARC-Date (ISO) as the extra field ``crawl_date``. Other records are passed over. A
    record is named by its number in the file (``name:N``)."""
    try:
        from warcio.archiveiterator import ArchiveIterator
        from warcio.exceptions import ArchiveLoadFailed

        _lxml_html()
    except ImportError:
        raise InputError(name, None, f"reading web archives needs {_WARC_LIBRARIES}") from None
    try:
        start = handle.peek(8)[:8] if hasattr(handle, "peek") else b"WARC/"
    except READ_ERRORS as err:
        yield _fail(InputError(name, 1, read_error_message(err)), options)
        return
    if start and not start.startswith(b"WARC/"):
        yield _fail(InputError(name, 1, "not a WARC file (it does not start with WARC/)"), options)
        return
    number = 0
    watched = _ErrorWatch(handle)
    records = ArchiveIterator(watched)
    while True:
        try:
            record = next(records)
        except StopIteration:
            if watched.error is not None:  # warcio takes a cut stream for its end
                message = read_error_message(watched.error)
                yield _fail(InputError(name, number + 1, message), options)
            return
        except READ_ERRORS as err:
            yield _fail(InputError(name, number + 1, read_error_message(err)), options)
            return
        except Exception as err:  # warcio's parser meets damage with assorted types
            if watched.error is not None:
                message = read_error_message(watched.error)
            else:
                detail = "damaged headers"
                if isinstance(err, ArchiveLoadFailed) and str(err):
                    detail = str(err).splitlines()[0][:80]
                message = f"not a readable WARC record ({detail})"
            yield _fail(InputError(name, number + 1, message), options)
            return
        number += 1
        try:
            page = _warc_page(record)
            _drain(record)
        except READ_ERRORS as err:
            yield _fail(InputError(name, number, read_error_message(err)), options)
            return
        if page is None:
            continue
        uri, crawled, body, charset = page
        yield _page_record(body, charset, uri, name, number, options, crawled, uri)


_WARC_LIBRARIES = f"warcio and lxml: {WARC_EXTRA}"


class _ErrorWatch:
    """A stream that remembers the read error it raised: warcio ends quietly on an EOFError
    met while reading a record's headers, as if the file ended there."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.error: BaseException | None = None

    def read(self, size: int = -1) -> bytes:
        try:
            return self.stream.read(size)
        except READ_ERRORS as err:
            self.error = err
            raise

    def readline(self, size: int = -1) -> bytes:
        try:
            return self.stream.readline(size)
        except READ_ERRORS as err:
            self.error = err
            raise


def _warc_page(record: Any) -> tuple[str, str | None, bytes, str | None] | None:
    """(target URI, WARC-Date, body, charset) of a record holding an HTML page, or None."""
    if record.rec_type == "response":
        if record.http_headers is None:
            return None
        status = record.http_headers.get_statuscode() or ""
        if not status.startswith("2"):
            return None
        content_type = record.http_headers.get_header("Content-Type") or ""
    elif record.rec_type == "resource":
        content_type = record.rec_headers.get_header("Content-Type") or ""
    else:
        return None
    media = content_type.split(";")[0].strip().lower()
    if media not in ("text/html", "application/xhtml+xml"):
        return None
    charset = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    body = record.content_stream().read()
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    crawled = record.rec_headers.get_header("WARC-Date")
    return uri, crawled, body, charset.group(1) if charset else None


def _drain(record: Any) -> None:
    """Read the rest of a record and check that it was all there: warcio ends a file cut
    inside a record quietly."""
    raw = record.raw_stream
    while raw.read(1 << 16):
        pass
    if getattr(raw, "limit", 0) > 0:
        raise CutShort("the WARC record is cut short")


def _read_html(data: bytes, name: str, doc_id: str, options: ReadOptions) -> Record | Reject:
    """One HTML page as an article (see :func:`extract_article`)."""
    if b"\x00" in data and not options.decoding.startswith("utf-16"):
        return _fail(InputError(name, None, "binary file, not text"), options)
    try:
        _lxml_html()
    except ImportError:
        raise InputError(name, None, f"reading HTML pages needs lxml: {WARC_EXTRA}") from None
    return _page_record(data, None, doc_id, name, None, options)


def _page_record(
    body: bytes,
    charset: str | None,
    doc_id: str,
    name: str,
    number: int | None,
    options: ReadOptions,
    crawled: str | None = None,
    url: str | None = None,
) -> Record | Reject:
    """The article of a page read from ``name`` (record ``number`` of a WARC file)."""
    if charset is None and codecs.lookup(options.encoding).name != "utf-8":
        charset = options.encoding  # --encoding given: what a page does not declare
    page = extract_article(body, charset)
    if not page.text.strip():
        return _fail(InputError(name, number, "no article text found in the page"), options)
    source = name if number is None else f"{name}:{number}"
    extra: dict[str, Any] = {}
    if crawled is not None:
        extra["crawl_date"] = parse_date(crawled) or crawled
    return Record(
        id=doc_id,
        text=page.text,
        outlet=page.outlet,
        date=page.date,
        url=url or page.url,
        title=page.title,
        source=source,
        extra=extra,
    )


def decode_page(markup: bytes, charset: str | None = None) -> str:
    """A page's bytes as text: in the charset the HTTP header gives, else the one its
    ``<meta>`` declares, else UTF-8, else Windows-1252 (which decodes any byte)."""
    candidates = [charset]
    found = _META_CHARSET.search(markup[:4096])
    if found:
        candidates.append(found.group(1).decode("ascii", "replace"))
    for name in (*candidates, "utf-8"):
        if not name:
            continue
        try:
            return markup.decode(codecs.lookup(name).name)
        except (LookupError, UnicodeDecodeError):
            continue
    return markup.decode("cp1252", "replace")


def extract_article(markup: str | bytes, charset: str | None = None) -> PageText:
    """The article in an HTML page: its main text and its title, publication date, outlet
    and canonical URL where the page states them.

    The main text is found as readability does it: page furniture is dropped (navigation,
    headers, footers, asides, forms, and blocks whose class or id names comments, related
    articles, sharing, newsletters, cookie banners and the like); every paragraph of 25
    characters or more scores its parent (and half its grandparent) by its length and
    commas; the best container, its score lowered by the share of its text in links, is the
    article, with those of its siblings that score near it. Inside it, lists and blocks
    that are mostly links are left out. Block elements become paragraphs separated by a
    blank line, white space inside a paragraph is collapsed (kept in ``<pre>``).

    Parameters
    ----------
    markup : str or bytes
        The page (bytes are decoded by :func:`decode_page`).
    charset : str, optional
        The charset the HTTP response declared.
    """
    html = _lxml_html()
    text = markup if isinstance(markup, str) else decode_page(markup, charset)
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)  # lxml refuses a str that declares one
    if not text.strip():
        return PageText("")
    try:
        tree = html.document_fromstring(text)
    except (ValueError, TypeError, html.etree.ParserError):
        return PageText("")
    meta = _page_metadata(tree)
    body = tree.find("body")
    if body is None:
        body = tree
    for node in list(body.iter(*_DROP_TAGS)):
        _drop(node)
    for node in list(body.iter()):
        if not isinstance(node.tag, str) or node.tag in ("article", "main", "body"):
            continue
        names = f"{node.get('class', '')} {node.get('id', '')}"
        if names.strip() and _UNLIKELY.search(names) and not _LIKELY.search(names):
            _drop(node)
    chosen = _best_container(body)
    if chosen is None:
        return PageText("", **meta)
    return PageText(_block_text(chosen), **meta)


def page_metadata(markup: str) -> dict[str, str]:
    """The title, publication date (ISO), outlet and canonical URL a page states (only
    those found): ``og:title``, JSON-LD ``headline``, ``<h1>`` or ``<title>``; dates from
    ``article:published_time`` and other date meta tags, JSON-LD ``datePublished``, or a
    ``<time datetime>``."""
    html = _lxml_html()
    tree = html.document_fromstring(re.sub(r"^\s*<\?xml[^>]*>", "", markup))
    return {k: v for k, v in _page_metadata(tree).items() if v is not None}


def _page_metadata(tree: Any) -> dict[str, str | None]:
    metas: dict[str, str] = {}
    for node in tree.iter("meta"):
        key = (node.get("property") or node.get("name") or node.get("itemprop") or "").lower()
        value = (node.get("content") or "").strip()
        if key and value and key not in metas:
            metas[key] = value
    linked: dict[str, Any] = {}
    for node in tree.iter("script"):
        if (node.get("type") or "").lower() == "application/ld+json" and node.text:
            with contextlib.suppress(ValueError, RecursionError):
                _collect_json_ld(json.loads(node.text), linked)
    title = metas.get("og:title") or _text_or_none(linked.get("headline"))
    if title is None:
        heading = next(tree.iter("h1"), None)
        title = (
            _text_or_none(" ".join(heading.text_content().split())) if heading is not None else None
        )
    if title is None:
        page_title = tree.find(".//title")
        if page_title is not None:
            title = _text_or_none(" ".join(page_title.text_content().split()))
    day = None
    for value in (
        *(metas.get(key) for key in _DATE_KEYS),
        _text_or_none(linked.get("datePublished")),
        *_time_values(tree),
    ):
        if value and (day := parse_date(value)) is not None:
            break
    publisher = linked.get("publisher")
    outlet = metas.get("og:site_name") or (
        _text_or_none(publisher.get("name")) if isinstance(publisher, dict) else None
    )
    url = metas.get("og:url")
    canonical = next(
        (n.get("href") for n in tree.iter("link") if (n.get("rel") or "").lower() == "canonical"),
        None,
    )
    return {
        "title": title,
        "date": day,
        "outlet": outlet,
        "url": _text_or_none(canonical) or url,
    }


def _collect_json_ld(value: Any, found: dict[str, Any]) -> None:
    """The first headline, datePublished and publisher of any object in JSON-LD."""
    if isinstance(value, list):
        for item in value:
            _collect_json_ld(item, found)
    elif isinstance(value, dict):
        for key in ("headline", "datePublished", "publisher"):
            if key in value and key not in found:
                found[key] = value[key]
        for item in value.values():
            if isinstance(item, (list, dict)):
                _collect_json_ld(item, found)


def _time_values(tree: Any) -> Iterator[str]:
    """``datetime`` of ``<time>`` elements, the ones marked as publication first."""
    times = [n for n in tree.iter("time") if n.get("datetime")]
    marked = [
        n
        for n in times
        if "publish" in f"{n.get('class', '')} {n.get('itemprop', '')} {n.get('pubdate', '')}"
        or n.get("pubdate") is not None
    ]
    for node in marked + [n for n in times if n not in marked]:
        yield node.get("datetime")


def _drop(node: Any) -> None:
    """Remove ``node`` and what it holds, keeping the text that follows it."""
    parent = node.getparent()
    if parent is None:
        return
    node.drop_tree()


def _own_text_length(node: Any) -> int:
    return len(" ".join(node.text_content().split()))


def _link_density(node: Any, length: int) -> float:
    if not length:
        return 0.0
    linked = sum(_own_text_length(a) for a in node.iter("a"))
    return min(1.0, linked / length)


def _class_weight(node: Any) -> int:
    names = f"{node.get('class', '')} {node.get('id', '')}"
    weight = 0
    if _POSITIVE.search(names):
        weight += 25
    if _NEGATIVE.search(names):
        weight -= 25
    return weight


_TAG_WEIGHT = {"div": 5, "article": 10, "main": 5, "section": 3, "pre": 3, "td": 3, "blockquote": 3}


def _best_container(body: Any) -> Any | None:
    """The element holding the article (see :func:`extract_article`), or None."""
    scores: dict[Any, float] = {}
    for node in body.iter("p", "pre", "td", "div", "blockquote", "li"):
        if node.tag in ("div", "li", "td") and any(
            isinstance(child.tag, str) and child.tag in _BLOCKS for child in node
        ):
            continue  # a div of blocks: its paragraphs score for it
        length = _own_text_length(node)
        if length < 25:
            continue
        text = node.text_content()
        score = 1 + text.count(",") + text.count("\u3001") + min(length // 100, 3)
        parent = node.getparent()
        for ancestor, share in (
            (parent, 1.0),
            (parent.getparent() if parent is not None else None, 0.5),
        ):
            if ancestor is None or not isinstance(ancestor.tag, str):
                continue
            if ancestor not in scores:
                scores[ancestor] = _TAG_WEIGHT.get(ancestor.tag, 0) + _class_weight(ancestor)
            scores[ancestor] += score * share
    if not scores:
        return None
    ranked = {
        node: score * (1 - _link_density(node, _own_text_length(node)))
        for node, score in scores.items()
    }
    top = max(ranked, key=lambda node: ranked[node])
    parent = top.getparent()
    if parent is None:
        return top
    threshold = max(10.0, ranked[top] * 0.2)
    keep = []
    for sibling in parent:
        if sibling is top:
            keep.append(sibling)
            continue
        if not isinstance(sibling.tag, str):
            continue
        if ranked.get(sibling, -1e9) >= threshold:
            keep.append(sibling)
        elif sibling.tag == "p":
            length = _own_text_length(sibling)
            density = _link_density(sibling, length)
            if (length > 80 and density < 0.25) or (
                0 < length <= 80 and density == 0 and re.search(r"\.( |$)", sibling.text_content())
            ):
                keep.append(sibling)
    if len(keep) == 1:
        container = top
    else:
        container = html_element("div")
        for node in keep:
            container.append(_detached_copy(node))
    _clean_container(container)
    return container


def html_element(tag: str) -> Any:
    return _lxml_html().Element(tag)


def _detached_copy(node: Any) -> Any:
    import copy

    duplicate = copy.deepcopy(node)
    duplicate.tail = None
    return duplicate


def _clean_container(container: Any) -> None:
    """Leave out the lists, tables and blocks inside the article that are mostly links
    (related stories, tag lists) or look like furniture."""
    for node in list(container.iter("ul", "ol", "dl", "table", "div", "section")):
        if node is container or node.getparent() is None:
            continue
        length = _own_text_length(node)
        if _link_density(node, length) > 0.5 or (_class_weight(node) < 0 and length < 1000):
            _drop(node)


def _block_text(root: Any) -> str:
    """The text of ``root``: block elements as paragraphs separated by a blank line, white
    space inside a paragraph collapsed (not in ``<pre>``)."""
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = " ".join("".join(current).split())
        if text:
            paragraphs.append(text)
        current.clear()

    def walk(node: Any, in_pre: bool, top: bool = False) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        block = tag in _BLOCKS
        if tag == "pre":
            flush()
            text = node.text_content().strip("\n")
            if text.strip():
                paragraphs.append(text)
        else:
            if block:
                flush()
            if node.text and tag:
                current.append(node.text)
            for child in node:
                walk(child, in_pre)
            if block:
                flush()
        if node.tail and not top:
            current.append(node.tail)

    walk(root, False, top=True)
    flush()
    return "\n\n".join(paragraphs)
