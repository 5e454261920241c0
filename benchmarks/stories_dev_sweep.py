"""How the story settings move ARI, on dev stories only (``part_of`` in ``quality.py``).

Each row changes one ``StoryClusterer`` parameter from its default and runs ``dedup stories``'
path (clean, passage links from scan, the clusterer) on the dev half of GoogleNews-TS and of
BASIL. It shows how far retuning can go on the data the defaults were chosen on; the test
halves are never read.

    python benchmarks/stories_dev_sweep.py
"""

from __future__ import annotations

import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quality import load, part_of, print_table

from dedup.config import Config
from dedup.pipeline import stories, story_clusterer
from dedup.types import Record

#: Values tried for each parameter, the default among them.
GRID: dict[str, tuple] = {
    "n_neighbors": (5, 10, 20),
    "similarity_power": (1.5, 2.0, 3.0),
    "min_lift": (2.0, 3.0, 4.0),
    "resolution": (0.5, 1.0, 2.0),
    "min_conductance": (0.02, 0.03, 0.05),
    "ngram_range": ((1, 1), (1, 2)),
    "max_df": (0.1, 0.5, 0.9),
    "window_days": (None, 3.0, 7.0, 14.0),
}


def dev_records(name: str) -> tuple[list[Record], list[str]]:
    rows = [r for r in load(name) if part_of(str(r["story"])) == "dev"]
    records = [
        Record(str(r["id"]), r["text"], title=r.get("title"), date=r.get("date")) for r in rows
    ]
    return records, [str(r["story"]) for r in rows]


def ari(records: list[Record], true: list[str], **params) -> tuple[float, int]:
    clusterer = story_clusterer(Config()).set_params(**params)
    result = stories(records, Config(), clusterer=clusterer)
    label = {member: s.id for s in result.stories for member in s.members}
    return adjusted_rand_score(true, [label[r.id] for r in records]), len(result.stories)


def main() -> None:
    print(f"command: python benchmarks/{Path(__file__).name}")
    print(f"machine: Python {platform.python_version()}, {datetime.now(timezone.utc):%Y-%m-%d}")
    print()
    sets = {name: dev_records(name) for name in ("googlenews-ts", "basil")}
    defaults = story_clusterer(Config()).get_params()
    rows = []
    for parameter, values in GRID.items():
        for value in values:
            row = {"parameter": parameter, "value": str(value)}
            row["default"] = "yes" if value == defaults[parameter] else ""
            for name, (records, true) in sets.items():
                score, found = ari(records, true, **{parameter: value})
                row[f"{name} dev ARI"] = score
                row[f"{name} dev stories"] = found
            rows.append(row)
            print(".", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print("One parameter changed at a time from the defaults, dev halves only:")
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
