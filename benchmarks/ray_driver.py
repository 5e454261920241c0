"""Peak memory of the Ray driver alone, when the workers read their own input shards.

A corpus of JSON lines (``--corpus``, e.g. ``benchmarks/generate.py --docs N --seed 0``'s
``corpus.jsonl``; or ``--docs N`` to generate one in ``--work``) is split into ``--shards``
files of about equal size in ``--work`` (whole lines, in order), then scanned by

* **ray**: ``python -m dedup scan SHARDS -o OUT -q --engine ray -j W``, which starts a local
  Ray instance with W CPUs; its workers read the shards (``dedup.ray_scan``);
* **local** (with ``--local``): ``python -m dedup scan SHARDS -o OUT -q -j W``, the
  spilled scan of one process, to compare the files with;
* **baseline** (with ``--baseline TREE``): the same Ray scan run from another checkout of
  ``dedup`` (e.g. ``git worktree add /tmp/base main``), so that a change's driver peak is
  measured before and after in one run, on the same machine and load.

The driver's peak is the ``VmHWM`` (peak resident set) of the ``dedup`` process itself,
polled from ``/proc`` until it ends: the Ray processes it starts (GCS, raylet, workers, the
object store) are other processes and are not counted; their own peaks are shown apart
(``workers``: the largest ``VmHWM`` among the worker processes seen). ``ru_maxrss`` is not
used, since on Linux it takes in the children the process reaped. With ``--local`` the
SHA-256 of pairs.jsonl, passages.jsonl, documents.jsonl and rejects.jsonl of both are
compared.

    python benchmarks/ray_driver.py --corpus /tmp/gen100k/corpus.jsonl --shards 8 \\
        --work /tmp/raydrv100k --local --baseline /tmp/base
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FILES = ("pairs.jsonl", "passages.jsonl", "documents.jsonl", "rejects.jsonl")


def split(corpus: Path, shards: int, folder: Path) -> Path:
    """``corpus`` cut into ``shards`` files of whole lines, in order (kept when there)."""
    done = folder / "DONE"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    target = corpus.stat().st_size / shards
    part, written = 0, 0
    out = open(folder / f"part-{part:04d}.jsonl", "wb")  # noqa: SIM115 - swapped below
    with open(corpus, "rb") as lines:
        for line in lines:
            if written >= target * (part + 1) and part < shards - 1:
                out.close()
                part += 1
                out = open(folder / f"part-{part:04d}.jsonl", "wb")  # noqa: SIM115
            out.write(line)
            written += len(line)
    out.close()
    done.write_text("")
    return folder


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc/PID/task/*/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                todo.append(child)
    return found


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of ``pid`` so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _is_worker(pid: int) -> bool:
    try:
        return b"ray::" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _scratch_kinds(out: Path) -> list[str]:
    """The kinds of file in the scan's scratch folder (``OUT/.work``): ``keys``,
    ``bands``, ``hits``, ``cuts``..., which say the stage it is at."""
    kinds = {re.sub(r"[-_.]?\d*(\.bin)?$", "", p.name) for p in out.glob(".work/*/*")}
    return sorted(kinds)


def run(args: list[str], timeout: float, tree: Path = ROOT, timeline: list | None = None) -> dict:
    """``python -m dedup ARGS`` with ``dedup`` imported from ``tree``: seconds, the
    process' own peak RSS (MB) and CPU seconds, the largest peak RSS among the Ray workers
    seen below it and their CPU seconds (as last polled), the CPU seconds of every process
    it started that ended (``resource``'s children: itself and what it reaped), the load
    average before and after, and the exit status. With ``timeline``, the driver's resident
    MB, the seconds and the scratch folder's kinds of file are noted there whenever the
    kinds change or the memory moves by 20 MB or more."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    load_before = os.getloadavg()[0]
    children_before = _children_cpu()
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "dedup", *args],
        env=env,
        cwd=tree,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    peak = workers = 0
    cpu = 0.0
    worker_cpu: dict[int, float] = {}  # the last CPU seconds seen of each worker
    status = "ok"
    while child.poll() is None:
        peak = max(peak, _status_kb(child.pid, "VmHWM:"))
        if timeline is not None:
            _note_timeline(timeline, start, child.pid, Path(args[3]))
        cpu = max(cpu, _cpu_seconds(child.pid))
        for pid in _descendants(child.pid):
            if _is_worker(pid):
                workers = max(workers, _status_kb(pid, "VmHWM:"))
                worker_cpu[pid] = max(worker_cpu.get(pid, 0.0), _cpu_seconds(pid))
        if time.perf_counter() - start > timeout:
            child.send_signal(signal.SIGTERM)
            child.wait()
            status = "stopped"
            break
        time.sleep(0.2)
    seconds = time.perf_counter() - start
    error = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if child.returncode and status == "ok":
        status = f"exit {child.returncode}"
        print(f"dedup {' '.join(args)}: {status}\n{error[-2000:]}", file=sys.stderr)
    return {
        "seconds": round(seconds, 1),
        "driver_peak_mb": round(peak / 1024, 1),
        "worker_peak_mb": round(workers / 1024, 1),
        "driver_cpu_s": round(cpu, 1),
        "workers_cpu_s": round(sum(worker_cpu.values()), 1),
        "reaped_cpu_s": round(_children_cpu() - children_before, 1),
        "load": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "status": status,
    }


def _note_timeline(timeline: list, start: float, pid: int, out: Path) -> None:
    resident = _status_kb(pid, "VmRSS:") / 1024
    kinds = _scratch_kinds(out)
    if timeline and timeline[-1][2] == kinds and abs(timeline[-1][1] - resident) < 20:
        return
    timeline.append((round(time.perf_counter() - start, 1), round(resident), kinds))


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def digests(out: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256((out / name).read_bytes()).hexdigest()
        for name in FILES
        if (out / name).exists()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--corpus", type=Path, help="a JSON lines corpus to split")
    source.add_argument("--docs", type=int, help="generate this many articles in --work")
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--workers", "-j", type=int, default=2)
    parser.add_argument("--local", action="store_true", help="also scan locally and compare")
    parser.add_argument(
        "--baseline", type=Path, help="also run the Ray scan from this checkout of dedup"
    )
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument(
        "--timeline",
        action="store_true",
        help="note each Ray driver's resident memory over time, with the scratch files' kinds",
    )
    options = parser.parse_args()
    options.work.mkdir(parents=True, exist_ok=True)
    corpus = options.corpus
    if corpus is None:
        folder = options.work / f"gen{options.docs}"
        corpus = folder / "corpus.jsonl"
        if not corpus.exists():
            subprocess.run(
                [sys.executable, str(HERE / "generate.py"), "--docs", str(options.docs),
                 "--seed", "0", "-o", str(folder)],
                check=True,
            )  # fmt: skip
    shards = split(corpus, options.shards, options.work / f"shards{options.shards}")
    with open(corpus, "rb") as handle:
        docs = sum(1 for _ in handle)
    report: dict = {
        "corpus": str(corpus),
        "articles": docs,
        "mb": round(corpus.stat().st_size / 1e6, 1),
        "shards": options.shards,
        "workers": options.workers,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    ray = ["--engine", "ray", "-j", str(options.workers)]
    engines: dict[str, tuple[list[str], Path]] = {}
    if options.baseline:
        report["baseline_tree"] = str(options.baseline)
        engines["baseline"] = (ray, options.baseline.resolve())
    engines["ray"] = (ray, ROOT)
    if options.local:
        engines["local"] = (["-j", str(options.workers)], ROOT)
    for name, (extra, tree) in engines.items():
        out = options.work / f"out-{name}"
        args = ["scan", str(shards.resolve()), "-o", str(out.resolve()), "-q", "--force", *extra]
        timeline: list | None = [] if options.timeline and "ray" in extra else None
        measured = run(args, options.timeout, tree, timeline)
        if timeline is not None:
            measured["timeline"] = timeline
        measured["sha256"] = digests(out)
        report[name] = measured
        print(name, json.dumps(measured), file=sys.stderr, flush=True)
    for other in ("local", "baseline"):
        if other in report:
            report[f"same_files_as_{other}"] = report["ray"]["sha256"] == report[other]["sha256"]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
