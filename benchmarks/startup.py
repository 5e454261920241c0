"""Start-up: ``dedup --help``, ``dedup --version`` and a scan of the shipped ``corpus/``
(five short articles), each a process of its own, timed from its start to its exit.

Each command runs once untimed (so numba's cache, ``__pycache__`` and the file cache are
warm, as on any run after the first; ``PYTHONDONTWRITEBYTECODE`` is unset for the children),
then ``--runs`` times; the table gives the median wall time and the median CPU time (user +
system), which other processes on a shared machine sway less. With ``--baseline FOLDER`` the
same commands run from another checkout of dedup too (e.g. a worktree of the main branch),
in turn with this one.

    python benchmarks/startup.py --runs 5 [--baseline ../main]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "dedup --help": ["--help"],
    "dedup --version": ["--version"],
    "dedup scan corpus/ -o OUT": ["scan", str(ROOT / "corpus"), "-o", "{out}", "-q"],
}


def run_once(checkout: Path, args: list[str], out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of ``python -m dedup ARGS`` with ``checkout``'s dedup."""
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    # as a user's Python runs: modules compiled once to __pycache__, not on every start
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    argv = [sys.executable, "-m", "dedup", *(a.format(out=out) for a in args)]
    start = time.perf_counter()
    # run from the checkout: ``python -m`` puts the working folder first on the path
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, cwd=checkout)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed in {checkout}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another checkout of dedup")
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from scan_speed import provenance

    print(provenance(sys.argv[1:], Path(__file__).name))
    print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    checkouts = {"this checkout": ROOT}
    if args.baseline:
        checkouts["baseline"] = args.baseline.resolve()
    print("| command | checkout | wall s (median) | CPU s (median) |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out"
        for label, command in COMMANDS.items():
            times: dict[str, list[tuple[float, float]]] = {name: [] for name in checkouts}
            for checkout in checkouts.values():
                run_once(checkout, command, out)  # untimed: caches warm
            for _ in range(args.runs):
                for name, checkout in checkouts.items():
                    times[name].append(run_once(checkout, command, out))
            for name, runs in times.items():
                wall = statistics.median(w for w, _ in runs)
                cpu = statistics.median(c for _, c in runs)
                print(f"| `{label}` | {name} | {wall:.2f} | {cpu:.2f} |")
    print(f"\nload average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
