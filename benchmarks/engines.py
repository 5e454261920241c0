"""`dedup scan` on the local engine and on Ray, stage by stage, with the outputs compared.

For each ``--docs`` size, a generated corpus (benchmarks/generate.py, seed 0) is scanned
``--runs`` times, each engine in a process of its own:

* **local -j 1** and **local -j 2**: :class:`dedup.parallel.LocalEngine` (threads);
* **ray**: :class:`dedup.parallel.RayEngine` on a Ray instance started in that process
  with ``--ray-cpus`` CPUs (2 by default), its start-up timed apart (not in the scan time).

Reported: the median wall time of the scan (records in memory → verified pairs and
passages in memory), MB/s (UTF-8 bytes of text / 1e6), the stage times of the median run,
and whether the result is the one local -j 1 gives (a SHA-256 of the pairs, passages,
documents and counts). The per-core rates of the stages are what docs/scale.md builds its
arithmetic on.

    python benchmarks/engines.py --docs 10000 100000 --runs 3
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ENGINES = ("local -j 1", "local -j 2", "ray")
STAGES = ("words", "signatures", "candidates", "align", "passages")


def digest(result) -> str:
    """SHA-256 of what a scan found (not its timings)."""
    h = hashlib.sha256()
    for item in (*result.pairs, *result.passages, *result.documents):
        h.update(repr(item).encode())
    h.update(json.dumps(result.counts, sort_keys=True).encode())
    h.update(result.signatures.tobytes())
    return h.hexdigest()


def child(engine_name: str, n_docs: int, runs: int, ray_cpus: int) -> dict:
    """One engine's runs, in this (fresh) process; printed as JSON for the parent."""
    import resource

    from generate import generate

    from dedup.config import Config
    from dedup.parallel import LocalEngine, RayEngine
    from dedup.pipeline import scan
    from dedup.types import Record

    rows, _ = generate(n_docs, seed=0)
    records = [Record(r["id"], r["text"]) for r in rows]
    del rows
    megabytes = sum(len(r.text.encode("utf-8")) for r in records) / 1e6
    startup = 0.0
    if engine_name == "ray":
        started = time.perf_counter()
        engine = RayEngine(workers=ray_cpus)
        workers = engine.workers  # starts the instance
        startup = time.perf_counter() - started
    else:
        engine = LocalEngine(int(engine_name.rsplit(" ", 1)[1]))
        workers = engine.workers
    seconds, stages, found = [], [], ""
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        result = scan(records, Config(), workers=engine)
        seconds.append(time.perf_counter() - started)
        stages.append(dict(result.seconds))
        found = digest(result)
        del result
    median_run = sorted(range(runs), key=lambda k: seconds[k])[(runs - 1) // 2]
    if engine_name == "ray":
        engine.close()
    return {
        "engine": engine_name,
        "workers": workers,
        "docs": n_docs,
        "megabytes": megabytes,
        "seconds": seconds,
        "stages": stages[median_run],
        "startup": startup,
        "digest": found,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ray-cpus", type=int, default=2)
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.docs[0], args.runs, args.ray_cpus)))
        return

    from scan_speed import provenance

    print(provenance(sys.argv[1:], Path(__file__).name))
    print()
    print("| docs | MB | engine | workers | median s | MB/s | ÷ local -j 1 | peak RSS MB |", end="")
    print(" " + " | ".join(f"{s} s" for s in STAGES) + " | same result |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|" + "---:|" * len(STAGES) + "---|")
    startups = []
    for n_docs in args.docs:
        base = None
        for engine in args.engines:
            command = [sys.executable, __file__, "--child", engine, "--docs", str(n_docs)]
            command += ["--runs", str(args.runs), "--ray-cpus", str(args.ray_cpus)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"| {n_docs:,} | | {engine} | failed: {done.stderr.strip()[-200:]} |")
                continue
            row = json.loads(done.stdout.strip().splitlines()[-1])
            median = statistics.median(row["seconds"])
            base = base or (median, row["digest"])
            same = "yes" if row["digest"] == base[1] else "NO"
            stages = " | ".join(f"{row['stages'].get(s, 0):.2f}" for s in STAGES)
            print(
                f"| {n_docs:,} | {row['megabytes']:.1f} | {engine} | {row['workers']} "
                f"| {median:.2f} | {row['megabytes'] / median:.2f} | {median / base[0]:.2f} "
                f"| {row['peak_rss_mb']:,.0f} | {stages} | {same} |",
                flush=True,
            )
            if engine == "ray":
                startups.append(row["startup"])
    if startups:
        print()
        print("Ray start-up (ray.init of a local instance, not in the times above): ", end="")
        print(", ".join(f"{s:.1f} s" for s in startups))
    print("peak RSS is the driver process' (Ray's workers and object store are not in it)")


if __name__ == "__main__":
    main()
