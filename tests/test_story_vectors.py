"""The stories' TF-IDF vectors built a batch at a time (dedup.story_vectors) are
``TfidfVectorizer.fit_transform``'s, bit for bit and in the same order in each row, for any
batch size, in memory or with a scratch folder, on the seeds and the labelled sets."""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from dedup import story_graph
from dedup.clustering import StoryClusterer
from dedup.ingest import read_corpus
from dedup.story_vectors import row_dots, supported, tfidf_vectors
from dedup.story_words import stop_word_options
from tests.conftest import CORPUS, SHARED_DATA

SETS = {
    "basil": "basil/basil.jsonl.gz",
    "googlenews-ts": "googlenews-ts/googlenews-ts.jsonl.gz",
    "reuters": "reuters21578/reuters21578.jsonl.gz",
}


def vectorizer(texts: list[str], **settings: object) -> TfidfVectorizer:
    """The story clusterer's vectorizer for ``texts``."""
    options: dict = dict(ngram_range=(1, 2), min_df=2, max_df=0.5)
    options.update(settings)
    return TfidfVectorizer(
        sublinear_tf=True, **stop_word_options(texts), **options, dtype=np.float32
    )


def same_bits(a: sp.csr_matrix, b: sp.csr_matrix) -> None:
    assert a.shape == b.shape
    assert np.array_equal(a.indptr, b.indptr)
    assert np.array_equal(a.indices, b.indices)  # the same order inside each row
    assert np.array_equal(a.data.view(np.uint32), b.data.view(np.uint32))


def labelled(name: str, limit: int = 1500) -> list[str]:
    path = SHARED_DATA / SETS[name]
    if not path.exists():
        pytest.skip(f"{path} not in the shared data folder")
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in itertools.islice(lines, limit)]
    return [f"{row.get('title') or ''}\n{row['text']}" for row in rows]


@pytest.mark.parametrize("name", sorted(SETS))
@pytest.mark.parametrize("batch_docs", [97, 100_000])
def test_same_as_tfidf_vectorizer(name: str, batch_docs: int, tmp_path: Path) -> None:
    texts = labelled(name)
    expected = vectorizer(texts).fit_transform(texts)
    names = vectorizer(texts).fit(texts).get_feature_names_out()
    got, terms = tfidf_vectors(iter(texts), vectorizer(texts), batch_docs=batch_docs)
    same_bits(expected, got)
    assert [terms[c] for c in range(len(terms))] == list(names)
    spilled, _ = tfidf_vectors(texts, vectorizer(texts), batch_docs=batch_docs, scratch=tmp_path)
    same_bits(expected, spilled)


@pytest.mark.parametrize(
    "settings", [{"ngram_range": (1, 1)}, {"ngram_range": (2, 2)}, {"min_df": 1, "max_df": 1.0}]
)
def test_other_settings(settings: dict) -> None:
    texts = [r.text for r in read_corpus([CORPUS]).records]
    expected = vectorizer(texts, **settings).fit_transform(texts)
    got, _ = tfidf_vectors(texts, vectorizer(texts, **settings), batch_docs=3)
    same_bits(expected, got)


def test_the_vectorizer_errors() -> None:
    """No term at all, or none left after pruning: the vectorizer's ValueError."""
    for texts in (["the and of", "a"], ["one apple", "two pears"]):
        with pytest.raises(ValueError) as theirs:
            vectorizer(texts).fit_transform(texts)
        with pytest.raises(ValueError) as ours:
            tfidf_vectors(texts, vectorizer(texts))
        assert str(ours.value) == str(theirs.value)


def test_unsupported_settings_refused() -> None:
    texts = ["a b c"]
    assert supported(vectorizer(texts))
    assert not supported(vectorizer(texts, ngram_range=(1, 3)))
    with pytest.raises(ValueError, match="unsupported"):
        tfidf_vectors(texts, vectorizer(texts, ngram_range=(1, 3)))


def test_clusterer_vectorizer_transforms_as_fitted(tmp_path: Path) -> None:
    """The clusterer's ``vectorizer_`` is a fitted TfidfVectorizer whose transform of the
    fitted texts gives the same rows (sorted) and terms as a vectorizer fitted on them; a
    scratch folder changes nothing."""
    records = read_corpus([CORPUS]).records
    model = StoryClusterer(learn_templates=False, title_weight=0).fit(records)
    texts = [r.text for r in sorted(records, key=lambda r: r.id)]
    direct = vectorizer(texts).fit(texts)
    fitted = model.vectorizer_
    assert list(fitted.get_feature_names_out()) == list(direct.get_feature_names_out())
    assert np.array_equal(fitted.idf_, direct.idf_)
    same_bits(fitted.transform(texts), direct.transform(texts))
    again = StoryClusterer(learn_templates=False, title_weight=0).fit(records, scratch=tmp_path)
    assert (again.labels_ == model.labels_).all() and again.stories_ == model.stories_
    assert not list(tmp_path.iterdir())  # the scratch files are removed


def test_row_dots_are_the_elementwise_products_sums() -> None:
    """The kernel's dot products have the bits of ``multiply(...).sum(axis=1)``, rows of
    every length (NumPy sums more than 8 and more than 128 values pairwise)."""
    rng = np.random.default_rng(0)
    n_rows, n_cols = 400, 600
    lengths = rng.integers(0, 500, n_rows)
    rows = [
        sp.csr_matrix(
            (rng.random(k).astype(np.float32), (np.zeros(k, int), rng.choice(n_cols, k, False))),
            shape=(1, n_cols),
        )
        for k in lengths
    ]
    vectors = sp.vstack(rows).tocsr().astype(np.float32)
    vectors.data[::7] = 1e-30  # products that underflow to zero are no entries
    row, col = rng.integers(0, n_rows, 5000), rng.integers(0, n_rows, 5000)
    canonical = vectors.sorted_indices()
    expected = np.asarray(canonical[row].multiply(canonical[col]).sum(axis=1)).ravel()
    got = row_dots(vectors, row, col)
    assert np.array_equal(expected.view(np.uint32), got.view(np.uint32))


def test_top_terms_by_slices_is_the_whole_matrix_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    """The candidate terms chosen a few rows at a time are those chosen over the whole
    matrix at once (ties included: equal weights in a row)."""
    rng = np.random.default_rng(1)
    vectors = sp.random(300, 200, density=0.2, format="csr", dtype=np.float32, random_state=rng)
    vectors.data = np.round(vectors.data * 4) / 4 + np.float32(0.25)  # many ties
    coo = vectors.tocoo()
    keep = story_graph.top_per_row(coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data, 7)
    expected = sp.csr_matrix(
        (coo.data[keep], (coo.row[keep], coo.col[keep])), shape=vectors.shape, dtype=np.float32
    )
    monkeypatch.setattr(story_graph, "SLICE_ENTRIES", 50)
    same_bits(expected, story_graph.top_terms(vectors, 7))


def test_row_dots_from_the_compiled_cache() -> None:
    """The kernel loaded from numba's cache in a fresh process gives the same sums (a
    recursive kernel once crashed when loaded from the cache)."""
    import subprocess
    import sys

    code = (
        "import numpy as np, scipy.sparse as sp\n"
        "from dedup.story_vectors import row_dots\n"
        "v = sp.random(50, 2000, density=0.5, format='csr', dtype=np.float32, random_state=0)\n"
        "r = np.arange(50); c = r[::-1].copy()\n"
        "e = np.asarray(v[r].multiply(v[c]).sum(axis=1)).ravel()\n"
        "assert np.array_equal(e.view(np.uint32), row_dots(v, r, c).view(np.uint32))\n"
    )
    for _ in range(2):  # the first may compile and fill the cache, the second loads it
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
