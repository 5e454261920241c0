"""SHA-256 of every file every command writes, to show that a change kept the outputs.

Runs, each as a process of its own (``python -m dedup``): scan, clean, stories, chains and
report on ``corpus/``; scan and ``clean --drop-duplicates`` on Reuters-21578; with
``--corpus FILE`` (a ``benchmarks/generate.py`` corpus) a scan in memory and a spilled one;
and an index of ``corpus/`` queried with Reuters-21578. Prints one line per file:
``sha256  run/file``, sorted. Run it on two work trees (``--python`` of each, or
``PYTHONPATH``) and ``diff`` the two listings: ``run.json`` of the index query names the
index's path, which differs between two output folders. With ``-j N`` every command but
``report`` (which has no such option) runs on N threads.

    python benchmarks/output_digests.py -o /tmp/before > before.txt
    python benchmarks/output_digests.py -o /tmp/after --corpus gen10k/corpus.jsonl -j 2 > after.txt
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("DEDUP_DATA", ROOT.parent / "shared" / "data"))
REUTERS = DATA / "reuters21578" / "reuters21578.jsonl.gz"


def runs(corpus: Path | None, out: Path, workers: list[str]) -> list[tuple[str, list[str]]]:
    seeds = str(ROOT / "corpus")
    todo = [(command, [command, seeds]) for command in ("scan", "clean", "stories", "chains")]
    todo.append(("report", ["report", seeds]))
    if REUTERS.exists():
        todo += [
            ("reuters-scan", ["scan", str(REUTERS)]),
            ("reuters-clean", ["clean", str(REUTERS), "--drop-duplicates"]),
        ]
    if corpus is not None:
        todo += [
            ("generated-memory", ["scan", str(corpus), "--spill", "never"]),
            ("generated-spilled", ["scan", str(corpus), "--spill", "always"]),
        ]
    return [
        (name, [*args, "-o", str(out / name), "-q", *([] if name == "report" else workers)])
        for name, args in todo
    ]


def dedup(python: str, args: list[str]) -> None:
    done = subprocess.run([python, "-m", "dedup", *args], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"dedup {' '.join(args)}: exit {done.returncode}\n{done.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--out", type=Path, required=True, help="a new folder for the runs")
    parser.add_argument("--corpus", type=Path, help="a generated corpus.jsonl to scan too")
    parser.add_argument("--python", default=sys.executable, help="the Python that runs dedup")
    parser.add_argument("-j", "--workers", type=int, help="threads of every command (-j)")
    options = parser.parse_args()
    workers = [] if options.workers is None else ["-j", str(options.workers)]
    out: Path = options.out
    out.mkdir(parents=True, exist_ok=True)
    for _name, args in runs(options.corpus, out, workers):
        dedup(options.python, args)
    if REUTERS.exists():
        index = out / "index.sqlite"
        dedup(options.python, ["index", "add", str(index), str(ROOT / "corpus"), "-q", *workers])
        query = ["index", "query", str(index), str(REUTERS), "-o", str(out / "query"), "-q"]
        query += workers
        dedup(options.python, query)
    for path in sorted(p for p in out.rglob("*") if p.is_file() and "index.sqlite" not in p.name):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        print(f"{digest}  {path.relative_to(out).as_posix()}")


if __name__ == "__main__":
    main()
