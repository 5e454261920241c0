"""The report in a real browser: headless Chromium (Debian's ``chromium``, never a download)
opens ``dedup report``'s page from disk with every network request refused, and the tests
read the page's DOM."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import main
from dedup.report_pages import unpack_index
from tests.conftest import (
    ATTRIBUTE,
    CORPUS,
    JS_URL,
    SCRIPT,
    SEED_IDS,
    SHARED,
    hostile_records,
)

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is absent: install Debian's chromium package (.ci/run does) to run the "
        "browser tests",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is absent: pip install '.[test]'"
)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


class Page:
    """A page with every request outside the report file refused and recorded."""

    def __init__(self, browser, path: Path) -> None:
        self.path = path
        self.url = path.resolve().as_uri()
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda err: self.errors.append(str(err)))

    def _route(self, route) -> None:
        if route.request.url.split("#")[0] == self.url:
            route.continue_()
        else:
            self.requests.append(route.request.url)
            route.abort()

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, view: str = "") -> None:
        if self.page.url.split("#")[0] != self.url:
            self.page.goto(self.url + (f"#{view}" if view else ""))
        else:
            self.page.evaluate("view => { location.hash = view; }", view)
        self.page.wait_for_selector(f"body[data-ready='{view.split('/')[0] or 'overview'}']")

    def index(self) -> dict:
        return unpack_index(self.path.read_text(encoding="utf-8"))


def write_report(corpus: Path | str, out: Path) -> Path:
    result = CliRunner().invoke(main, ["report", str(corpus), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out / "report.html"


@pytest.fixture(scope="module")
def seed_report(tmp_path_factory) -> Path:
    return write_report(CORPUS, tmp_path_factory.mktemp("seeds"))


@pytest.fixture
def seeds(browser, seed_report):
    page = Page(browser, seed_report)
    page.open()
    yield page
    page.context.close()


def pair_number(index: dict, a: str, b: str) -> int:
    ids = [doc["id"] for doc in index["docs"]]
    (number,) = [k for k, p in enumerate(index["pairs"]) if (ids[p["a"]], ids[p["b"]]) == (a, b)]
    return number


def test_seed_report_opens_offline(seeds):
    page = seeds.page
    assert page.text_content("#count-documents") == "5"
    assert page.text_content("#count-pairs") == "3"
    assert page.locator("#outlet-chart g.bar").count() == 3
    assert seeds.requests == []
    assert seeds.errors == []


def test_kerry_passage_is_highlighted_in_000_and_001(seeds, tmp_path):
    number = pair_number(seeds.index(), SEED_IDS["000"], SEED_IDS["001"])
    seeds.open(f"pair/{number}")
    found = {}
    for short in ("000", "001"):
        marks = seeds.page.locator(f".text[data-doc='{SEED_IDS[short]}'] mark[data-passage]")
        kerry = [
            (marks.nth(k).get_attribute("data-passage"), marks.nth(k).text_content())
            for k in range(marks.count())
            if "show a little grace" in marks.nth(k).text_content()
        ]
        assert len(kerry) == 1, kerry
        found[short] = kerry[0]
    assert found["000"][0] == found["001"][0]  # the same passage id on both sides
    assert found["000"][1].startswith("Russia and Assad have a moment")
    assert found["001"][1].startswith("Russia and Assad have a moment")
    # the five passages of the pair on each side (p5 and p6 overlap in 001: one piece is both)
    for short in ("000", "001"):
        marks = seeds.page.locator(f".text[data-doc='{SEED_IDS[short]}'] mark")
        ids = {
            i
            for k in range(marks.count())
            for i in marks.nth(k).get_attribute("data-passage").split()
        }
        assert ids == {"p1", "p2", "p4", "p5", "p6"}
    seeds.page.screenshot(path=str(tmp_path / "pair-000-001.png"), full_page=True)
    assert (tmp_path / "pair-000-001.png").stat().st_size > 10_000


def test_chain_graph_is_drawn(seeds, tmp_path):
    graph = seeds.page.locator("#corpus-graph svg.chain-graph")
    assert graph.count() == 1
    nodes = graph.locator("g.node")
    keys = {nodes.nth(k).get_attribute("data-key") for k in range(nodes.count())}
    assert set(SEED_IDS.values()) <= keys
    edges = graph.locator("path.edge")
    drawn = [
        (edges.nth(k).get_attribute("data-source"), edges.nth(k).get_attribute("data-target"))
        for k in range(edges.count())
    ]
    assert len(drawn) == int(seeds.page.text_content("#count-edges"))
    targets: dict[str, set[str]] = {}
    for source, target in drawn:
        targets.setdefault(source, set()).add(target)
    # 000 and 001 carry one agency copy: a common source feeds both
    agency = [s for s, t in targets.items() if {SEED_IDS["000"], SEED_IDS["001"]} <= t]
    assert agency and all(s.startswith("inferred:") for s in agency)
    assert graph.locator(f"g.node.common[data-key='{agency[0]}']").count() == 1
    # The Guardian's 002 overlaps with both 000 and 001
    with_002 = [s for s, t in targets.items() if SEED_IDS["002"] in t]
    assert any(SEED_IDS["000"] in targets[s] for s in with_002)
    assert any(SEED_IDS["001"] in targets[s] for s in with_002)
    # 003 and 004 are drawn, with no edge
    for short in ("003", "004"):
        assert all(SEED_IDS[short] not in edge for edge in drawn)
        assert graph.locator(f"g.node.isolated[data-key='{SEED_IDS[short]}']").count() == 1
    seeds.page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
    assert (tmp_path / "overview.png").stat().st_size > 10_000


def test_story_shows_its_articles_and_graph(seeds):
    index = seeds.index()
    (number,) = [k for k, s in enumerate(index["stories"]) if len(s["members"]) == 3]
    seeds.open(f"story/{number}")
    rows = seeds.page.locator("#story tr[data-doc]")
    assert sorted(rows.nth(k).get_attribute("data-doc") for k in range(rows.count())) == [
        SEED_IDS["000"],
        SEED_IDS["001"],
        SEED_IDS["002"],
    ]
    assert seeds.page.locator("#story svg.chain-graph path.edge").count() > 0
    assert seeds.page.locator("#story tr[data-pair]").count() == 3


def test_stories_and_pairs_lists(seeds):
    seeds.open("stories")
    assert seeds.page.locator("#stories-list tr[data-story]").count() == 3
    seeds.open("pairs")
    assert seeds.page.locator("#pairs-list tr[data-pair]").count() == 3
    assert seeds.errors == []


@pytest.fixture
def hostile(browser, tmp_path):
    fields = ("id", "text", "outlet", "date", "url", "title")
    records = [
        {name: getattr(r, name) for name in fields} for r in hostile_records(f"evil-a{ATTRIBUTE}")
    ]
    corpus = tmp_path / "hostile.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    page = Page(browser, write_report(corpus, tmp_path / "out"))
    page.open()
    yield page
    page.context.close()


def injected(page) -> dict:
    return page.evaluate(
        """() => ({
            img: document.querySelectorAll("img").length,
            handlers: Array.from(document.querySelectorAll("*")).filter(
                e => Array.from(e.attributes).some(a => a.name.startsWith("on"))).length,
            scripts: Array.from(document.querySelectorAll("script")).filter(
                s => !["application/json", "application/x-dedup-pack"].includes(s.type)).length,
            jsLinks: Array.from(document.querySelectorAll("a[href]")).filter(
                a => !/^(#|https?:)/i.test(a.getAttribute("href"))).length,
        })"""
    )


def test_hostile_article_shows_as_text_and_runs_nothing(hostile, tmp_path):
    page = hostile.page
    views = ["", "stories", "story/0", "pairs", "pair/0"]
    for view in views:
        hostile.open(view)
        assert injected(page) == {"img": 0, "handlers": 0, "scripts": 1, "jsLinks": 0}, view
    # the pair view shows every payload as text, in the texts, titles, outlets and urls
    pair = page.text_content("#pair")
    for raw in (SCRIPT, ATTRIBUTE, JS_URL, f"Title {SCRIPT}", f"Outlet {ATTRIBUTE}"):
        assert raw in pair
    marked = page.locator(".text mark").first.text_content()
    assert SHARED[:40] in marked
    # the javascript: url is text; the https one is a link that opens nothing of ours
    assert page.locator("#pair span.url", has_text=JS_URL).count() == 1
    link = page.locator("#pair a.url")
    assert link.count() == 1
    assert link.get_attribute("href") == f"https://example.org/story?q={SCRIPT}"
    assert link.get_attribute("rel") == "noopener noreferrer"
    hostile.open("story/0")
    assert SCRIPT in page.text_content("#story")
    hostile.open("")
    assert ATTRIBUTE in page.text_content("#outlet-chart")
    page.screenshot(path=str(tmp_path / "hostile.png"), full_page=True)
    assert hostile.dialogs == []
    assert hostile.requests == []
    assert hostile.errors == []


def seed_titles() -> dict[str, str]:
    """Id → title, read from the seeds' metadata.csv (not from the page)."""
    with open(CORPUS / "metadata.csv", encoding="utf-8", newline="") as handle:
        return {row["id"]: row["title"] for row in csv.DictReader(handle)}


ID_ALONE = """titles => {
  const found = [];
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest("[hidden]")) continue;
    for (const [id, title] of Object.entries(titles)) {
      if (!node.data.includes(id)) continue;
      const small = node.parentElement.closest(".small");
      const around = small ? small.closest("td, article, li").textContent : node.data;
      if (!around.includes(title)) found.push([id, node.data.slice(0, 120)]);
    }
  }
  return found;
}"""


def test_no_article_is_shown_by_id_alone(seeds):
    titles = seed_titles()
    index = seeds.index()
    (story,) = [k for k, s in enumerate(index["stories"]) if len(s["members"]) == 3]
    views = ["", "stories", f"story/{story}", "pairs"] + [
        f"pair/{k}" for k in range(len(index["pairs"]))
    ]
    for view in views:
        seeds.open(view)
        assert seeds.page.evaluate(ID_ALONE, titles) == [], view
    # the id is there, in small print beside the headline
    seeds.open("pair/0")
    small = seeds.page.locator("#pair .side .small")
    assert small.count() == 2 and small.first.text_content() in titles
    assert seeds.errors == []


def test_each_edge_and_bar_is_explained_in_visible_text(seeds):
    titles = seed_titles()
    page = seeds.page
    paths = page.locator("#corpus-graph path.edge")
    notes = page.locator("#corpus-graph ol.edge-notes li")
    assert paths.count() == notes.count() > 0
    for k in range(paths.count()):
        source = paths.nth(k).get_attribute("data-source")
        target = paths.nth(k).get_attribute("data-target")
        note = page.locator(
            f"#corpus-graph ol.edge-notes li[data-source='{source}'][data-target='{target}']"
        )
        assert note.count() == 1 and note.is_visible()
        text = note.text_content()
        assert titles[target] in text and "words" in text and "evidence:" in text
        if source.startswith("inferred:"):
            assert "original not in the corpus" in text
    labels = page.locator("#corpus-graph text.edge-label")
    assert labels.count() == paths.count() and labels.first.is_visible()
    # 000 and 001 both credit agencies: their common source is named by those credits
    agency = page.locator(f"#corpus-graph ol.edge-notes li[data-target='{SEED_IDS['001']}']")
    assert "AFP" in agency.first.text_content()
    bars = page.locator("#outlet-chart g.bar")
    for k in range(bars.count()):
        note = bars.nth(k).locator("text.bar-note")
        assert note.is_visible() and "words reused in" in note.text_content()


def test_one_word_for_unknown_values(seeds):
    seeds.open("stories")
    index = seeds.index()
    (story,) = [k for k, s in enumerate(index["stories"]) if len(s["members"]) == 3]
    for view in ("", f"story/{story}", "pairs", "pair/0"):
        seeds.open(view)
        text = seeds.page.text_content(f"#{view.split('/')[0] or 'overview'}")
        for other in ("(unknown)", "(no outlet)", "no outlet", "undated", "\u2014"):
            assert other not in text, (view, other)
    seeds.open("")
    assert "outlet unknown" in seeds.page.text_content("#outlet-chart")


def test_pair_page_states_the_chain_verdict(seeds):
    titles = seed_titles()
    number = pair_number(seeds.index(), SEED_IDS["000"], SEED_IDS["001"])
    seeds.open(f"pair/{number}")
    verdict = seeds.page.locator("#pair section.verdict")
    assert verdict.count() == 1 and verdict.is_visible()
    assert verdict.get_attribute("data-verdict") == "common"
    text = verdict.text_content()
    # both carry one agency copy, dated the same day: no order between them
    assert "Neither took from the other" in text and "AFP" in text
    assert "Order unknown" in text and "same day" in text
    assert titles[SEED_IDS["000"]][:20] in text
    assert verdict.locator("li").count() >= 2


def test_counts_match_pairs_jsonl_and_the_terminal(seeds, tmp_path):
    result = CliRunner().invoke(main, ["scan", str(CORPUS), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (tmp_path / "pairs.jsonl").read_text().splitlines()]
    passages = (tmp_path / "passages.jsonl").read_text().splitlines()
    page = seeds.page
    assert int(page.text_content("#count-pairs")) == len(rows)
    assert int(page.text_content("#count-passages")) == len(passages)
    terminal = {
        (m[1], m[2]): int(m[3])
        for m in re.finditer(r"(\S+) ↔ (\S+)\s+(\d+)\s+\d+/\d+", result.output)
    }
    index = seeds.index()
    seeds.open("pairs")
    for row in rows:
        distinct = len({x["passage"] for x in row["passages"]})
        cells = page.locator(
            f"#pairs-list tr[data-pair='{pair_number(index, row['a'], row['b'])}'] td"
        )
        assert int(cells.nth(2).text_content()) == distinct
        assert cells.nth(3).text_content() == (
            f"{row['reused_words_a']:,} / {row['reused_words_b']:,}"
        )
        assert terminal[(row["a"], row["b"])] == distinct
    # 000 and 002 share one passage (aligned in two pieces): one passage everywhere
    assert terminal[(SEED_IDS["000"], SEED_IDS["002"])] == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("guardian", ["002"]),  # an outlet, in any case
        ("aleppo onslaught", ["000", "004"]),  # every word of the headline
        (SEED_IDS["003"][:10], ["003"]),  # an id
        ("outlet unknown", ["001", "003"]),  # the outlet the input does not give
        ("date unknown", ["004"]),
    ],
)
def test_search_by_outlet_headline_or_id(seeds, query, expected):
    seeds.open("")
    seeds.page.fill("#search-box", query)
    seeds.page.wait_for_selector("body[data-ready='search']")
    seeds.page.wait_for_function(
        "q => location.hash === '#search/' + encodeURIComponent(q)", arg=query
    )
    rows = seeds.page.locator("#search-results tr[data-doc]")
    assert [rows.nth(k).get_attribute("data-doc") for k in range(rows.count())] == [
        SEED_IDS[short] for short in expected
    ]
    assert seeds.page.text_content("#search-count").startswith(f"{len(expected)} article")


def test_overview_lists_the_largest_stories_and_links_without_a_script(seeds):
    titles = seed_titles()
    links = seeds.page.locator("#top-links li")
    assert links.count() == int(seeds.page.text_content("#count-edges"))
    # the link carrying the most words comes first: 000's or 001's agency copy (152 words;
    # the seeds print their body twice, and a repeated text counts once)
    first = links.first.text_content()
    assert any(titles[SEED_IDS[s]] in first for s in ("000", "001")) and "152 words" in first
    story = seeds.page.locator("#top-stories tbody tr")
    assert story.count() == 1 and story.locator("td").nth(1).text_content() == "3"
    story.locator("a").click()
    seeds.page.wait_for_selector("body[data-ready='story']")
    assert seeds.page.locator("#story tr[data-doc]").count() == 3


def test_a_substituted_word_is_marked_in_both_texts(browser, tmp_path):
    from tests.test_edit_marks import EDITED, STORY

    records = [
        {"id": "wire", "text": "Wire: " + STORY + " Ends."},
        {"id": "local", "text": "Local: " + EDITED},
    ]
    corpus = tmp_path / "edited.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    page = Page(browser, write_report(corpus, tmp_path / "out"))
    try:
        page.open("pair/0")
        shown = {}
        for doc in ("wire", "local"):
            marks = page.page.locator(f".text[data-doc='{doc}'] mark.diff")
            shown[doc] = [marks.nth(k).text_content() for k in range(marks.count())]
            # a changed word is inside its passage's highlight: the mark names the passage
            assert all(marks.nth(k).get_attribute("data-passage") for k in range(marks.count()))
        assert shown == {"wire": ["fighters", "heavy"], "local": ["rebels", "urgent"]}
        # the words around them are highlighted as the passage, not as changed
        plain = page.page.locator(".text[data-doc='local'] mark:not(.diff)")
        assert any("Government forces said" in plain.nth(k).text_content() for k in range(2))
        underline = page.page.eval_on_selector(
            ".text[data-doc='local'] mark.diff", "m => getComputedStyle(m).textDecorationStyle"
        )
        assert underline == "wavy"
        page.page.screenshot(path=str(tmp_path / "edited-pair.png"), full_page=True)
        assert page.requests == [] and page.errors == []
    finally:
        page.context.close()


def test_a_copy_group_is_one_row_with_its_outlets(browser, tmp_path):
    from tests.test_report_groups import copy_corpus

    copies = 10
    fields = ("id", "text", "outlet", "date", "title")
    corpus = tmp_path / "copies.jsonl"
    corpus.write_text(
        "".join(
            json.dumps({name: getattr(r, name) for name in fields}) + "\n"
            for r in copy_corpus(copies)
        ),
        encoding="utf-8",
    )
    page = Page(browser, write_report(corpus, tmp_path / "out"))
    try:
        index = page.index()
        inside = copies * (copies - 1) // 2
        # each copy's pair with the representative, and the quoter's with the representative,
        # which stands for its pair with every copy
        assert len(index["pairs"]) == (copies - 1) + 1
        page.open("")
        assert page.page.text_content("#count-groups").startswith(f"{inside} of them inside 1")
        page.open("pairs")
        (row,) = [page.page.locator("#pairs-list tr[data-group]")]
        assert row.count() == 1
        text = row.text_content()
        assert "Wire story, copy" in text and "Outlet 00" in text and "and 4 more" in text
        # the pairs among the copies are that row, and the quoter's pairs with the copies are
        # one row: its pair with the representative, saying how many more copies it stands for
        listed = page.page.locator("#pairs-list tr[data-pair]")
        assert listed.count() == 1
        text = listed.first.text_content()
        assert "Local" in text and f"and {copies - 1} more copies of its copy group" in text
        (number,) = [int(listed.first.get_attribute("data-pair"))]
        ids = [d["id"] for d in index["docs"]]
        pair = index["pairs"][number]
        assert {ids[pair["a"]], ids[pair["b"]]} == {"quoter", ids[index["groups"][0]["rep"]]}
        row.locator("a").first.click()
        page.page.wait_for_selector("body[data-ready='group']")
        members = page.page.locator("#group tr[data-doc]")
        assert members.count() == copies
        assert page.page.text_content("#group-what").startswith(f"{copies} copies")
        assert page.page.locator("#group a", has_text="compare").count() == copies - 1
        # the story holding them shows the group as one row, and the quoter as an article
        (story,) = [k for k, s in enumerate(index["stories"]) if len(s["members"]) > copies]
        page.open(f"story/{story}")
        assert page.page.locator("#story tr[data-group]").count() == 1
        assert [
            page.page.locator("#story tr[data-doc]").nth(k).get_attribute("data-doc")
            for k in range(page.page.locator("#story tr[data-doc]").count())
        ] == ["quoter"]
        assert page.errors == [] and page.requests == []
    finally:
        page.context.close()
