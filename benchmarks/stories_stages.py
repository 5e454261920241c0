"""Where the spilled ``dedup stories`` job spends its time and memory: each stage's wall
seconds and CPU seconds (this process's and its finished worker processes', the TF-IDF
vectors' with ``-j`` > 1), the RSS before and after it, and the peak RSS so far (sampled
every 0.2 s), in one process, on a corpus file (e.g. ``benchmarks/generate.py``'s ``corpus.jsonl``).

The stages are the functions that ``dedup.stories_spilled`` and ``dedup.clustering`` call,
timed by wrapping them (the work they do is unchanged):

    python benchmarks/stories_stages.py --corpus /tmp/gen30k/corpus.jsonl -j 2

``clean_spilled`` is a context manager: its line is only its start; its work is inside the
time before ``scan_spilled`` ends.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dedup.clustering as clustering
import dedup.stories_spilled as stories_spilled
from dedup.config import Config
from dedup.ingest import CorpusReader

CLUSTERING_STAGES = (
    "strip_templates", "first_sent", "stop_word_options", "tfidf_vectors", "neighbour_graph",
    "weighted_graph", "split_communities", "place_by_centroids", "find_events", "_stories",
)  # fmt: skip
JOB_STAGES = ("clean_spilled", "scan_spilled")


def cpu_seconds() -> float:
    """User + system seconds of this process and of its children that have ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def rss_mb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return 0


class Watch:
    """The peak RSS so far, sampled on a thread, and a line per stage."""

    def __init__(self) -> None:
        self.peak = rss_mb()
        self.start = time.perf_counter()
        self.totals: dict[str, float] = {}
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.2)

    def wrap(self, module: Any, name: str) -> None:
        function: Callable[..., Any] = getattr(module, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            clock, cpu, before = time.perf_counter(), cpu_seconds(), rss_mb()
            out = function(*args, **kwargs)
            seconds = time.perf_counter() - clock
            self.totals[name] = self.totals.get(name, 0.0) + seconds
            print(
                f"{time.perf_counter() - self.start:8.1f} s  {name:20s} {seconds:7.1f} s  "
                f"{cpu_seconds() - cpu:7.1f} CPU s  "
                f"RSS {before:,} → {rss_mb():,} MB, peak so far {self.peak:,} MB",
                flush=True,
            )
            return out

        setattr(module, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="a corpus file or folder")
    parser.add_argument("-j", "--workers", type=int, default=2)
    options = parser.parse_args()
    watch = Watch()
    for name in CLUSTERING_STAGES:
        watch.wrap(clustering, name)
    for name in JOB_STAGES:
        watch.wrap(stories_spilled, name)
    result = stories_spilled.stories_spilled(
        CorpusReader([str(options.corpus)]), Config(), workers=options.workers
    )
    seconds = time.perf_counter() - watch.start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"whole job: {seconds:.1f} s, {cpu_seconds():.1f} CPU s, load average "
        f"{os.getloadavg()[0]:.1f} at the end, peak RSS {peak:,.0f} MB, {result.counts}"
    )
    for name, total in sorted(watch.totals.items(), key=lambda item: -item[1])[:5]:
        print(f"  {name}: {total:.1f} s in all")


if __name__ == "__main__":
    main()
