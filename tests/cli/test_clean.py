"""`dedup clean` end to end through click's CliRunner."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil

import pytest
from click.testing import CliRunner

from dedup.cli import main
from tests.conftest import CORPUS, SEED_IDS

ID = SEED_IDS


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def digest(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory):
    out = tmp_path_factory.mktemp("clean") / "out"
    before = digest(CORPUS)
    result = run("clean", str(CORPUS), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert digest(CORPUS) == before  # the input is never modified
    return out, result


def test_writes_a_cleaned_folder_and_the_records(cleaned):
    out, _ = cleaned
    assert sorted(p.name for p in out.iterdir()) == [
        "corpus",
        "cuts.jsonl",
        "duplicates.jsonl",
        "rejects.jsonl",
        "run.json",
    ]
    names = sorted(p.name for p in (out / "corpus").iterdir())
    assert names == [*sorted(f"{i}.txt" for i in ID.values()), "metadata.csv"]
    with open(out / "corpus" / "metadata.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["outlet"] == "Al Jazeera" and rows[0]["date"] == "2016-12-10"


def test_cuts_file_rebuilds_every_original(cleaned):
    out, _ = cleaned
    cuts = read_jsonl(out / "cuts.jsonl")
    assert {c["reason"] for c in cuts} >= {
        "self-duplicate",
        "comments",
        "boilerplate:teaser",
        "boilerplate:tags",
    }
    by_doc: dict[str, list] = {}
    for cut in cuts:
        by_doc.setdefault(cut["doc"], []).append(cut)
    from dedup.rules import reconstruct

    for doc_id in ID.values():
        cleaned_text = (out / "corpus" / f"{doc_id}.txt").read_text(encoding="utf-8")
        original = (CORPUS / f"{doc_id}.txt").read_bytes().decode("utf-8")
        pieces = [(c["start"], c["text"]) for c in by_doc.get(doc_id, [])]
        assert reconstruct(cleaned_text, pieces) == original


def test_summary_lists_characters_removed_by_reason(cleaned):
    _, result = cleaned
    assert "characters removed" in result.output
    assert "self-duplicate" in result.output and "comments" in result.output


def test_cleaned_folder_scans_without_the_guardian_repeat(cleaned, tmp_path):
    out, _ = cleaned
    scanned = tmp_path / "scan"
    assert run("scan", str(out / "corpus"), "-o", str(scanned), "-q").exit_code == 0
    documents = read_jsonl(scanned / "documents.jsonl")
    guardian = next(d for d in documents if d["doc"] == ID["002"])
    assert guardian["repeated_words"] == 0


def test_jsonl_keeps_its_other_fields_and_drops_duplicates(tmp_path):
    source = tmp_path / "feed.jsonl"
    text = (CORPUS / f"{ID['003']}.txt").read_text(encoding="utf-8")
    rows = [
        {"id": "a", "text": text, "date": "2016-12-07", "topics": ["syria"], "extra": 1},
        {"id": "b", "text": text, "date": "2016-12-08", "topics": ["war"], "extra": 2},
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    result = run("clean", str(source), "-o", str(out), "--drop-duplicates")
    assert result.exit_code == 0, result.output
    written = read_jsonl(out / "feed.jsonl")
    assert written == [
        {"id": "a", "text": text, "date": "2016-12-07", "topics": ["syria"], "extra": 1}
    ]
    drops = read_jsonl(out / "duplicates.jsonl")
    assert drops == [
        {
            "dropped": "b",
            "kept": "a",
            "jaccard": 1.0,
            "copied_fraction_dropped": 1.0,
            "copied_fraction_kept": 1.0,
        }
    ]
    cuts = read_jsonl(out / "cuts.jsonl")
    assert [(c["doc"], c["reason"], c["start"], c["end"]) for c in cuts] == [
        ("b", "duplicate-of:a", 0, len(text))
    ]


def test_without_drop_duplicates_it_says_how_many_it_would_collapse(tmp_path):
    source = tmp_path / "feed.jsonl"
    text = (CORPUS / f"{ID['003']}.txt").read_text(encoding="utf-8")
    other = (CORPUS / f"{ID['002']}.txt").read_text(encoding="utf-8")
    rows = [
        {"id": "a", "text": text, "date": "2016-12-07"},
        {"id": "b", "text": text, "date": "2016-12-08"},
        {"id": "c", "text": other, "date": "2016-12-08"},
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    kept = run("clean", str(source), "-o", str(tmp_path / "kept"))
    assert kept.exit_code == 0, kept.output
    assert "1 near-duplicate article(s) kept: --drop-duplicates collapses" in kept.output
    assert len(read_jsonl(tmp_path / "kept" / "feed.jsonl")) == 3
    assert read_jsonl(tmp_path / "kept" / "duplicates.jsonl") == []
    as_json = run("clean", str(source), "-o", str(tmp_path / "json"), "--json")
    counts = json.loads(as_json.output)["counts"]
    assert (counts["near_duplicates"], counts["dropped_duplicates"]) == (1, 0)
    dropped = run("clean", str(source), "-o", str(tmp_path / "dropped"), "--drop-duplicates")
    assert "near-duplicate article(s) kept" not in dropped.output
    assert [r["id"] for r in read_jsonl(tmp_path / "dropped" / "feed.jsonl")] == ["a", "c"]


def test_csv_in_csv_out_with_custom_columns(tmp_path):
    source = tmp_path / "feed.csv"
    body = "A story.\n\nREAD MORE: Something else\n\nThe end of the story."
    with open(source, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["key", "body", "section"])
        writer.writerow(["x", body, "world"])
    out = tmp_path / "out"
    result = run("clean", str(source), "-o", str(out), "--id-field", "key", "--text-field", "body")
    assert result.exit_code == 0, result.output
    with open(out / "feed.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [{"key": "x", "body": "A story.\n\nThe end of the story.", "section": "world"}]


def test_parquet_in_parquet_out(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    source = tmp_path / "feed.parquet"
    body = "Story text here.\n\nShare this:\n\nMore story text."
    pq.write_table(pa.table({"id": ["p"], "text": [body]}), source)
    out = tmp_path / "out"
    assert run("clean", str(source), "-o", str(out)).exit_code == 0
    table = pq.read_table(out / "feed.parquet")
    assert table.column("text").to_pylist() == ["Story text here.\n\nMore story text."]


def test_skip_and_pattern_options(tmp_path):
    out = tmp_path / "out"
    result = run(
        "clean", str(CORPUS), "-o", str(out), "--skip", "teaser", "--pattern", r"^Source: .*$"
    )
    assert result.exit_code == 0
    reasons = {c["reason"] for c in read_jsonl(out / "cuts.jsonl")}
    assert "boilerplate:teaser" not in reasons and "boilerplate:user" in reasons
    config = json.loads((out / "run.json").read_text())["config"]
    assert config["clean_skip"] == ["teaser"]
    assert config["boilerplate_patterns"] == ["^Source: .*$"]


def test_bad_pattern_names_the_option(tmp_path):
    result = CliRunner().invoke(
        main, ["clean", str(CORPUS), "-o", str(tmp_path / "o"), "--pattern", "(("]
    )
    assert result.exit_code == 2
    assert result.output == (
        "Error: --pattern: bad regular expression '((': missing ), "
        "unterminated subpattern at position 1\n"
    )


def test_unknown_rule_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(
        main, ["clean", str(CORPUS), "-o", str(tmp_path / "o"), "--skip", "nope"]
    )
    assert result.exit_code == 2
    assert "Invalid value for '--skip'" in result.output


def test_output_inside_input_is_refused(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    result = CliRunner().invoke(main, ["clean", str(corpus), "-o", str(corpus / "clean")])
    assert result.exit_code == 1
    assert "output folder is inside the input folder" in result.output


def test_out_is_required():
    result = CliRunner().invoke(main, ["clean", str(CORPUS)])
    assert result.exit_code == 2
    assert "Missing option '-o' / '--out'" in result.output


def test_bad_record_is_skipped_reported_and_left_out(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "broken.txt").write_bytes(b"\x00\x01binary")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["clean", str(corpus), "-o", str(out)])
    assert result.exit_code == 0
    assert f"skipped: {corpus / 'broken.txt'}: binary file, not text" in result.output
    assert not (out / "corpus" / "broken.txt").exists()
    rejects = read_jsonl(out / "rejects.jsonl")
    assert [r["reason"] for r in rejects] == ["binary file, not text"]
    strict = CliRunner().invoke(
        main, ["clean", str(corpus), "-o", str(tmp_path / "o2"), "--strict"]
    )
    assert strict.exit_code == 1
    assert strict.output == f"Error: {corpus / 'broken.txt'}: binary file, not text\n"
    assert not (tmp_path / "o2").exists()
