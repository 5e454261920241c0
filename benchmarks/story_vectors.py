"""The stories' TF-IDF vectors two ways, on the first N texts of a corpus: scikit-learn's
``TfidfVectorizer.fit_transform`` (what ``StoryClusterer`` ran before) and
``dedup.story_vectors.tfidf_vectors`` (a batch at a time; in memory, or with its term
counts in a scratch folder). Each runs in a process of its own, which reports its CPU
seconds, wall seconds and peak RSS (``ru_maxrss``, the texts included: they are read
before either starts), and the SHA-256 of its matrix (data, indices, indptr), which must
be the same for all three.

    python benchmarks/story_vectors.py --corpus gen100k/corpus.jsonl --docs 20000
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

WAYS = ("sklearn", "batched", "batched-scratch")


def _texts(corpus: Path, docs: int) -> list[str]:
    with open(corpus, encoding="utf-8") as lines:
        rows = [json.loads(line) for line in itertools.islice(lines, docs)]
    return [f"{row.get('title') or ''}\n{row['text']}" for row in rows]


def _run(way: str, corpus: str, docs: int, queue: multiprocessing.Queue) -> None:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from dedup.story_vectors import tfidf_vectors
    from dedup.story_words import stop_word_options

    texts = _texts(Path(corpus), docs)
    vectorizer = TfidfVectorizer(
        sublinear_tf=True, **stop_word_options(texts), ngram_range=(1, 2), min_df=2,
        max_df=0.5, dtype=np.float32,
    )  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    if way == "sklearn":
        vectors = vectorizer.fit_transform(texts)
    elif way == "batched":
        vectors, _terms = tfidf_vectors(texts, vectorizer)
    else:
        with tempfile.TemporaryDirectory() as scratch:
            vectors, _terms = tfidf_vectors(texts, vectorizer, scratch=scratch)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    digest = hashlib.sha256()
    for array in (vectors.data, vectors.indices.astype(np.int64), vectors.indptr.astype(np.int64)):
        digest.update(np.ascontiguousarray(array).tobytes())
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    queue.put(
        (
            way,
            wall,
            cpu,
            after.ru_maxrss / 1024,
            vectors.shape,
            vectors.nnz,
            digest.hexdigest()[:16],
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="a JSON lines corpus")
    parser.add_argument("--docs", type=int, default=10_000, help="its first N texts")
    parser.add_argument(
        "--ways", default=",".join(WAYS), help="comma-separated, of " + ", ".join(WAYS)
    )
    options = parser.parse_args()
    print("command: python " + " ".join(sys.argv))
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")
    print("| way | wall s | CPU s | peak RSS MB | shape | entries | sha256 |")
    print("|---|---:|---:|---:|---|---:|---|")
    context = multiprocessing.get_context("spawn")
    for way in options.ways.split(","):
        queue = context.Queue()
        child = context.Process(target=_run, args=(way, str(options.corpus), options.docs, queue))
        child.start()
        name, wall, cpu, peak, shape, nnz, digest = queue.get()
        child.join()
        print(
            f"| {name} | {wall:.1f} | {cpu:.1f} | {peak:,.0f} | {shape} | {nnz:,} | {digest} |",
            flush=True,
        )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
