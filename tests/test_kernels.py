"""Kernels loaded on first use, and the plain versions a small scan runs instead
(dedup.kernels, dedup.plain_kernels): the same values as the compiled kernels, bit for bit."""

from __future__ import annotations

import builtins
import gzip
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import kernels, plain_kernels, shingle, sketch
from dedup.graphs import SMALL_GRAPH_EDGES, components
from dedup.kernels import Kernel, njit
from dedup.parallel import map_ordered
from dedup.plain_kernels import small_input
from dedup.types import Record

ROOT = Path(__file__).resolve().parent.parent
CLOUGH = ROOT.parent / "shared" / "data" / "clough-stevenson" / "clough-stevenson.jsonl.gz"

TEXTS = [
    "The quick brown fox, jumped over the lazy dog's back -- twice!",
    "",
    "...",
    "Café au lait \u00adsoft\u00adhyphen and naïve coöperation; ½ of 1⁄2 is ¼.",
    "東京都は日本の首都です。ひらがなとカタカナ mixed with English words.",
    "ภาษาไทยไม่มีช่องว่างระหว่างคำ and then some English.",
    "a" * 150 + " " + "b" * 70 + " end",
    "“Quoted” text – with dashes… and\u00a0non-breaking spaces ’n’ apostrophes",
    "x",
    "Zürich ÆØÅ ßtraße İstanbul ǅemal ﬁnance ﬀ",
]


def compiled_tokens(texts: list[str]) -> shingle.Tokens:
    return shingle.tokenize(texts)


def test_the_plain_tokenizer_gives_the_compiled_words(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = compiled_tokens(TEXTS)
    monkeypatch.setattr(shingle, "_tokenize_kernel", plain_kernels.tokenize_kernel)
    got = shingle.tokenize(TEXTS)
    assert np.array_equal(got.doc_ptr, expected.doc_ptr)
    assert got.hashes.tobytes() == expected.hashes.tobytes()
    assert np.array_equal(got.starts, expected.starts)
    assert np.array_equal(got.ends, expected.ends)
    assert np.array_equal(shingle.word_counts(TEXTS), np.diff(expected.doc_ptr))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=80), min_size=1, max_size=6))
def test_the_plain_tokenizer_gives_the_compiled_words_of_any_text(texts: list[str]) -> None:
    expected = compiled_tokens(texts)
    original = shingle._tokenize_kernel
    shingle._tokenize_kernel = plain_kernels.tokenize_kernel
    try:
        got = shingle.tokenize(texts)
    finally:
        shingle._tokenize_kernel = original
    assert np.array_equal(got.doc_ptr, expected.doc_ptr)
    assert got.hashes.tobytes() == expected.hashes.tobytes()
    assert np.array_equal(got.starts, expected.starts)
    assert np.array_equal(got.ends, expected.ends)


def test_the_plain_tokenizer_says_when_its_outputs_are_too_short() -> None:
    with pytest.raises(ValueError, match="too few"), small_input():
        hashes = np.empty(2, dtype=np.uint64)
        starts = np.empty(2, dtype=np.int64)
        shingle.tokenize_into(["one two three"], hashes, starts, starts.copy())


def test_the_plain_shingles_signatures_and_mix_are_the_compiled_ones() -> None:
    tokens = compiled_tokens(TEXTS)
    for size in (1, 3, 5):
        expected, ptr = shingle.shingle_hashes(tokens.hashes, tokens.doc_ptr, size)
        got = np.zeros_like(expected)
        plain_kernels.shingle_kernel(tokens.hashes, tokens.doc_ptr, size, ptr, got)
        assert got.tobytes() == expected.tobytes()
    shingles, ptr = shingle.shingle_hashes(tokens.hashes, tokens.doc_ptr, 5)
    expected_sig = sketch.compute_signatures(shingles, ptr, 128, 1)
    a, b = sketch.permutations(128, 1)
    got_sig = np.empty_like(expected_sig)
    with np.errstate(over="ignore"):
        plain_kernels.signature_kernel(shingles, ptr, a, b, got_sig)
    assert got_sig.tobytes() == expected_sig.tobytes()
    assert (got_sig[1] == sketch.EMPTY).all()  # a text with no word
    values = np.random.default_rng(0).integers(0, 2**63, 1000, dtype=np.uint64)
    in_place = values.copy()
    plain_kernels.mix_in_place(in_place)
    assert in_place.tobytes() == shingle.mix64(values).tobytes()


def test_components_label_as_scipy_does() -> None:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(1)
    for n_nodes, n_edges in ((1, 0), (30, 12), (500, 400), (200, SMALL_GRAPH_EDGES + 10)):
        edges = rng.integers(0, n_nodes, (n_edges, 2))
        graph = coo_matrix((np.ones(n_edges), (edges[:, 0], edges[:, 1])), (n_nodes, n_nodes))
        count, labels = connected_components(graph, directed=False)
        got_count, got_labels = components(edges, n_nodes)
        assert got_count == count
        assert np.array_equal(got_labels, labels)
    chain = np.stack([np.arange(99, 0, -1), np.arange(98, -1, -1)], axis=1)  # a long path
    assert components(chain, 100)[0] == 1


def test_a_kernel_runs_plain_inside_small_input_until_numba_compiles_it() -> None:
    def double(x):
        return x * 2

    kernel = njit(cache=False)(double)
    assert isinstance(kernel, Kernel)
    kernel.plain = lambda x: -x
    with small_input():
        # the threads of dedup.parallel run in the caller's context
        assert list(map_ordered(kernel, (), [(1,), (2,), (3,)], workers=2)) == [-1, -2, -3]
    with small_input(False):
        assert kernel(4) == 8  # compiled: numba runs the Python function's code
    with small_input():
        assert kernel(5) == 10  # compiled once, compiled from then on


def clough_records(limit_chars: int) -> list[Record]:
    records, total = [], 0
    with gzip.open(CLOUGH, "rt") as lines:
        for line in lines:
            row = json.loads(line)
            total += len(row["text"])
            if total > limit_chars:
                break
            records.append(Record(id=row["id"], text=row["text"]))
    return records


SMALL_SCAN = """
import pickle, sys
from dedup.inmemory import scan
from dedup.plain_kernels import small_input
records = pickle.loads(sys.stdin.buffer.read())
with small_input():
    result = scan(records, workers={workers})
assert "numba" not in sys.modules, "numba was loaded"
sys.stdout.buffer.write(pickle.dumps(
    (result.pairs, result.passages, result.documents, result.counts, result.signatures)
))
"""


@pytest.mark.skipif(not CLOUGH.exists(), reason="shared data not present")
@pytest.mark.parametrize("workers", [1, 2])
def test_a_small_scan_without_numba_finds_what_the_compiled_kernels_find(
    workers: int, seed_records: list[Record]
) -> None:
    import pickle

    from dedup.inmemory import scan

    # the Clough-Stevenson answers: copied, lightly and heavily revised passages
    records = seed_records + clough_records(200_000)
    expected = scan(records)
    assert expected.passages  # the plain aligner has passages to find
    done = subprocess.run(
        [sys.executable, "-c", SMALL_SCAN.format(workers=workers)],
        input=pickle.dumps(records),
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    pairs, passages, documents, counts, signatures = pickle.loads(done.stdout)
    assert pairs == expected.pairs
    assert passages == expected.passages
    assert documents == expected.documents
    assert counts == expected.counts
    assert signatures.tobytes() == expected.signatures.tobytes()


def test_the_cached_kernels_are_forgotten_when_a_kernel_source_changes(tmp_path):
    # numba's cache checks a kernel's own file only: a change to a file of kernels it
    # calls must drop the cache, and nothing but dedup's cached kernels is removed
    from dedup.kernels import CACHE_STAMP, forget_stale_cache

    (tmp_path / "calls.py").write_text("from dedup.kernels import njit\n")
    (tmp_path / "called.py").write_text("from dedup.kernels import njit\nX = 1\n")
    (tmp_path / "plain.py").write_text("X = 1\n")
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    kept = [cache / "plain.f-1.py311.nbi", cache / "calls.cpython-311.pyc"]
    for path in [cache / "calls.f-3.py311.nbi", cache / "calls.f-3.py311.0.nbc", *kept]:
        path.write_bytes(b"x")

    assert forget_stale_cache(tmp_path)  # no stamp yet: the cache's sources are unknown
    assert sorted(p.name for p in cache.iterdir()) == sorted([CACHE_STAMP, *(p.name for p in kept)])
    (cache / "calls.f-3.py311.nbi").write_bytes(b"x")
    assert not forget_stale_cache(tmp_path)  # same sources: the cache stays
    assert (cache / "calls.f-3.py311.nbi").exists()
    (tmp_path / "called.py").write_text("from dedup.kernels import njit\nX = 2\n")
    assert forget_stale_cache(tmp_path)
    assert not (cache / "calls.f-3.py311.nbi").exists()
    assert all(path.exists() for path in kept)


class _SlowToBind(kernels.Kernel):
    """A kernel whose binding takes a while, so that another thread calls in meanwhile."""

    def compiled(self) -> object:
        time.sleep(0.4)
        return super().compiled()


def test_no_thread_compiles_a_kernel_before_the_kernels_it_calls_are_bound() -> None:
    """Two threads call a new kernel at once: the second must not compile it while the first
    is still making the kernels it calls dispatchers (numba cannot type a call to a
    :class:`dedup.kernels.Kernel`; a first `dedup stories` after an install failed so)."""
    namespace: dict[str, object] = {"__builtins__": builtins}
    exec("def first(x):\n    return x\n", namespace)
    namespace["first"] = _SlowToBind(namespace["first"], {})  # bound first, slowly
    exec("def helper(x):\n    return x + 1\n\ndef outer(x):\n    return helper(x) * 2\n", namespace)
    namespace["helper"] = kernels.Kernel(namespace["helper"], {})
    outer = kernels.Kernel(namespace["outer"], {})
    namespace["outer"] = outer
    results: dict[str, object] = {}

    def call(name: str) -> None:
        try:
            results[name] = outer(1)
        except Exception as error:  # the test reports it
            results[name] = error

    threads = [threading.Thread(target=call, args=(name,)) for name in ("a", "b")]
    threads[0].start()
    time.sleep(0.2)  # while the first thread binds
    threads[1].start()
    for thread in threads:
        thread.join()
    assert results == {"a": 4, "b": 4}
