"""The stories' TF-IDF vectors on disk (dedup.story_rows.DiskRows) give every step that
reads them the same bits as the matrix in memory: the vectors themselves, the neighbour
graph (its pruned vectors and their transpose on disk too, dedup.story_neighbours), the
background similarity, the centroid placement and the stories' terms; and their
pages do not stay in the process's memory."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from dedup import clustering, story_graph, story_refine, story_rows, story_vectors
from dedup.clustering import StoryClusterer, group_terms
from dedup.parallel import worker_processes
from dedup.story_rows import DiskRows, column_sums, matvec, row_squares, take_rows
from dedup.story_vectors import row_dots, tfidf_vectors
from dedup.types import Record
from tests.test_story_vectors import labelled, same_bits, vectorizer


def random_vectors(n_docs: int, n_terms: int, seed: int = 0) -> sp.csr_matrix:
    """Rows of TF-IDF shape: a few heavy shared terms, L2-normalised, float32."""
    rng = np.random.default_rng(seed)
    matrix = sp.random(n_docs, n_terms, density=0.05, format="csr", random_state=rng)
    matrix.data = rng.random(len(matrix.data)).astype(np.float32) ** 3
    matrix = sp.csr_matrix(matrix, dtype=np.float32)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1
    out = sp.csr_matrix(sp.diags(1 / norms) @ matrix, dtype=np.float32)
    out.sort_indices()
    return out


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every pass over the rows made of many blocks, every gather of many chunks."""
    monkeypatch.setattr(story_rows, "BLOCK_ENTRIES", 97)
    monkeypatch.setattr(story_rows, "DOT_PAIRS", 13)
    monkeypatch.setattr(story_graph, "SLICE_ENTRIES", 101)
    monkeypatch.setattr(story_graph, "BLOCK_ROWS", 7)
    monkeypatch.setattr(story_refine, "CHUNK_ENTRIES", 89)


def test_on_disk_vectors_are_the_vectorizers_sorted(tmp_path: Path) -> None:
    texts = labelled("basil", 400)
    expected = vectorizer(texts).fit_transform(texts)
    expected.sort_indices()
    rows, _ = tfidf_vectors(texts, vectorizer(texts), scratch=tmp_path, batch_docs=57, on_disk=True)
    assert isinstance(rows, DiskRows)
    same_bits(rows.to_csr(), expected)
    same_bits(rows.block(10, 20), expected[10:20])
    same_bits(rows.take(np.array([5, 3, 5, 299])), expected[[5, 3, 5, 299]])
    rows.close()
    assert not list(tmp_path.glob("rows-*"))


def test_on_disk_needs_a_scratch_folder() -> None:
    with pytest.raises(ValueError, match="scratch"):
        tfidf_vectors(["a b", "a c"], vectorizer(["a b", "a c"]), on_disk=True)


@pytest.mark.usefixtures("small_blocks")
def test_every_reduction_has_the_same_bits(tmp_path: Path) -> None:
    matrix = random_vectors(300, 120)
    rows = DiskRows.write(matrix, tmp_path)
    for got, expected in [
        (column_sums(rows), column_sums(matrix)),
        (column_sums(rows), np.asarray(matrix.sum(axis=0)).ravel()),
        (matvec(rows, column_sums(matrix)), matrix @ column_sums(matrix)),
        (row_squares(rows), row_squares(matrix)),
    ]:
        assert got.dtype == expected.dtype
        assert np.array_equal(got.view(np.uint8), expected.view(np.uint8))
    pick = np.array([299, 0, 7, 7, 150])
    same_bits(take_rows(rows, pick), take_rows(matrix, pick))
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 300, 500), rng.integers(0, 300, 500)
    assert np.array_equal(
        row_dots(rows, a, b).view(np.uint32), row_dots(matrix, a, b).view(np.uint32)
    )


@pytest.mark.usefixtures("small_blocks")
def test_graph_placement_and_terms_the_same_from_disk(tmp_path: Path) -> None:
    texts = labelled("googlenews-ts", 600)
    matrix, terms = tfidf_vectors(texts, vectorizer(texts))
    rows, _ = tfidf_vectors(texts, vectorizer(texts), scratch=tmp_path, on_disk=True)
    days = np.where(np.arange(len(texts)) % 3 == 0, -1, 730_000 + np.arange(len(texts)) // 50)
    graphs = []
    for vectors in (matrix, rows):
        graph = story_graph.neighbour_graph(vectors, 10)
        graphs.append(
            story_graph.weighted_graph(
                graph, vectors, days, None, window_days=7.0, min_lift=3.0, similarity_power=2.0
            )
        )
    assert graphs[0].nnz > len(texts)
    same_bits(graphs[1], graphs[0])
    labels = np.arange(len(texts)) // 7
    placed = [
        story_refine.place_by_centroids(v, graphs[0], labels, movable=days < 0)
        for v in (matrix, rows)
    ]
    assert not np.array_equal(placed[0], labels)  # some articles moved
    assert np.array_equal(placed[0], placed[1])
    story_of = np.unique(placed[0], return_inverse=True)[1].ravel()
    n_stories = int(story_of.max()) + 1
    assert group_terms(story_of, n_stories, rows, terms, 5) == group_terms(
        story_of, n_stories, matrix, terms, 5
    )


@pytest.mark.usefixtures("small_blocks")
@pytest.mark.parametrize(("first_row", "workers"), [(0, 1), (250, 1), (0, 2)])
def test_neighbours_from_disk_for_any_first_row_and_threads(
    first_row: int, workers: int, tmp_path: Path
) -> None:
    matrix = random_vectors(400, 300, seed=3)
    rows = DiskRows.write(matrix, tmp_path)
    rows.workers = workers  # the neighbour blocks and the similarities' chunks on threads
    expected = story_graph.neighbour_graph(matrix, 5, 8, first_row=first_row)
    assert expected.nnz > (400 - first_row) * 3
    same_bits(story_graph.neighbour_graph(rows, 5, 8, first_row=first_row), expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows-data.bin", "rows-indices.bin"]


def resident_file_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssFile:"):
            return int(line.split()[1])
    pytest.skip("no RssFile in /proc/self/status")
    return 0


def test_read_pages_are_dropped(tmp_path: Path) -> None:
    """A pass over every row by memory map leaves no more than a chunk's pages resident."""
    matrix = random_vectors(4000, 20_000, seed=2)  # about 32 MB of values and columns
    rows = DiskRows.write(matrix, tmp_path)
    before = resident_file_kb()
    everything = np.arange(4000)
    rows.dots(everything, everything[::-1].copy(), chunk=64)
    rows.take(everything)
    grown = resident_file_kb() - before
    assert grown < 4_000, f"{grown} kB of the vectors' files still resident"
    rows.close()


@pytest.mark.parametrize("on_disk", [False, True])
def test_vectors_the_same_for_any_number_of_workers(on_disk: bool, tmp_path: Path) -> None:
    """Batches analysed in worker processes, each numbering its words apart, and rows made
    on threads: the bits of one worker."""
    texts = labelled("reuters", 700)
    one, terms = tfidf_vectors(texts, vectorizer(texts), batch_docs=150)
    scratch = tmp_path if on_disk else None
    with worker_processes():  # pytest's main module is guarded
        got, got_terms = tfidf_vectors(
            texts, vectorizer(texts), batch_docs=150, workers=2, scratch=scratch, on_disk=on_disk
        )
    if isinstance(got, DiskRows):
        got = got.to_csr()
        one.sort_indices()
    same_bits(got, one)
    assert [got_terms[c] for c in range(len(got_terms))] == [terms[c] for c in range(len(terms))]
    assert np.array_equal(got_terms.idf.view(np.uint32), terms.idf.view(np.uint32))


def test_clusterer_with_a_scratch_folder_same_stories_and_no_files_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``fit(scratch=...)`` keeps the vectors on disk (and makes them on two processes, a
    batch of 150 texts each): the stories of the vectors in memory, and the scratch folder
    left empty."""
    monkeypatch.setattr(clustering, "tfidf_vectors", partial(tfidf_vectors, batch_docs=150))
    texts = labelled("googlenews-ts", 500)
    records = [Record(f"d{k:04d}", text) for k, text in enumerate(texts)]
    expected = StoryClusterer().fit(records)
    with worker_processes():
        got = StoryClusterer().fit(records, scratch=tmp_path / "vectors", workers=2)
    assert np.array_equal(got.labels_, expected.labels_)
    assert got.stories_ == expected.stories_
    same_bits(got.graph_, expected.graph_)
    assert list((tmp_path / "vectors").iterdir()) == []


def test_no_worker_process_unless_the_caller_allows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process started with ``spawn`` runs the caller's main script again: a script
    without ``if __name__ == "__main__":`` calling ``stories(workers=2)`` would run twice
    and fail. So without :func:`dedup.parallel.worker_processes` no process is started, and
    the vectors are the same bits."""

    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("a worker process was started")

    monkeypatch.setattr(story_vectors, "ProcessPoolExecutor", no_pool)
    texts = labelled("reuters", 400)
    one, _ = tfidf_vectors(texts, vectorizer(texts), batch_docs=150)
    got, _ = tfidf_vectors(texts, vectorizer(texts), batch_docs=150, workers=2)
    same_bits(got, one)
    with worker_processes(), pytest.raises(AssertionError, match="worker process"):
        tfidf_vectors(texts, vectorizer(texts), batch_docs=150, workers=2)
