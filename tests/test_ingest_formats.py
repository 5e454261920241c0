"""Readers of news where it lives: compressed files, folders and patterns of shards, JSON
arrays, standard input in any format, feed dates (issue #24)."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import re

import pytest

from dedup.errors import InputError
from dedup.ingest import ReadOptions, parse_date, read_corpus

STRICT = ReadOptions(strict=True)
ROWS = [{"id": f"r{k}", "text": f"story number {k} told in words"} for k in range(5)]


def jsonl_bytes(rows) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode("utf-8")


def zstd(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor().compress(data)


COMPRESS = {
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
    ".zst": zstd,
}


# --- compression --------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", list(COMPRESS))
def test_compressed_jsonl(tmp_path, suffix):
    path = tmp_path / f"feed.jsonl{suffix}"
    path.write_bytes(COMPRESS[suffix](jsonl_bytes(ROWS)))
    corpus = read_corpus([path])
    assert [r.id for r in corpus.records] == [r["id"] for r in ROWS]
    assert corpus.records[2].source == f"{path}:3"
    assert not corpus.rejects


@pytest.mark.parametrize("suffix", list(COMPRESS))
def test_compressed_csv_and_txt(tmp_path, suffix):
    csv_path = tmp_path / f"feed.tsv{suffix}"
    csv_path.write_bytes(COMPRESS[suffix](b"id\ttext\nx\thello there\n"))
    txt_path = tmp_path / f"story.txt{suffix}"
    txt_path.write_bytes(COMPRESS[suffix]("caf\u00e9 story\r\n".encode()))
    records = read_corpus([csv_path, txt_path]).records
    assert [(r.id, r.text) for r in records] == [
        ("story", "caf\u00e9 story\r\n"),
        ("x", "hello there"),
    ]


def test_zstd_with_several_frames(tmp_path):
    path = tmp_path / "feed.jsonl.zst"
    path.write_bytes(zstd(jsonl_bytes(ROWS[:2])) + zstd(jsonl_bytes(ROWS[2:])))
    assert len(read_corpus([path]).records) == len(ROWS)


def many_rows(n: int = 10000) -> list[dict[str, str]]:
    return [{"id": f"z{k}", "text": f"text of the record {k} " * 5} for k in range(n)]


@pytest.mark.parametrize("suffix", list(COMPRESS))
def test_a_cut_compressed_shard_keeps_what_came_before(tmp_path, suffix):
    folder = tmp_path / "shards"
    folder.mkdir()
    packed = COMPRESS[suffix](jsonl_bytes(many_rows()))  # bz2: more than one 900 kB block
    cut = folder / f"a.jsonl{suffix}"
    cut.write_bytes(packed[: len(packed) * 2 // 3])
    (folder / "b.jsonl").write_bytes(jsonl_bytes(ROWS))
    corpus = read_corpus([folder])
    ids = {r.id for r in corpus.records}
    assert {r["id"] for r in ROWS} <= ids  # the other shard, whole
    assert any(i.startswith("z") for i in ids)  # and what came before the cut
    [reject] = corpus.rejects
    assert re.fullmatch(re.escape(str(cut)) + r":\d+", reject.source)
    assert reject.reason == "cannot read: the compressed file is cut short"
    line = int(reject.source.rsplit(":", 1)[1])
    assert len([i for i in ids if i.startswith("z")]) == line - 1
    with pytest.raises(InputError, match=re.escape(f"{cut}:{line}: cannot read")):
        read_corpus([folder], STRICT)


@pytest.mark.parametrize(
    ("suffix", "reason"),
    [
        (".gz", "cannot read: Not a gzipped file (b'no')"),
        (".bz2", "cannot read: Invalid data stream"),
        (".xz", "cannot read: damaged xz data (Input format not supported by decoder)"),
        (".zst", "cannot read: damaged zstd data (zstd decompress"),
    ],
)
def test_a_file_that_is_not_compressed_is_skipped(tmp_path, suffix, reason):
    bad = tmp_path / f"bad.jsonl{suffix}"
    bad.write_bytes(b"not compressed at all\n" * 4)
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl_bytes(ROWS))
    corpus = read_corpus([bad, good])
    assert len(corpus.records) == len(ROWS)
    [reject] = corpus.rejects
    assert reject.source == f"{bad}:1"
    assert reject.reason.startswith(reason)


# --- folders and patterns of shards -------------------------------------------------------


def test_folder_of_jsonl_shards_at_any_depth(tmp_path):
    (tmp_path / "2016" / "12").mkdir(parents=True)
    (tmp_path / "a.jsonl").write_bytes(jsonl_bytes(ROWS[:2]))
    (tmp_path / "2016" / "12" / "b.jsonl.zst").write_bytes(zstd(jsonl_bytes(ROWS[2:])))
    (tmp_path / ".hidden.jsonl").write_bytes(jsonl_bytes([{"id": "h", "text": "hidden"}]))
    (tmp_path / "README.md").write_text("not a shard", encoding="utf-8")
    corpus = read_corpus([tmp_path])
    assert [r.id for r in corpus.records] == [r["id"] for r in ROWS]
    assert not corpus.rejects and not corpus.warnings


def test_folder_of_csv_and_parquet_shards(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    (tmp_path / "a.csv").write_text("id,text\nc1,one\n", encoding="utf-8")
    (tmp_path / "b.csv.gz").write_bytes(gzip.compress(b"id,text\nc2,two\n"))
    pq.write_table(pa.table({"id": ["p1"], "text": ["three"]}), tmp_path / "c.parquet")
    assert [r.id for r in read_corpus([tmp_path]).records] == ["c1", "c2", "p1"]


def test_folder_shard_with_a_bad_record(tmp_path):
    (tmp_path / "a.jsonl").write_bytes(jsonl_bytes(ROWS[:1]) + b'{"id": "x"}\n')
    corpus = read_corpus([tmp_path])
    assert [(r.source, r.reason) for r in corpus.rejects] == [
        (f"{tmp_path / 'a.jsonl'}:2", 'missing field "text"')
    ]


def test_folder_csv_and_parquet_shards_with_bad_rows(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    (tmp_path / "a.csv.bz2").write_bytes(bz2.compress(b"id,text\nc1,one\nc2,two,three\n"))
    pq.write_table(pa.table({"id": ["p1", "p2"], "text": ["four", " "]}), tmp_path / "b.parquet")
    corpus = read_corpus([tmp_path])
    assert [r.id for r in corpus.records] == ["c1", "p1"]
    assert [(r.source, r.reason) for r in corpus.rejects] == [
        (f"{tmp_path / 'a.csv.bz2'}:3", "expected 2 columns, found 3"),
        (f"{tmp_path / 'b.parquet'}:2", "empty text"),
    ]


def test_glob_pattern_with_a_bad_record(tmp_path):
    (tmp_path / "a.jsonl.zst").write_bytes(zstd(jsonl_bytes(ROWS[:2])))
    (tmp_path / "b.jsonl.zst").write_bytes(zstd(jsonl_bytes(ROWS[2:]) + b"[1, 2]\n"))
    corpus = read_corpus([str(tmp_path / "*.jsonl.zst")])
    assert [r.id for r in corpus.records] == [r["id"] for r in ROWS]
    assert [(r.source, r.reason) for r in corpus.rejects] == [
        (f"{tmp_path / 'b.jsonl.zst'}:{len(ROWS) - 1}", "expected a JSON object, found list")
    ]


def test_folder_with_txt_files_reads_them_and_says_what_it_left(tmp_path):
    (tmp_path / "story.txt").write_text("a story", encoding="utf-8")
    (tmp_path / "feed.jsonl").write_bytes(jsonl_bytes(ROWS))
    corpus = read_corpus([tmp_path])
    assert [r.id for r in corpus.records] == ["story"]
    assert [w.reason for w in corpus.warnings] == [
        "1 other file(s) such as feed.jsonl not read: a folder holding .txt files is read as "
        ".txt files"
    ]


def test_folder_with_format_reads_only_that_format(tmp_path):
    (tmp_path / "story.txt").write_text("a story", encoding="utf-8")
    (tmp_path / "feed.jsonl").write_bytes(jsonl_bytes(ROWS[:1]))
    records = read_corpus([tmp_path], ReadOptions(format="jsonl")).records
    assert [r.id for r in records] == ["r0"]


def test_folder_of_compressed_txt_files(tmp_path):
    (tmp_path / "bbc").mkdir()
    (tmp_path / "bbc" / "x.txt.gz").write_bytes(gzip.compress(b"some text"))
    (tmp_path / "y.txt").write_text("other text", encoding="utf-8")
    assert [r.id for r in read_corpus([tmp_path]).records] == ["bbc/x", "y"]


def test_glob_pattern(tmp_path):
    for k, row in enumerate(ROWS):
        (tmp_path / f"part-{k}.jsonl.xz").write_bytes(lzma.compress(jsonl_bytes([row])))
    (tmp_path / "other.csv").write_text("id,text\nq,not matched\n", encoding="utf-8")
    corpus = read_corpus([str(tmp_path / "part-*.jsonl.xz")])
    assert [r.id for r in corpus.records] == [r["id"] for r in ROWS]
    assert corpus.files == 1


def test_recursive_glob_pattern(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.csv").write_text("id,text\nx,deep\n", encoding="utf-8")
    (tmp_path / "y.csv").write_text("id,text\ny,top\n", encoding="utf-8")
    records = read_corpus([str(tmp_path / "**" / "*.csv")]).records
    assert [r.id for r in records] == ["x", "y"]


def test_glob_pattern_matching_nothing_is_an_error(tmp_path):
    pattern = str(tmp_path / "*.jsonl")
    with pytest.raises(InputError, match=re.escape(f"{pattern}: no file or folder matches")):
        read_corpus([pattern])


# --- a JSON array -------------------------------------------------------------------------


def test_json_array(tmp_path):
    path = tmp_path / "feed.json"
    path.write_text(json.dumps([*ROWS[:2], {"text": "no id"}], indent=2), encoding="utf-8")
    records = read_corpus([path]).records
    assert [r.id for r in records] == ["feed:3", "r0", "r1"]
    starts = [n + 1 for n, line in enumerate(path.read_text().splitlines()) if line == "  {"]
    assert sorted(r.source for r in records) == sorted(f"{path}:{n}" for n in starts)


def test_json_array_on_one_line_and_empty(tmp_path):
    one = tmp_path / "one.json"
    one.write_text(json.dumps(ROWS), encoding="utf-8")
    empty = tmp_path / "empty.json"
    empty.write_text(" [ ]\n", encoding="utf-8")
    corpus = read_corpus([one, empty])
    assert len(corpus.records) == len(ROWS) and not corpus.rejects
    assert {r.source for r in corpus.records} == {f"{one}:1"}


def test_json_file_of_json_lines_still_reads(tmp_path):
    path = tmp_path / "feed.json"
    path.write_bytes(jsonl_bytes(ROWS))
    assert len(read_corpus([path]).records) == len(ROWS)


def test_compressed_json_array(tmp_path):
    path = tmp_path / "feed.json.bz2"
    path.write_bytes(bz2.compress(json.dumps(ROWS).encode()))
    assert len(read_corpus([path]).records) == len(ROWS)


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ("[1, 2]", "expected a JSON object, found list"),
        ('"text"', "expected a JSON object, found str"),
        ('{"id": "x"}', 'missing field "text"'),
        ('{"id": "x", "text": null}', 'field "text" is null, not text'),
        ('{"id": "x", "text": "\\ud800"}', 'field "text" holds a lone surrogate'),
    ],
)
def test_bad_record_in_json_array(tmp_path, item, reason):
    path = tmp_path / "feed.json"
    path.write_text(
        "[\n" + json.dumps(ROWS[0]) + ",\n" + item + ",\n" + json.dumps(ROWS[1]) + "\n]\n",
        encoding="utf-8",
    )
    corpus = read_corpus([path])
    assert [r.id for r in corpus.records] == ["r0", "r1"]
    assert [r.source for r in corpus.rejects] == [f"{path}:3"]
    assert corpus.rejects[0].reason.startswith(reason)
    with pytest.raises(InputError, match=re.escape(f"{path}:3: {reason}")):
        read_corpus([path], STRICT)


@pytest.mark.parametrize(
    ("tail", "ids", "line", "reason"),
    [
        ('{"id": "x", "text": \n', ["r0"], 4, "malformed JSON: Expecting value; the rest of"),
        ('{"id": "x", "text": "y"}\n{"id": "z"}]', ["r0", "x"], 4, "malformed JSON: expected"),
        ('{"id": "x", "text": "y"}', ["r0", "x"], 3, "malformed JSON: expected ',' or ']' after"),
    ],
)
def test_malformed_json_array_keeps_the_records_before(tmp_path, tail, ids, line, reason):
    """The line is where the JSON breaks."""
    path = tmp_path / "feed.json"
    path.write_text("[\n" + json.dumps(ROWS[0]) + ",\n" + tail, encoding="utf-8")
    corpus = read_corpus([path])
    assert [r.id for r in corpus.records] == ids
    assert [r.source for r in corpus.rejects] == [f"{path}:{line}"]
    assert corpus.rejects[0].reason.startswith(reason)


# --- standard input in any format ---------------------------------------------------------


def with_stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("csv", b"id,text\ns,from a pipe\nt,another\n"),
        ("json", json.dumps([{"id": "s", "text": "from a pipe"}, {"id": "t", "text": "x"}])),
        ("jsonl", jsonl_bytes([{"id": "s", "text": "from a pipe"}, {"id": "t", "text": "x"}])),
    ],
)
def test_stdin_in_a_format(monkeypatch, fmt, data):
    with_stdin(monkeypatch, data if isinstance(data, bytes) else data.encode())
    records = read_corpus(["-"], ReadOptions(format=fmt)).records
    assert [r.id for r in records] == ["s", "t"]
    assert records[0].source.startswith("<stdin>:")


def test_stdin_csv_bad_row(monkeypatch):
    with_stdin(monkeypatch, b"id,text\ns,ok\nt,bad,row\n")
    corpus = read_corpus(["-"], ReadOptions(format="csv"))
    assert [(r.source, r.reason) for r in corpus.rejects] == [
        ("<stdin>:3", "expected 2 columns, found 3")
    ]


def test_stdin_as_one_text_and_as_parquet(monkeypatch):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    with_stdin(monkeypatch, b"just one article\n")
    [record] = read_corpus(["-"], ReadOptions(format="txt")).records
    assert (record.id, record.text) == ("stdin", "just one article\n")
    sink = io.BytesIO()
    pq.write_table(pa.table({"id": ["p"], "text": ["in parquet"]}), sink)
    with_stdin(monkeypatch, sink.getvalue())
    [record] = read_corpus(["-"], ReadOptions(format="parquet")).records
    assert (record.id, record.source) == ("p", "<stdin>:1")


# --- dates as feeds give them -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("2016-12-10", "2016-12-10"),
        ("2016-12-10T09:30:00Z", "2016-12-10T09:30:00+00:00"),
        ("2016-12-10T09:30:00+05:30", "2016-12-10T09:30:00+05:30"),
        ("Sat, 10 Dec 2016 09:30:00 GMT", "2016-12-10T09:30:00+00:00"),
        ("Sat, 10 Dec 2016 09:30:00 +0100", "2016-12-10T09:30:00+01:00"),
        ("10 Dec 2016 09:30 EST", "2016-12-10T09:30:00-05:00"),
        ("Sat, 10 Dec 2016 09:30:00 -0000", "2016-12-10T09:30:00"),  # RFC 2822: zone unknown
        ("1481362200", "2016-12-10T09:30:00+00:00"),
        ("1481362200000", "2016-12-10T09:30:00+00:00"),
        ("1481362200.5", "2016-12-10T09:30:00.500000+00:00"),
        ("946684800", "2000-01-01T00:00:00+00:00"),  # 9 digits
        (1481362200, "2016-12-10T09:30:00+00:00"),
        (1481362200123, "2016-12-10T09:30:00.123000+00:00"),
        (1481362200.0, "2016-12-10T09:30:00+00:00"),
        ("10/12/2016", None),  # day and month could be either way round
        ("12/10/2016 09:30", None),
        ("10 Dec 2016", None),  # RFC 2822 has a time
        ("14813622", None),  # 8 digits: neither seconds nor milliseconds of these years
        ("14813622001", None),  # 11 digits
        ("148136220012345", None),
        ("yesterday", None),
        (True, None),
        ("", None),
    ],
)
def test_parse_date_as_feeds_give_it(value, parsed):
    assert parse_date(value) == parsed


def test_feed_dates_become_iso(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_bytes(
        jsonl_bytes(
            [
                {"id": "a", "text": "x", "date": 1481362200},
                {"id": "b", "text": "x", "date": "Sat, 10 Dec 2016 09:30:00 GMT"},
                {"id": "c", "text": "x", "date": "1481362200000"},
                {"id": "d", "text": "x", "date": "10/12/2016"},
            ]
        )
    )
    corpus = read_corpus([path])
    assert [r.date for r in corpus.records] == ["2016-12-10T09:30:00+00:00"] * 3 + [None]
    assert [(w.source, w.reason) for w in corpus.warnings] == [
        (
            f"{path}:4",
            'unparsable date "10/12/2016" (expected ISO 8601 such as 2016-12-10, RFC 2822 or '
            "Unix time); date left empty",
        )
    ]


# --- web archives and HTML pages ----------------------------------------------------------

CRAWLED = "2017-12-10T08:00:00Z"
FURNITURE_WORDS = (
    "cookies",
    "Accept all",
    "Most read",
    "Related articles",
    "Sign up for our morning briefing",
    "Leave a comment",
    "All rights reserved",
)


def news_page(title: str, paragraphs: list[str], published: str | None, url: str) -> str:
    """An article page with the furniture of a news site around its paragraphs."""
    from html import escape

    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    date_meta = (
        f'<meta property="article:published_time" content="{published}">' if published else ""
    )
    menu = "".join(f'<li><a href="/{s.lower()}">{s}</a></li>' for s in ("World", "Business"))
    related = "".join(
        f'<li><a href="/story-{k}">Another headline about the talks, number {k}</a></li>'
        for k in range(5)
    )
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{escape(title)} | Example News</title>{date_meta}
<meta property="og:site_name" content="Example News"><link rel="canonical" href="{url}">
<script>var tracking = {{"page": "article"}};</script></head><body>
<div class="cookie-banner">We use cookies to improve your experience. <button>Accept all</button>
</div><header><nav><ul>{menu}</ul></nav></header>
<main><article><h1>{escape(title)}</h1><div class="byline">By a reporter</div>
<div class="article-body">{body}</div></article>
<section class="newsletter">Sign up for our morning briefing, every weekday.</section>
<section class="related"><h2>Related articles</h2><ul>{related}</ul></section>
<section class="comments"><h2>Leave a comment</h2><p>Great reporting, thank you for
this article, it was very informative and balanced.</p></section></main>
<aside class="sidebar"><h2>Most read</h2><ol>{related}</ol></aside>
<footer>&copy; Example News. All rights reserved.</footer></body></html>"""


def warc_member(kind: str, uri: str, payload: bytes, content_type: str, when: str) -> bytes:
    headers = (
        f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{abs(hash(uri)):x}>\r\n"
        f"WARC-Date: {when}\r\nWARC-Target-URI: {uri}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode()
    return headers + payload + b"\r\n\r\n"


def http_response(body: bytes, content_type: str, status: str = "200 OK") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


def write_warc(path, pages: list[tuple[str, bytes]], *, compress: bool = True, extra=()) -> None:
    """A WARC file (a gzip member per record, as crawlers write it) holding a request and
    an HTML response for each ``(url, html)``, then the ``extra`` records."""
    members = []
    for url, markup in pages:
        request = f"GET {url} HTTP/1.1\r\n\r\n".encode()
        members.append(warc_member("request", url, request, "application/http", CRAWLED))
        response = http_response(markup, "text/html; charset=utf-8")
        members.append(
            warc_member("response", url, response, "application/http; msgtype=response", CRAWLED)
        )
    members.extend(extra)
    if compress:
        path.write_bytes(b"".join(gzip.compress(m, mtime=0) for m in members))
    else:
        path.write_bytes(b"".join(members))


def seed_pages() -> list[tuple[str, bytes]]:
    """Each seed article of corpus/ as a page: its lines the article's paragraphs (the
    first line, its headline, too, so that the text is the file's), under a header, beside
    menus, a newsletter box, related links, comments and a footer."""
    from tests.conftest import CORPUS

    dates = {}
    for line in (CORPUS / "metadata.csv").read_text(encoding="utf-8").splitlines()[1:]:
        doc_id, _outlet, day = line.split(",")[:3]
        dates[doc_id] = f"{day}T09:30:00Z" if day else None
    pages = []
    for path in sorted(CORPUS.glob("*.txt")):
        lines = [x for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        url = f"https://news.example/world/{path.stem}"
        markup = news_page(lines[0], lines, dates[path.stem], url)
        pages.append((url, markup.encode("utf-8")))
    return pages


def test_warc_pages_scan_to_the_passages_of_the_corpus(tmp_path):
    """Done when: a WARC of the seed articles as web pages finds what corpus/ finds."""
    from dedup.normalize import normalize
    from dedup.pipeline import scan
    from tests.conftest import CORPUS

    path = tmp_path / "crawl.warc.gz"
    write_warc(path, seed_pages())
    corpus = read_corpus([path])
    assert not corpus.rejects and not corpus.warnings
    by_path = {r.url.rsplit("/", 1)[1]: r for r in corpus.records}
    expected_records = read_corpus([CORPUS]).records
    assert sorted(by_path) == [r.id for r in expected_records]
    for record in corpus.records:
        assert record.id == record.url
        assert record.url.startswith("https://news.example/world/")
        assert record.extra["crawl_date"] == "2017-12-10T08:00:00+00:00"
        assert record.outlet == "Example News"
        assert not any(word in record.text for word in FURNITURE_WORDS), record.id
    for expected in expected_records:
        record = by_path[expected.id]
        assert record.title == expected.title
        assert record.date == (f"{expected.date}T09:30:00+00:00" if expected.date else None)
        assert normalize(record.text).text == normalize(expected.text).text

    def passages(result, texts):
        """Each passage as its witnesses: (document, the words it prints there). The
        passage's own text is its longest witness in characters, which white space between
        paragraphs (a blank line in a page, a line break in a .txt) can tip either way in a
        tie, so it is checked to be one of them."""
        out = []
        for cluster in result.passages:
            witnesses = sorted(
                (w.doc.rsplit("/", 1)[-1], normalize(texts[w.doc][w.start : w.end]).text)
                for w in cluster.witnesses
            )
            assert normalize(cluster.text).text in {text for _doc, text in witnesses}
            out.append(witnesses)
        return sorted(out)

    from_warc = scan(corpus.records)
    from_folder = scan(expected_records)
    got = passages(from_warc, {r.id: r.text for r in corpus.records})
    want = passages(from_folder, {r.id: r.text for r in expected_records})
    assert len(want) == 12
    assert got == want


def test_warc_passes_over_what_is_not_an_html_page(tmp_path):
    path = tmp_path / "crawl.warc"
    pages = seed_pages()[:1]
    extra = [
        warc_member(
            "response",
            "https://news.example/robots.txt",
            http_response(b"User-agent: *\n", "text/plain"),
            "application/http; msgtype=response",
            CRAWLED,
        ),
        warc_member(
            "response",
            "https://news.example/gone",
            http_response(pages[0][1], "text/html", status="404 Not Found"),
            "application/http; msgtype=response",
            CRAWLED,
        ),
        warc_member("metadata", "https://news.example/x", b"a: b\r\n", "text/plain", CRAWLED),
    ]
    write_warc(path, pages, compress=False, extra=extra)
    corpus = read_corpus([path])
    assert [r.id for r in corpus.records] == [pages[0][0]]
    assert corpus.records[0].source == f"{path}:2"
    assert not corpus.rejects


def test_warc_page_without_text_is_a_bad_record(tmp_path):
    path = tmp_path / "crawl.warc.gz"
    empty = b"<html><body><nav><a href='/'>Home</a></nav></body></html>"
    write_warc(path, [*seed_pages()[:1], ("https://news.example/empty", empty)])
    corpus = read_corpus([path])
    assert len(corpus.records) == 1
    assert [(r.source, r.reason) for r in corpus.rejects] == [
        (f"{path}:4", "no article text found in the page")
    ]
    with pytest.raises(InputError, match=re.escape(f"{path}:4: no article text found")):
        read_corpus([path], STRICT)


@pytest.mark.parametrize("compress", [True, False])
def test_a_cut_warc_keeps_the_pages_before(tmp_path, compress):
    path = tmp_path / ("crawl.warc.gz" if compress else "crawl.warc")
    write_warc(path, seed_pages(), compress=compress)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    corpus = read_corpus([path])
    assert 1 <= len(corpus.records) < 5
    [reject] = corpus.rejects
    assert re.fullmatch(re.escape(str(path)) + r":\d+", reject.source)
    assert "cut short" in reject.reason


def test_a_file_that_is_not_a_warc(tmp_path):
    path = tmp_path / "crawl.warc"
    path.write_bytes(b"this is not a web archive\n" * 3)
    corpus = read_corpus([path])
    assert [(r.source, r.reason) for r in corpus.rejects] == [
        (f"{path}:1", "not a WARC file (it does not start with WARC/)")
    ]


def test_warc_from_stdin_and_a_folder_of_warc_shards(tmp_path, monkeypatch):
    folder = tmp_path / "crawl"
    folder.mkdir()
    pages = seed_pages()
    write_warc(folder / "part-0.warc.gz", pages[:2])
    write_warc(folder / "part-1.warc.gz", pages[2:])
    assert len(read_corpus([folder]).records) == 5
    with_stdin(monkeypatch, (folder / "part-0.warc.gz").read_bytes())
    records = read_corpus(["-"], ReadOptions(format="warc")).records
    assert [r.source for r in records] == ["<stdin>:2", "<stdin>:4"]


def test_missing_warc_extra_is_one_line(tmp_path, monkeypatch):
    import sys

    path = tmp_path / "crawl.warc.gz"
    write_warc(path, seed_pages()[:1])
    monkeypatch.setitem(sys.modules, "warcio", None)
    monkeypatch.setitem(sys.modules, "warcio.archiveiterator", None)
    with pytest.raises(InputError) as caught:
        read_corpus([path])
    assert str(caught.value) == (
        f"{path}: reading web archives needs warcio and lxml: pip install 'dedup[warc]'"
    )


def test_folder_of_html_pages(tmp_path):
    (tmp_path / "world").mkdir()
    pages = seed_pages()
    for url, markup in pages[:3]:
        (tmp_path / "world" / (url.rsplit("/", 1)[1] + ".html")).write_bytes(markup)
    (tmp_path / "short.htm").write_bytes(pages[3][1])
    (tmp_path / "metadata.csv").write_text("id,outlet\nshort,Sidecar Outlet\n", encoding="utf-8")
    corpus = read_corpus([tmp_path])
    assert not corpus.rejects
    ids = [r.id for r in corpus.records]
    assert ids == ["short"] + [f"world/{u.rsplit('/', 1)[1]}" for u, _ in pages[:3]]
    short = corpus.records[0]
    assert short.outlet == "Sidecar Outlet"  # the sidecar over the page
    assert short.url == pages[3][0]  # the page's canonical link
    assert short.source == str(tmp_path / "short.htm")
    assert corpus.records[1].outlet == "Example News"


def test_html_page_in_another_charset(tmp_path):
    markup = news_page("Caf\u00e9", ["Le caf\u00e9 est ouvert depuis ce matin."], None, "u")
    path = tmp_path / "page.html"
    path.write_bytes(markup.replace('charset="utf-8"', 'charset="iso-8859-1"').encode("latin-1"))
    [record] = read_corpus([path]).records
    assert record.text == "Le caf\u00e9 est ouvert depuis ce matin."
    assert (record.id, record.title, record.date) == ("page", "Caf\u00e9", None)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<html><body><nav>Home</nav></body></html>", "no article text found in the page"),
        (b"", "no article text found in the page"),
        (b"\x00\x01<html>", "binary file, not text"),
    ],
)
def test_bad_html_page(tmp_path, data, reason):
    (tmp_path / "good.html").write_bytes(seed_pages()[0][1])
    (tmp_path / "bad.html").write_bytes(data)
    corpus = read_corpus([tmp_path])
    assert [r.id for r in corpus.records] == ["good"]
    assert [(r.source, r.reason) for r in corpus.rejects] == [(str(tmp_path / "bad.html"), reason)]
