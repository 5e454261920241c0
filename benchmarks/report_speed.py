"""How fast ``dedup report``'s page answers on a large corpus, in headless Chromium.

Generates a corpus with ``generate.py`` (100,000 articles by default), runs the report's
stages (scan, stories, chains), renders and writes the page, then opens it from disk in
headless Chromium (Debian's ``/usr/bin/chromium`` through playwright; every network request
refused) ``--runs`` times, each in a fresh browser context, and prints the medians of:

* first paint and first contentful paint (``performance.getEntriesByType("paint")``),
* ready: the page's script has parsed the index and drawn the first view (the page's
  ``dedup-ready`` performance mark), DOMContentLoaded and load;
* opening a pair: from the hash change until the pair view is drawn (its packs inflated:
  ``body[data-ready='pair']``) and the next frame has run, for the pair with the most reused
  words and ``--pairs`` pairs spread evenly over the list (median and slowest of them);
* opening the largest story, and a search for an outlet name (all its articles match).

The stages take very long at 100,000 articles on a shared 2-core machine; ``--stages
FILE`` keeps their result in FILE (a pickle this script writes; it is read back only when the
same ``--docs`` and ``--seed`` made it), so the page can be measured again after a change to
the report alone. ``--tiles N`` repeats the stages' result N times under new ids
(``report_tiles.py``), so that a page of 100,000 articles is built from the real result over
5,000 in minutes:

    python benchmarks/report_speed.py --docs 5000 --tiles 20 --runs 3 --stages FILE

    python benchmarks/report_speed.py --docs 100000 --runs 3
"""

from __future__ import annotations

import argparse
import pickle
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generate import generate
from report_size import CHROMIUM, LAUNCH_ARGS, offline_page, top_pair
from report_tiles import tile
from scan_speed import provenance

from dedup.config import Config
from dedup.html import render_report, write_report
from dedup.pipeline import report
from dedup.report_pages import unpack_index
from dedup.types import Record

TIMINGS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const paint = Object.fromEntries(
    performance.getEntriesByType("paint").map(p => [p.name, p.startTime]));
  const ready = performance.getEntriesByName("dedup-ready")[0];
  return {first_paint: paint["first-paint"],
          first_contentful_paint: paint["first-contentful-paint"],
          ready: ready ? ready.startTime : NaN,
          dom_content_loaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd};
}"""
# The page routes on hashchange: it removes body[data-ready], inflates the packs the view
# needs, draws it and sets data-ready to the view's name. This waits for that, then for the
# next frame, so the time covers inflating, drawing the view and laying it out.
OPEN_VIEW = """hash => new Promise(resolve => {
  const start = performance.now();
  const view = hash.split("/")[0];
  const drawn = () => {
    if (document.body.getAttribute("data-ready") !== view) return false;
    requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - start), 0));
    return true;
  };
  window.addEventListener("hashchange", () => {
    if (drawn()) return;
    const watch = new MutationObserver(() => { if (drawn()) watch.disconnect(); });
    watch.observe(document.body, {attributes: true, attributeFilter: ["data-ready"]});
  }, {once: true});
  location.hash = hash;
})"""
FIGURES = (
    ("first_paint", "first paint"),
    ("first_contentful_paint", "first contentful paint"),
    ("ready", "page ready (index parsed, first view drawn)"),
    ("dom_content_loaded", "DOMContentLoaded"),
    ("load", "load"),
    ("open_top_pair", "opening the pair with the most reused words"),
    ("open_pair_median", "opening a pair: median of the sample"),
    ("open_pair_slowest", "opening a pair: slowest of the sample"),
    ("open_largest_story", "opening the largest story"),
    ("search_outlet", "searching for an outlet"),
)


def pair_sample(index: dict[str, Any], count: int) -> tuple[int, list[int]]:
    """The pair with the most reused words, and ``count`` pair numbers spread evenly."""
    pairs = index["pairs"]
    top = top_pair(index)
    step = max(1, len(pairs) // count)
    return top, list(range(0, len(pairs), step))[:count]


def measure_page(path: Path, runs: int, pairs: int, outlet: str) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    url = path.resolve().as_uri()
    index = unpack_index(path.read_text(encoding="utf-8"))
    samples: dict[str, list[float]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        for _ in range(runs):
            page = offline_page(browser, url)
            page.goto(url, wait_until="load", timeout=600_000)
            page.wait_for_selector("body[data-ready='overview']", timeout=600_000)
            for name, value in page.evaluate(TIMINGS).items():
                samples.setdefault(name, []).append(value)
            top, sample = pair_sample(index, pairs)
            samples.setdefault("open_top_pair", []).append(page.evaluate(OPEN_VIEW, f"pair/{top}"))
            opened = [page.evaluate(OPEN_VIEW, f"pair/{k}") for k in sample if k != top]
            samples.setdefault("open_pair_median", []).append(statistics.median(opened))
            samples.setdefault("open_pair_slowest", []).append(max(opened))
            samples.setdefault("open_largest_story", []).append(page.evaluate(OPEN_VIEW, "story/0"))
            samples.setdefault("search_outlet", []).append(
                page.evaluate(OPEN_VIEW, f"search/{outlet}")
            )
            page.context.close()
        browser.close()
    return {name: statistics.median(values) for name, values in samples.items()}


def stages(docs: int, seed: int, cache: Path | None) -> Any:
    """The report's stages over the generated corpus, from ``cache`` when it holds them for
    the same ``docs`` and ``seed`` (then the corpus is not generated again)."""
    if cache and cache.exists():
        with open(cache, "rb") as handle:
            key, found = pickle.load(handle)
        if key == (docs, seed):
            print(f"stages read from {cache}")
            return found
    rows = generate(docs, seed)[0]
    records = [
        Record(id=r["id"], text=r["text"], outlet=r.get("outlet"), date=r.get("date")) for r in rows
    ]
    clock = time.perf_counter()
    found = report(records, Config())
    print(f"scan + stories + chains: {time.perf_counter() - clock:.1f} s")
    if cache:
        with open(cache, "wb") as handle:
            pickle.dump(((docs, seed), found), handle, protocol=pickle.HIGHEST_PROTOCOL)
    return found


def block_megabytes(page: str) -> dict[str, float]:
    """Megabytes of the page's data blocks by kind: the index parsed at once (``report``),
    and the compressed packs of article texts (``text``), pair details (``pair``) and story
    details (``story``), as they sit in the page (base64)."""
    sizes: dict[str, float] = {}
    for match in re.finditer(
        r'<script type="application/(?:json|x-dedup-pack)" id="([a-z]+)-[^"]*">(.*?)</script>',
        page,
        re.S,
    ):
        sizes[match[1]] = sizes.get(match[1], 0.0) + len(match[2].encode("utf-8")) / 1e6
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=20, help="pairs opened per run")
    parser.add_argument("--stages", type=Path, help="keep the stages' result in this file")
    parser.add_argument(
        "--tiles",
        type=int,
        default=1,
        help="repeat the stages' result over --docs articles this many times under new ids "
        "(report_tiles.py): --docs 5000 --tiles 20 measures a page of 100,000 articles",
    )
    parser.add_argument("-o", "--out", type=Path, help="folder for report.html [a temp dir]")
    args = parser.parse_args()
    print(provenance(sys.argv[1:], Path(__file__).name))

    found = stages(args.docs, args.seed, args.stages)
    if args.tiles > 1:
        clock = time.perf_counter()
        found = tile(found, args.tiles)
        print(f"{args.tiles} tiles of {args.docs:,} articles: {time.perf_counter() - clock:.1f} s")
    records = found.records
    clock = time.perf_counter()
    page = render_report(found.records, found.scan, found.stories, found.chains)
    rendering = time.perf_counter() - clock
    out = args.out or Path(tempfile.mkdtemp(prefix="dedup-report-"))
    written = write_report(page, out)
    blocks = block_megabytes(page)
    del page
    print(
        f"\ncorpus: {len(records):,} articles; {found.scan.counts['pairs']:,} linked pairs, "
        f"{len(found.stories.stories):,} stories, {len(found.chains.edges):,} chain edges"
    )
    print(
        f"rendering the page: {rendering:.1f} s; report.html: {written['report.html'] / 1e6:.1f} MB"
    )
    print(
        "of it, the index and the packs (MB): "
        + ", ".join(f"{k} {v:.1f}" for k, v in sorted(blocks.items()))
    )
    outlet = records[0].outlet or ""
    timings = measure_page(out / "report.html", args.runs, args.pairs, outlet)
    print(f"\nheadless Chromium, median of {args.runs} loads from disk in fresh contexts (ms):\n")
    print("| figure | ms |\n|---|---|")
    for key, label in FIGURES:
        print(f"| {label} | {timings[key]:,.0f} |")


if __name__ == "__main__":
    main()
