"""Where the Ray driver's memory goes, stage by stage, when the workers read their own shards.

Runs ``dedup.api.scan`` of ``SHARDS`` (a folder of input shards, e.g. the one
``benchmarks/ray_driver.py`` cuts) on a local Ray instance (``RayEngine(workers=W)``) in
this process, and prints as JSON, at the start of each stage and once the result is back:
the process' resident memory split by kind (``/proc/self/status``: ``RssAnon``, the heap and
the arrays; ``RssFile``, the libraries; ``RssShmem``, the pages of Ray's object store this
process has touched) and the largest seen so far. With ``--trace``, Python's allocations
are traced too (``tracemalloc``; slower, and the trace adds to the resident memory), and
the result's largest holders are listed by source line.

    python benchmarks/ray_driver_memory.py /tmp/raydrv100k/shards8 --trace
    python benchmarks/ray_driver_memory.py /tmp/raydrv100k/shards8 --write /tmp/out
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

KINDS = ("VmRSS", "RssAnon", "RssFile", "RssShmem")


def resident_mb() -> dict[str, int]:
    """This process' resident memory by kind, in MB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in KINDS:
            found[name] = int(value.split()[0]) // 1024
    return found


class Watch:
    """The largest resident memory seen (polled every 0.1 s) and the stage it was seen in."""

    def __init__(self) -> None:
        self.stage = "start"
        self.peak: dict[str, Any] = {"VmRSS": 0}
        self.marks: list[dict[str, Any]] = []
        threading.Thread(target=self._poll, daemon=True).start()

    def _poll(self) -> None:
        while True:
            now = resident_mb()
            if now["VmRSS"] > self.peak["VmRSS"]:
                self.peak = {**now, "stage": self.stage}
            time.sleep(0.1)

    def mark(self, stage: str) -> None:
        self.stage = stage
        mark: dict[str, Any] = {"stage": stage, **resident_mb()}
        if tracemalloc.is_tracing():
            current, peak = tracemalloc.get_traced_memory()
            mark["traced_mb"] = current >> 20
            mark["traced_peak_mb"] = peak >> 20
            tracemalloc.reset_peak()
        self.marks.append(mark)

    def progress(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.mark(stage)


def largest_holders(count: int) -> list[dict[str, Any]]:
    """The source lines whose allocations, still alive, hold the most."""
    statistics = tracemalloc.take_snapshot().statistics("lineno")[:count]
    return [
        {
            "where": f"{Path(s.traceback[0].filename).name}:{s.traceback[0].lineno}",
            "mb": round(s.size / 2**20, 1),
            "objects": s.count,
        }
        for s in statistics
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shards", type=Path)
    parser.add_argument("--workers", "-j", type=int, default=2)
    parser.add_argument("--trace", action="store_true", help="trace Python's allocations")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument(
        "--write",
        type=Path,
        help="write the scan's files to this folder as dedup scan does (dedup.api.scan_streamed"
        " and dedup.writers.write_scan: the result read from its columns and files), marked"
        " 'written'",
    )
    options = parser.parse_args()

    from dedup.api import scan, scan_streamed
    from dedup.ingest import CorpusReader
    from dedup.parallel import RayEngine
    from dedup.writers import write_scan

    watch = Watch()
    report: dict[str, Any] = {"shards": str(options.shards), "workers": options.workers}
    with RayEngine(workers=options.workers) as engine, tempfile.TemporaryDirectory() as spill:
        engine.workers  # noqa: B018 - starts Ray before the first mark
        watch.mark("ray started")
        if options.trace:
            tracemalloc.start()
        started = time.perf_counter()
        reader = CorpusReader([str(options.shards)])
        if options.write is None:
            result = scan(reader, workers=engine, spill_dir=spill, progress=watch.progress)
            report["seconds"] = round(time.perf_counter() - started, 1)
            watch.mark("result")
            if options.trace:
                report["largest_holders"] = largest_holders(options.top)
        else:
            with scan_streamed(
                reader, workers=engine, spill_dir=spill, progress=watch.progress
            ) as result:
                watch.mark("result")
                if options.trace:
                    report["largest_holders"] = largest_holders(options.top)
                write_scan(result, options.write, warnings=reader.warnings)
                report["seconds"] = round(time.perf_counter() - started, 1)
                watch.mark("written")
        report["counts"] = {k: result.counts[k] for k in ("documents", "pairs", "passages")}
    report["marks"] = watch.marks
    report["peak"] = watch.peak
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
