"""Wall time and peak memory of every job at scale: ``dedup scan``, ``dedup clean
--drop-duplicates``, ``dedup stories`` and ``dedup chains``, each run as a whole process
from the corpus file (reading, computing and writing its outputs), on a generated corpus.

The corpus is ``benchmarks/generate.py --docs N --seed 0`` (made in ``--work`` unless it is
there already). Each job is ``python -m dedup JOB CORPUS -o OUT -q`` (with ``-j`` where the
command takes it), run one after the other, never two at once. Peak memory is the child's
own ``ru_maxrss`` from ``os.wait4`` (this parent stays small and the child is started by
``posix_spawn``, so no peak is carried over). Beside the wall time: the child's CPU seconds
(user + system) and the mean 1-minute load average while it ran, since the machine may be
shared and the wall time then says little. A job still running after ``--timeout``
seconds, or whose peak passes ``--max-mb``, is stopped and shown as such, with its peak so
far (``VmHWM``). Before any is timed, each job runs once untimed on 200 articles, so that
numba's cache of compiled kernels is filled (a fresh checkout's first run compiles them, for
minutes under load).

``--baseline ROOT`` runs the same jobs a second time with ``PYTHONPATH=ROOT`` (a checkout of
another revision), so one run gives before and after:

    git worktree add /tmp/base-main main
    python benchmarks/jobs_scale.py --docs 100000 --work /tmp/jobs100k --jobs clean \\
        --baseline /tmp/base-main
    python benchmarks/jobs_scale.py --docs 100000 --work /tmp/jobs100k --timeout 900
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
JOBS = ("scan", "clean", "stories", "chains")
WARMUP_DOCS = 200
WORKERS = {"scan", "clean", "stories", "chains"}  # the commands run with -j


@dataclass(frozen=True)
class Measured:
    label: str
    job: str
    seconds: float
    peak_mb: float
    status: str  # "ok", "stopped" or "exit N"
    cpu_seconds: float = 0.0  # the child's user + system time
    load: float = 0.0  # the machine's mean 1-minute load average while it ran


def job_args(job: str, corpus: Path, out: Path, workers: int) -> list[str]:
    args = [job, str(corpus), "-o", str(out), "-q"]
    if job == "clean":
        args.append("--drop-duplicates")
    if job in WORKERS:
        args += ["-j", str(workers)]
    return args


def _hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_kb: int
    status: str
    cpu_seconds: float
    load: float


def _cpu_seconds(pid: int) -> float:
    """User + system seconds of a running process so far (0 when unknown)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def run_job(
    python: str, root: Path, args: list[str], timeout: float, max_mb: float | None = None
) -> Run:
    """Run ``python -m dedup ARGS`` with ``root`` first on the path: seconds, peak RSS in kB,
    status, CPU seconds and the mean load average while it ran. A job still running after
    ``timeout`` seconds, or whose peak passes ``max_mb``, is stopped."""
    env = dict(os.environ, PYTHONPATH=str(root))
    start = time.perf_counter()
    child = subprocess.Popen(
        [python, "-m", "dedup", *args],
        env=env,
        cwd=root,  # ``-m`` puts the working folder first on the path, before PYTHONPATH
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        close_fds=True,
    )
    peak, loads, cpu = 0, [os.getloadavg()[0]], 0.0
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            seconds = time.perf_counter() - start
            child.returncode = os.waitstatus_to_exitcode(status)
            code = child.returncode
            error = child.stderr.read().decode(errors="replace") if child.stderr else ""
            if code:
                print(f"dedup {' '.join(args)}: exit {code}\n{error[-2000:]}", file=sys.stderr)
            return Run(
                seconds, max(peak, usage.ru_maxrss), "ok" if code == 0 else f"exit {code}",
                usage.ru_utime + usage.ru_stime, sum(loads) / len(loads),
            )  # fmt: skip
        peak = max(peak, _hwm_kb(child.pid))
        cpu = max(cpu, _cpu_seconds(child.pid))
        if len(loads) < (time.perf_counter() - start) / 5:
            loads.append(os.getloadavg()[0])
        over = max_mb is not None and peak > max_mb * 1024
        if over or time.perf_counter() - start > timeout:
            child.send_signal(signal.SIGTERM)
            child.wait()
            seconds = time.perf_counter() - start
            status = f"stopped over {max_mb:,.0f} MB" if over else "stopped"
            return Run(seconds, peak, status, cpu, sum(loads) / len(loads))
        time.sleep(0.2)


def ensure_corpus(docs: int, work: Path) -> Path:
    folder = work / f"gen{docs}"
    corpus = folder / "corpus.jsonl"
    if not corpus.exists():
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), "--docs", str(docs), "--seed", "0",
             "-o", str(folder)],
            check=True,
        )  # fmt: skip
    return corpus


def provenance(trees: list[tuple[str, Path]]) -> str:
    """The command, date, commit of each tree, machine and load (the machine may be shared)."""
    lines = [
        "command: python " + " ".join(sys.argv),
        "date: " + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"load average {os.getloadavg()[0]:.1f}",
    ]
    for label, root in trees:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
        lines.append(f"{label}: {root.name} at {done.stdout.strip() or 'unknown commit'}")
    return "\n".join(lines)


def table(rows: list[Measured], corpus: Path, docs: int, workers: int) -> str:
    size = corpus.stat().st_size / 1e6
    lines = [
        f"{docs:,} generated articles ({size:,.0f} MB of JSON lines), -j {workers} where taken; "
        f"{os.cpu_count()} cores, {platform.machine()}",
        "",
        "| run | command | s | CPU s | load | peak RSS MB | status |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        command = " ".join(["dedup", row.job, *(["--drop-duplicates"] * (row.job == "clean"))])
        if row.job in WORKERS:
            command += f" -j {workers}"
        figures = (
            f"{row.seconds:,.1f} | {row.cpu_seconds:,.1f} | {row.load:.1f} | "
            f"{row.peak_mb:,.0f} | {row.status}"
        )
        lines.append(f"| {row.label} | `{command}` | {figures} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000, help="generated articles")
    parser.add_argument("--work", type=Path, required=True, help="folder for corpus and outputs")
    parser.add_argument(
        "--jobs", default=",".join(JOBS), help="comma-separated, of " + ", ".join(JOBS)
    )
    parser.add_argument("-j", "--workers", type=int, default=2)
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds before a job is stopped"
    )
    parser.add_argument(
        "--max-mb",
        type=float,
        help="stop a job whose peak RSS passes this many MB (on a shared machine, before the "
        "kernel's out-of-memory killer picks a process)",
    )
    parser.add_argument("--baseline", type=Path, help="a checkout to run the same jobs with, first")
    parser.add_argument("--tree", type=Path, help="a checkout to run instead of this one")
    parser.add_argument("--python", default=sys.executable, help="the Python that runs dedup")
    options = parser.parse_args()
    jobs = [job for job in options.jobs.split(",") if job]
    unknown = sorted(set(jobs) - set(JOBS))
    if unknown:
        parser.error(f"--jobs: unknown {', '.join(unknown)}")
    options.work = options.work.resolve()  # the jobs run in the tree's folder
    options.work.mkdir(parents=True, exist_ok=True)
    corpus = ensure_corpus(options.docs, options.work)
    trees = [("this tree", ROOT)] if options.tree is None else [("tree", options.tree.resolve())]
    if options.baseline is not None:
        trees.insert(0, ("baseline", options.baseline.resolve()))
    print(provenance(trees), flush=True)
    rows = []
    small = ensure_corpus(WARMUP_DOCS, options.work)
    for label, root in trees:
        for job in jobs:  # untimed: fills numba's cache of compiled kernels for this tree
            out = options.work / f"warmup-{label.replace(' ', '-')}-{job}"
            shutil.rmtree(out, ignore_errors=True)
            run_job(options.python, root, job_args(job, small, out, options.workers), 3600)
        for job in jobs:
            out = options.work / f"out-{label.replace(' ', '-')}-{job}"
            shutil.rmtree(out, ignore_errors=True)
            args = job_args(job, corpus, out, options.workers)
            run = run_job(options.python, root, args, options.timeout, options.max_mb)
            rows.append(
                Measured(label, job, run.seconds, run.peak_kb / 1024, run.status,
                         run.cpu_seconds, run.load)
            )  # fmt: skip
            print(
                f"{label}: {job}: {run.seconds:.1f} s, {run.cpu_seconds:.1f} CPU s, load "
                f"{run.load:.1f}, {run.peak_kb / 1024:,.0f} MB, {run.status}",
                flush=True,
            )
    print()
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(table(rows, corpus, options.docs, options.workers))


if __name__ == "__main__":
    main()
