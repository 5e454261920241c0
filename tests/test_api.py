"""import dedup: the jobs on data in any form, flat result tables, and Index."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

import dedup
from dedup.pipeline import scan as scan_records
from dedup.types import Record

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SEEDS = {path.stem: path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.txt"))}


def test_the_public_names_are_all_there():
    for name in dedup.__all__:
        assert getattr(dedup, name) is not None, name
    assert callable(dedup.scan) and callable(dedup.clean) and callable(dedup.report)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        dedup.nothing  # noqa: B018


def test_scan_takes_plain_strings():
    result = dedup.scan(["a b c d e f g h i j k l m n", "x a b c d e f g h i j k l m n y"])
    frame = result.to_pandas()
    assert list(frame[["a", "b"]].itertuples(index=False, name=None)) == [("0", "1")]
    assert frame.loc[0, "reused_words_a"] == 14
    assert frame.loc[0, "passages"] == 1


def data_in_form(rows: list[dict], form: str, folder: Path):
    """``rows`` as the API's caller may hold them."""
    if form == "dicts":
        return rows
    if form == "iterator":
        return iter(rows)
    if form == "arrow":
        return pa.Table.from_pylist(rows)
    if form == "arrow-dataset":  # shards on disk, read in their order
        import pyarrow.dataset as ds
        import pyarrow.parquet as pq

        for start in range(0, len(rows), 2):
            pq.write_table(pa.Table.from_pylist(rows[start : start + 2]), folder / f"{start}.pq")
        return ds.dataset(folder, format="parquet")
    if form == "pandas":
        import pandas as pd

        return pd.DataFrame(rows)
    if form == "polars":
        polars = pytest.importorskip("polars")
        return polars.DataFrame(rows)
    datasets = pytest.importorskip("datasets")  # a Hugging Face Dataset, loaded from disk
    datasets.Dataset.from_list(rows).save_to_disk(folder / "hf")
    return datasets.load_from_disk(str(folder / "hf"))


FORMS = ["dicts", "iterator", "arrow", "arrow-dataset", "pandas", "polars", "hf-dataset"]


@pytest.mark.parametrize("form", ["records", *FORMS])
def test_every_form_of_the_seeds_gives_the_same_scan(form, tmp_path):
    rows = [{"article": k, "body": v, "site": "x"} for k, v in SEEDS.items()]
    if form == "records":
        data = [Record(r["article"], r["body"], outlet="x") for r in rows]
    else:
        data = data_in_form(rows, form, tmp_path)
    names = {} if form == "records" else {"id": "article", "text": "body", "outlet": "site"}
    got = dedup.scan(data, **names)
    expected = scan_records([Record(k, v, outlet="x") for k, v in SEEDS.items()])
    assert got.pairs == expected.pairs
    assert got.passages == expected.passages


@pytest.mark.parametrize("form", FORMS)
def test_a_bad_row_in_any_form_is_skipped_and_named(form, tmp_path):
    """A row without text is a reject naming its position; nothing else is lost."""
    rows = [{"id": k, "text": v} for k, v in SEEDS.items()]
    rows.insert(3, {"id": "bad", "text": None})
    result = dedup.scan(data_in_form(rows, form, tmp_path))
    assert [(r.source, r.reason) for r in result.rejects] == [
        ("item 3", "field 'text' is not a string")
    ]
    assert [d.id for d in result.documents] == sorted(SEEDS)
    expected = scan_records([Record(k, v) for k, v in SEEDS.items()])
    assert result.passages == expected.passages


@pytest.mark.parametrize("job", ["scan", "clean", "stories", "chains", "index"])
def test_every_job_skips_a_bad_item_and_names_it(job, tmp_path):
    items = [*SEEDS.values()]
    items[1:1] = [{"id": "no text"}, 7]
    if job == "index":
        rejects = dedup.Index(tmp_path / "index").add(items).rejects
    else:
        result = getattr(dedup, job)(items)
        rejects = (result.scan if job == "chains" else result).rejects
    assert [(r.source, r.reason) for r in rejects] == [
        ("item 1", "field 'text' is not a string"),
        ("item 2", "expected a string, a mapping or a Record, got int"),
    ]


def test_a_mapping_without_text_names_its_item():
    [reject] = dedup.scan([{"text": "a b c"}, {"id": "x"}]).rejects
    assert f"{reject.source}: {reject.reason}" == "item 1: field 'text' is not a string"
    with pytest.raises(TypeError, match="wrap it in a list"):
        dedup.scan("one text")
    with pytest.raises(TypeError, match="unknown field 'body'"):
        dedup.scan(["x"], body="text")


def test_flat_tables_hold_every_pair_passage_and_witness():
    result = dedup.scan([Record(k, v) for k, v in SEEDS.items()])
    pairs = result.to_arrow("pairs")
    assert pairs.num_rows == len(result.pairs)
    alignments = result.columns("alignments")
    assert len(alignments["a"]) == sum(len(p.alignments) for p in result.pairs)
    # every shared passage is a passage; the others are texts a document repeats itself
    assert set(alignments["passage"]) < {p.id for p in result.passages}
    witnesses = result.columns("witnesses")
    assert len(witnesses["doc"]) == sum(len(p.witnesses) for p in result.passages)
    for doc, start, end, passage in zip(
        witnesses["doc"], witnesses["start"], witnesses["end"], witnesses["passage"]
    ):
        assert SEEDS[doc][start:end]  # an offset into the document's own text
        assert passage.startswith("p")
    assert result.to_arrow("documents").column("doc").to_pylist() == sorted(SEEDS)
    with pytest.raises(ValueError, match="table must be one of"):
        result.columns("nothing")


def test_scan_spills_on_request_with_the_same_result(tmp_path):
    records = [Record(k, v) for k, v in SEEDS.items()]
    kept = dedup.scan(records, spill="never")
    spilled = dedup.scan(records, spill="always", workdir=tmp_path / "work")
    assert spilled.spilled and not kept.spilled
    assert spilled.pairs == kept.pairs
    assert not (tmp_path / "work").exists()  # its scratch is gone
    with pytest.raises(ValueError, match="spill must be one of"):
        dedup.scan(records, spill="sometimes")


def test_scan_resumes_from_its_workdir(tmp_path, monkeypatch):
    records = [Record(k, v) for k, v in SEEDS.items()]
    work = tmp_path / "work"
    first = dedup.scan(records, workdir=work, spill="never")
    assert first.resumed == () and not work.exists()
    # a run killed after its words and signatures: those stages are kept in the workdir
    from dedup.workspace import Workspace, input_digest

    config = dedup.Config()
    kept = Workspace(work, config_digest=config.digest(), input_digest=input_digest(records))
    scan_records(records, config, workspace=kept)
    again = dedup.scan(records, workdir=work, spill="never")
    assert "words" in again.resumed
    assert again.pairs == first.pairs
    forced = dedup.scan(records, workdir=work, spill="never", force=True)
    assert forced.resumed == ()


def test_index_adds_queries_and_removes(tmp_path):
    index = dedup.Index(tmp_path / "news.idx")
    assert len(index) == 0 and "000" not in index
    seeds = list(SEEDS.items())
    with index.writing():
        index.add([{"id": k, "text": v} for k, v in seeds[:2]])
        index.add([{"id": seeds[2][0], "text": seeds[2][1]}])
    assert len(index) == 3 and seeds[0][0] in index
    found = index.query([{"id": "new", "text": seeds[1][1]}])
    assert {p.b for p in found.pairs} | {p.a for p in found.pairs} >= {"new", seeds[1][0]}
    assert index.remove(seeds[0][0]).removed == (seeds[0][0],)
    assert len(index) == 2
    assert json.loads(json.dumps(index.info()))["counts"]["documents"] == 2


def test_a_failed_batch_writes_nothing(tmp_path):
    index = dedup.Index(tmp_path / "news.idx")
    index.add(["first text " * 20])
    with pytest.raises(RuntimeError, match="stop"), index.writing():
        index.add([{"id": "x", "text": SEEDS["000_5d2d231cf070430d"]}])
        raise RuntimeError("stop")
    assert len(index) == 1 and "x" not in index


def test_the_other_jobs_take_any_form_too():
    rows = [{"id": k, "text": v} for k, v in SEEDS.items()]
    cleaned = dedup.clean(rows)
    assert len(cleaned.documents) == 5
    grouped = dedup.stories(pa.Table.from_pylist(rows))
    assert sum(len(s.members) for s in grouped.stories) == 5
    chained = dedup.chains(rows)
    assert chained.scan.pairs
