"""Where a whole `dedup scan` process spends its time, and on which thread: each stage's wall
time, the CPU time of the process (every thread) and that of the main thread alone.

The command runs in this process (``dedup.cli.main``) with the stages of a spilled scan (and
the writing of the outputs) wrapped in timers; the imports before it are timed apart. CPU
time of the main thread that is not beside the workers' is what a second core cannot share:
on a machine shared with other work, wall times say little, but the main thread's share of
the CPU time holds. A stage not run (an in-memory scan's, say) is left out.

    python benchmarks/scan_threads.py GEN/corpus.jsonl -j 2

``--cores`` measures the machine instead: the CPU time of the same work (numpy sorts, which
release the GIL) on one thread alone and on two threads at once. Two virtual CPUs that are
the two hardware threads of one physical core show it as more CPU seconds per sort with two
threads (each runs slower beside the other), which bounds what ``-j 2`` can gain over
``-j 1`` whatever the code does; two real cores show the same CPU seconds. Run it on a quiet
machine: other work on the machine gives the same sign.

    python benchmarks/scan_threads.py --cores

``--numba-start`` measures what numba costs a process before its first kernel has run, in
fresh processes (medians of ``--rounds``): importing numba, then calling one kernel (loaded
from numba's cache: numba readies its compiler and loads its array functions), with
numba's check for scipy's BLAS and without it (:func:`dedup.kernels.skip_blas_check`, as
the scan command asks), and whether ``scipy.linalg`` was loaded.

    python benchmarks/scan_threads.py --numba-start --rounds 5
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: (module, function) of each timed stage, in the order they run
STAGES = (
    ("dedup.spilled", "_spill_records"),  # (main's names before the words ran as read)
    ("dedup.spilled", "_spilled_words_stage"),
    ("dedup.spilled", "words_as_read"),
    ("dedup.spilled", "spill_records"),
    ("dedup.spilled", "words_by_batch"),
    ("dedup.spilled", "_spilled_copy_groups"),
    ("dedup.spilled", "candidate_pairs"),
    ("dedup.spilled", "_spilled_candidates"),
    ("dedup.spilled", "verify_candidates"),
    ("dedup.writers", "write_scan"),
)

Row = tuple[str, float, float, float]


def timed(name: str, function: Callable[..., Any], rows: list[Row]) -> Callable[..., Any]:
    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        wall, cpu, main = time.perf_counter(), time.process_time(), time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            rows.append(
                (
                    name,
                    time.perf_counter() - wall,
                    time.process_time() - cpu,
                    time.thread_time() - main,
                )
            )

    return run


SORTS = 40  # sorts of 2 million floats per thread and round


def core_check(rounds: int = 3) -> None:
    """Print the CPU seconds per sort on one thread alone and on two at once (medians)."""
    import threading

    import numpy as np

    data = np.random.default_rng(0).random(2_000_000)

    def sorts(out: list[float]) -> None:
        start = time.thread_time()
        for _ in range(SORTS):
            np.sort(data)
        out.append((time.thread_time() - start) / SORTS)

    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("| threads | wall s per round | CPU ms per sort (median) |")
    print("|---|---|---|")
    for threads in (1, 2):
        walls, per_sort = [], []
        for _ in range(rounds):
            found: list[float] = []
            workers = [threading.Thread(target=sorts, args=(found,)) for _ in range(threads)]
            start = time.perf_counter()
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            walls.append(time.perf_counter() - start)
            per_sort += found
        print(
            f"| {threads} | {sorted(walls)[len(walls) // 2]:.2f} | "
            f"{1000 * sorted(per_sort)[len(per_sort) // 2]:.2f} |"
        )


# run in a fresh process: CPU seconds of importing numba and of the first kernel's call
NUMBA_START = """
import sys, time
import numpy as np
from dedup import kernels, shingle
if sys.argv[1] == "skip":
    kernels.skip_blas_check()
start = time.process_time()
import numba
imported = time.process_time()
shingle.mix64(np.arange(8, dtype=np.uint64))
print(imported - start, time.process_time() - imported, "scipy.linalg" in sys.modules)
"""


def numba_start(rounds: int) -> None:
    """Print the CPU seconds numba costs before its first kernel, with and without the
    BLAS check (medians of ``rounds`` fresh processes)."""
    import statistics
    import subprocess

    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": root}
    command = [sys.executable, "-c", NUMBA_START]
    subprocess.run([*command, "check"], env=env, check=True, capture_output=True)  # cache
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("| BLAS check | import numba: CPU s | first kernel: CPU s | scipy.linalg loaded |")
    print("|---|---|---|---|")
    for mode in ("check", "skip"):
        found = []
        for _ in range(rounds):
            done = subprocess.run(
                [*command, mode], env=env, check=True, capture_output=True, text=True
            )
            found.append(done.stdout.split())
        imports = statistics.median(float(f[0]) for f in found)
        first = statistics.median(float(f[1]) for f in found)
        check = "yes" if mode == "check" else "no"
        print(f"| {check} | {imports:.3f} | {first:.3f} | {found[0][2]} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", help="a JSONL file (or any input dedup scan reads)")
    parser.add_argument("-j", "--workers", default="2")
    parser.add_argument("--cores", action="store_true", help="measure the machine's cores")
    parser.add_argument("--numba-start", action="store_true", help="numba's start, BLAS check")
    parser.add_argument("--rounds", type=int, default=5, help="fresh processes, --numba-start")
    options = parser.parse_args()
    if options.cores:
        core_check()
        return
    if options.numba_start:
        numba_start(options.rounds)
        return
    if options.corpus is None:
        parser.error("a corpus is needed (or --cores)")
    rows: list[Row] = []
    wall, cpu = time.perf_counter(), time.process_time()
    from dedup.cli import main as run_cli

    for module_name, attribute in STAGES:
        module = importlib.import_module(module_name)
        function = getattr(module, attribute, None)
        if function is not None:
            setattr(module, attribute, timed(attribute, function, rows))
    importlib.import_module("dedup.api")  # the rest of what a scan imports, timed here

    spent = time.process_time() - cpu  # only the main thread runs before the scan
    rows.append(("imports", time.perf_counter() - wall, spent, spent))
    with tempfile.TemporaryDirectory() as out:
        args = ["scan", options.corpus, "-o", str(Path(out) / "out"), "-q", "-j", options.workers]
        try:
            run_cli(args)
        except SystemExit as done:
            if done.code:
                raise
    total = ("whole process", time.perf_counter() - wall, time.process_time() - cpu, 0.0)
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("| stage | wall s | CPU s | main thread CPU s | CPU ÷ wall |")
    print("|---|---|---|---|---|")
    order = {name: k for k, (_, name) in enumerate(STAGES)}
    for name, w, c, m in sorted(rows, key=lambda r: order.get(r[0], -1)):
        print(f"| {name} | {w:.2f} | {c:.2f} | {m:.2f} | {c / max(w, 1e-9):.2f} |")
    name, w, c, _ = total
    print(f"| {name} | {w:.2f} | {c:.2f} | – | {c / max(w, 1e-9):.2f} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
