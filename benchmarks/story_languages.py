"""Stop words in stories chosen by the text (``dedup/story_words.py``), measured.

* **languages and speed**: each document of BASIL, GoogleNews-TS and Reuters-21578
  (``$DEDUP_DATA``, default ``../shared/data``) identified by CLD2, on one core: documents a
  second, MB of text a second (of the text read, whole), the languages found, and the stop
  words each corpus gets;
* **a mixed-language corpus** (German and Spanish reports of four stories, two each, from
  ``tests/test_story_words.py``): the cosine similarity of TF-IDF vectors of reports of one
  story and of different stories, with English stop words for every language (as before) and
  with each document's own, as ``StoryClusterer`` builds them, and the label (top terms)
  ``dedup.stories`` gives each story either way;
* **outputs kept**: with ``--tree OTHER`` (a checkout from before the change), the SHA-256 of
  ``stories.jsonl`` written by ``dedup stories`` on ``corpus/``, BASIL and GoogleNews-TS from
  this tree and from that one, each run a process of its own.

    python benchmarks/story_languages.py [--tree ../main-before]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("DEDUP_DATA", ROOT.parent / "shared" / "data"))
sys.path.insert(0, str(ROOT))

from dedup.story_words import document_language, stop_word_options  # noqa: E402

SETS = ("basil", "googlenews-ts", "reuters21578")


def texts_of(name: str) -> list[str]:
    with gzip.open(DATA / name / f"{name}.jsonl.gz", "rt", encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line in handle]


def options_label(options: dict) -> str:
    if "tokenizer" in options:
        return "each document its own: " + ", ".join(options["tokenizer"].languages)
    words = options["stop_words"]
    return "english (scikit-learn's)" if words == "english" else f"{len(words or [])} words"


def languages_and_speed() -> None:
    print("| data set | documents | MB of text | seconds | documents / s | MB / s | languages |")
    print("|---|---|---|---|---|---|---|")
    for name in SETS:
        texts = texts_of(name)
        mb = sum(len(text.encode()) for text in texts) / 1e6
        start = time.perf_counter()
        found = [document_language(text) for text in texts]
        seconds = time.perf_counter() - start
        counts = ", ".join(f"{k or 'none'} {n:,}" for k, n in Counter(found).most_common(5))
        print(
            f"| {name} | {len(texts):,} | {mb:.2f} | {seconds:.2f} | {len(texts) / seconds:,.0f}"
            f" | {mb / seconds:.2f} | {counts} |"
        )
        print(f"|  | stop words: {options_label(stop_word_options(texts))} | | | | | |")


def mixed_corpus() -> None:
    from dedup import clustering
    from tests.test_story_words import RECORDS, fitted, similarities

    print("\n| stop words | one story: min | mean | different stories: max | mean |")
    print("|---|---|---|---|---|")
    import dedup

    own = similarities(fitted(RECORDS))
    own_labels = {s.members: s.label for s in dedup.stories(RECORDS).stories}
    chosen = clustering.stop_word_options
    clustering.stop_word_options = lambda texts: {"stop_words": "english"}  # as before
    try:
        english = similarities(fitted(RECORDS))
        english_labels = {s.members: s.label for s in dedup.stories(RECORDS).stories}
    finally:
        clustering.stop_word_options = chosen
    for label, (same, apart) in (("English for every language", english), ("each its own", own)):
        print(
            f"| {label} | {min(same):.3f} | {sum(same) / len(same):.3f} | {max(apart):.3f} | "
            f"{sum(apart) / len(apart):.3f} |"
        )
    print("\n| story | label, English stop words for all | label, each its own |")
    print("|---|---|---|")
    for members in sorted(set(own_labels) | set(english_labels)):
        print(
            f"| {', '.join(members)} | {english_labels.get(members, '–')} | "
            f"{own_labels.get(members, '–')} |"
        )


def stories_digest(tree: Path, source: str) -> str:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out"
        env = {**os.environ, "PYTHONPATH": str(tree)}
        subprocess.run(
            [sys.executable, "-m", "dedup", "stories", source, "-q", "-o", str(out)],
            check=True,
            env=env,
            cwd=tree,
            capture_output=True,
        )
        return hashlib.sha256((out / "stories.jsonl").read_bytes()).hexdigest()


def outputs_kept(other: Path) -> None:
    print("\n| input | stories.jsonl SHA-256, this tree | the other tree | same |")
    print("|---|---|---|---|")
    for source in (
        str(ROOT / "corpus"),
        str(DATA / "basil" / "basil.jsonl.gz"),
        str(DATA / "googlenews-ts" / "googlenews-ts.jsonl.gz"),
    ):
        ours, theirs = stories_digest(ROOT, source), stories_digest(other, source)
        name = Path(source).name
        print(f"| {name} | {ours[:16]}… | {theirs[:16]}… | {'yes' if ours == theirs else 'NO'} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=Path, help="a checkout from before, to compare outputs")
    args = parser.parse_args()
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(f"command: python benchmarks/story_languages.py {' '.join(sys.argv[1:])}")
    print(f"date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; dedup at {commit}")
    print(f"machine: nproc {os.cpu_count()}; Python {platform.python_version()}")
    import importlib.metadata as meta

    print(f"pycld2 {meta.version('pycld2')}, stop-words {meta.version('stop-words')}\n")
    languages_and_speed()
    mixed_corpus()
    if args.tree:
        outputs_kept(args.tree.resolve())


if __name__ == "__main__":
    main()
