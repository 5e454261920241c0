"""The screenshots of the seeds' report in the docs, taken in headless Chromium.

Builds the report of the shipped corpus (``corpus/``) as ``dedup report corpus/`` does, opens
it from disk in headless Chromium (Debian's ``/usr/bin/chromium`` through playwright; every
network request refused) at 1400 × 1000 pixels and writes:

* ``docs/report-seeds.png``: the overview, the whole page;
* ``docs/report-seeds-chain.png``: the largest story, with its chain graph, the sentence
  under it for each edge, and its pairs;
* ``docs/report-seeds-pair.png``: the pair 000 ↔ 001, with its chain verdict and the two
  texts side by side.

    python benchmarks/screenshots.py [--out docs/]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from report_size import CHROMIUM, LAUNCH_ARGS, offline_page

from dedup.html import render_report, write_report
from dedup.ingest import read_corpus
from dedup.pipeline import report
from dedup.report_pages import unpack_index

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
PAIR = ("000_5d2d231cf070430d", "001_7d8e7eb2e866b5d7")


def build(out: Path) -> Path:
    """The seeds' report, written into ``out``; returns the page's path."""
    records = list(read_corpus([str(CORPUS)]).records)
    found = report(records)
    write_report(render_report(found.records, found.scan, found.stories, found.chains), out)
    return out / "report.html"


def shoot(page_path: Path, docs: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    url = page_path.resolve().as_uri()
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page = offline_page(browser, url)
        page.goto(url)
        page.wait_for_selector("body[data-ready='overview']")
        written.append(docs / "report-seeds.png")
        page.screenshot(path=str(written[-1]), full_page=True)

        page.evaluate("() => { location.hash = 'story/0'; }")
        page.wait_for_selector("body[data-ready='story'] #story svg.chain-graph")
        written.append(docs / "report-seeds-chain.png")
        page.screenshot(path=str(written[-1]), full_page=True)

        index = unpack_index(page_path.read_text(encoding="utf-8"))
        ids = [doc["id"] for doc in index["docs"]]
        pairs = [(ids[p["a"]], ids[p["b"]]) for p in index["pairs"]]
        pair = pairs.index(PAIR) if PAIR in pairs else -1
        if pair < 0:
            raise SystemExit(f"no pair {PAIR[0]} ↔ {PAIR[1]} in the seeds' report")
        page.evaluate("k => { location.hash = 'pair/' + k; }", pair)
        page.wait_for_selector("body[data-ready='pair'] #pair section.verdict")
        written.append(docs / "report-seeds-pair.png")
        page.screenshot(path=str(written[-1]))
        page.context.close()
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dedup-screens-") as scratch:
        for path in shoot(build(Path(scratch) / "report"), args.out):
            print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
