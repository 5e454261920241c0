"""Whether putting more stories in one corpus makes ``dedup stories`` join stories that it
keeps apart when they are alone, on dev stories only (``part_of`` in ``quality.py``).

The whole GoogleNews-TS set scores lower than either half alone, and its loss is in pairs of
stories from different halves that the clusterer joins. The same can be asked of the dev half
alone, without reading the test half: the dev stories are cut in two by another hash of their
id (``--salts``: three cuts), each part is grouped alone and the whole dev half is grouped,
and each part's articles are scored (event-level ARI against the labels) in its own run and
in the run on the whole dev half. A part that scores lower in the whole run has had its
stories joined with, or cut by, the other part's.

    python benchmarks/stories_dev_mix.py
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quality import load, part_of, print_table

from dedup.pipeline import stories
from dedup.types import Record


def side(story: str, salt: int) -> int:
    """0 or 1: a cut of the stories by a hash of their id other than ``part_of``'s."""
    return int(hashlib.sha256(f"{salt}:{story}".encode()).hexdigest(), 16) % 2


def events_of(rows: list[dict]) -> dict[str, str]:
    """The event of each article in a ``dedup stories`` run (defaults) on ``rows``."""
    records = [
        Record(str(r["id"]), r["text"], title=r.get("title"), date=r.get("date"),
               outlet=r.get("outlet"))
        for r in rows
    ]  # fmt: skip
    result = stories(records)
    return {member: e.id for e in result.events for member in e.members}


def score(rows: list[dict], found: dict[str, str]) -> float:
    return adjusted_rand_score([str(r["story"]) for r in rows], [found[str(r["id"])] for r in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="googlenews-ts")
    parser.add_argument("--salts", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    print(f"command: python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}".rstrip())
    print(f"machine: Python {platform.python_version()}, {datetime.now(timezone.utc):%Y-%m-%d}")
    print()
    dev = [r for r in load(args.set) if part_of(str(r["story"])) == "dev"]
    whole = events_of(dev)
    table = [{"cut": "-", "part": "whole dev half", "docs": len(dev),
              "stories": len({str(r["story"]) for r in dev}), "ARI alone": score(dev, whole),
              "ARI in the whole dev run": score(dev, whole)}]  # fmt: skip
    for salt in args.salts:
        for half in (0, 1):
            rows = [r for r in dev if side(str(r["story"]), salt) == half]
            table.append({"cut": str(salt), "part": str(half), "docs": len(rows),
                          "stories": len({str(r["story"]) for r in rows}),
                          "ARI alone": score(rows, events_of(rows)),
                          "ARI in the whole dev run": score(rows, whole)})  # fmt: skip
    print(f"{args.set} dev half, its stories cut in two, each part alone and in the whole run:")
    print()
    print_table(table)


if __name__ == "__main__":
    main()
