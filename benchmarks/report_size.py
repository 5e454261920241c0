"""Size of ``dedup report``'s page on a generated corpus, and how fast Chromium opens it.

Generates a corpus with ``generate.py`` (10,000 articles by default), runs the report's
stages (scan, stories, chains) and renders the page, then opens it from disk in headless
Chromium (Debian's ``/usr/bin/chromium`` through playwright; every network request refused)
``--runs`` times, each in a fresh browser context, and prints the medians of:

* first paint and first contentful paint (``performance.getEntriesByType("paint")``),
* DOMContentLoaded and load (navigation timing, from the start of navigation),
* opening the pair view of the pair with the most reused words (hash change until drawn).

    python benchmarks/report_size.py --docs 10000 --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generate import generate, load
from scan_speed import provenance

from dedup.config import Config
from dedup.html import render_report, write_report
from dedup.pipeline import report
from dedup.report_pages import unpack_index
from dedup.types import Record

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMINGS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const paint = Object.fromEntries(
    performance.getEntriesByType("paint").map(p => [p.name, p.startTime]));
  return {first_paint: paint["first-paint"],
          first_contentful_paint: paint["first-contentful-paint"],
          dom_content_loaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd};
}"""


def offline_page(browser: Any, url: str) -> Any:
    """A new page of ``browser`` (1400 × 1000) that may load ``url`` and nothing else: the
    report must work from disk with no network."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.split("#")[0] == url else route.abort()
        ),
    )
    return context.new_page()


def top_pair(index: dict[str, Any]) -> int:
    """The number of the pair with the most reused words (the first of equals)."""
    words = [max(p["reused_a"], p["reused_b"]) for p in index["pairs"]]
    return words.index(max(words))


def measure_page(path: Path, runs: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    url = path.resolve().as_uri()
    samples: dict[str, list[float]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        for _ in range(runs):
            page = offline_page(browser, url)
            page.goto(url, wait_until="load")
            page.wait_for_selector("body[data-ready='overview']")
            for name, value in page.evaluate(TIMINGS).items():
                samples.setdefault(name, []).append(value)
            top = top_pair(unpack_index(path.read_text(encoding="utf-8")))
            clock = time.perf_counter()
            page.evaluate("k => { location.hash = 'pair/' + k; }", top)
            page.wait_for_selector("body[data-ready='pair'] #pair .text mark")
            samples.setdefault("open_top_pair", []).append(1000 * (time.perf_counter() - clock))
            page.context.close()
        browser.close()
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--corpus", type=Path, help="a folder written by generate.py")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("-o", "--out", type=Path, help="folder for report.html [a temp dir]")
    args = parser.parse_args()
    print(provenance(sys.argv[1:], Path(__file__).name))

    rows = load(args.corpus)[0] if args.corpus else generate(args.docs, args.seed)[0]
    records = [
        Record(id=r["id"], text=r["text"], outlet=r.get("outlet"), date=r.get("date")) for r in rows
    ]
    megabytes = sum(len(r.text.encode("utf-8")) for r in records) / 1e6
    clock = time.perf_counter()
    found = report(records, Config())
    stages = time.perf_counter() - clock
    clock = time.perf_counter()
    page = render_report(found.records, found.scan, found.stories, found.chains)
    rendering = time.perf_counter() - clock
    out = args.out or Path(tempfile.mkdtemp(prefix="dedup-report-"))
    written = write_report(page, out)
    texts = page.count('<script type="application/json" id="text-')
    print(
        f"\ncorpus: {len(records):,} articles, {megabytes:.1f} MB of text; "
        f"{found.scan.counts['pairs']:,} linked pairs, {len(found.stories.stories):,} stories, "
        f"{len(found.chains.edges):,} chain edges; {texts:,} article texts embedded"
    )
    print(f"scan + stories + chains: {stages:.1f} s; rendering the page: {rendering:.2f} s")
    print(f"report.html: {written['report.html'] / 1e6:.1f} MB ({out / 'report.html'})")
    timings = measure_page(out / "report.html", args.runs)
    print(f"\nheadless Chromium, median of {args.runs} loads from disk (ms):\n")
    print("| first paint | first contentful paint | DOMContentLoaded | load | open top pair |")
    print("|---|---|---|---|---|")
    print(
        "| "
        + " | ".join(
            f"{timings[k]:,.0f}"
            for k in (
                "first_paint",
                "first_contentful_paint",
                "dom_content_loaded",
                "load",
                "open_top_pair",
            )
        )
        + " |"
    )


if __name__ == "__main__":
    main()
