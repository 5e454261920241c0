"""`dedup scan` end to end through click's CliRunner."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from dedup.cli import main
from tests.conftest import CORPUS, SEED_IDS

ID = SEED_IDS


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    out = tmp_path_factory.mktemp("scan") / "out"
    result = run("scan", str(CORPUS), "-o", str(out))
    assert result.exit_code == 0, result.output
    return out, result


def test_writes_every_file(scanned):
    out, _ = scanned
    assert sorted(p.name for p in out.iterdir()) == [
        "documents.jsonl",
        "pairs.jsonl",
        "passages.jsonl",
        "rejects.jsonl",
        "run.json",
    ]


def test_pairs_file_has_the_three_linked_pairs(scanned):
    out, _ = scanned
    pairs = read_jsonl(out / "pairs.jsonl")
    assert [(p["a"], p["b"]) for p in pairs] == [
        (ID["000"], ID["001"]),
        (ID["000"], ID["002"]),
        (ID["001"], ID["002"]),
    ]
    first = pairs[0]
    assert set(first) >= {
        "words_a",
        "reused_words_a",
        "reused_fraction_a",
        "jaccard",
        "containment_a",
        "containment_b",
        "passages",
    }
    assert first["jaccard"] == pytest.approx(0.049, abs=0.005)


def test_witness_offsets_are_the_printed_passage(scanned):
    out, _ = scanned
    texts = {i: (CORPUS / f"{i}.txt").read_bytes().decode("utf-8") for i in ID.values()}
    passages = read_jsonl(out / "passages.jsonl")
    kerry = [p for p in passages if "show a little grace" in p["text"] and p["docs"] > 1]
    assert len(kerry) == 1
    assert {w["doc"] for w in kerry[0]["witnesses"]} == {ID["000"], ID["001"]}
    for passage in passages:
        printed = [texts[w["doc"]][w["start"] : w["end"]] for w in passage["witnesses"]]
        assert passage["text"] in printed


def test_pair_passages_point_at_passage_clusters(scanned):
    out, _ = scanned
    ids = {p["id"] for p in read_jsonl(out / "passages.jsonl")}
    for pair in read_jsonl(out / "pairs.jsonl"):
        assert pair["passages"]
        assert {x["passage"] for x in pair["passages"]} <= ids


def test_run_json_holds_config_counts_and_version(scanned):
    out, _ = scanned
    run_json = json.loads((out / "run.json").read_text())
    assert run_json["version"]
    assert run_json["config"]["shingle_size"] == 5
    assert run_json["lsh"]["bands"] * run_json["lsh"]["rows"] <= run_json["config"]["num_perm"]
    assert run_json["counts"]["documents"] == 5
    assert run_json["counts"]["pairs"] == 3


def test_terminal_summary_and_top_pairs(scanned):
    _, result = scanned
    assert "documents read" in result.output
    assert "top linked pairs" in result.output
    assert ID["000"] in result.output


def test_same_input_gives_byte_identical_files(scanned, tmp_path):
    out, _ = scanned
    shuffled = tmp_path / "corpus"
    shutil.copytree(CORPUS, shuffled)
    again = tmp_path / "again"
    assert run("scan", str(shuffled), "-o", str(again)).exit_code == 0
    for name in ("pairs.jsonl", "passages.jsonl"):
        assert (again / name).read_bytes() == (out / name).read_bytes()


def test_config_from_run_json_repeats_the_run(scanned, tmp_path):
    out, _ = scanned
    again = tmp_path / "again"
    result = run("scan", str(CORPUS), "-o", str(again), "--config", str(out / "run.json"))
    assert result.exit_code == 0, result.output
    assert (again / "pairs.jsonl").read_bytes() == (out / "pairs.jsonl").read_bytes()


def test_jsonl_from_standard_input(tmp_path):
    lines = [
        json.dumps({"id": short, "text": (CORPUS / f"{full}.txt").read_text(encoding="utf-8")})
        for short, full in ID.items()
    ]
    out = tmp_path / "out"
    result = run("scan", "-", "-o", str(out), input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    pairs = read_jsonl(out / "pairs.jsonl")
    assert [(p["a"], p["b"]) for p in pairs] == [("000", "001"), ("000", "002"), ("001", "002")]


def test_without_out_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("scan", str(CORPUS))
    assert result.exit_code == 0
    assert "no files written" in result.output
    assert list(tmp_path.iterdir()) == []


def test_quiet_prints_nothing(tmp_path):
    result = run("scan", str(CORPUS), "-o", str(tmp_path / "out"), "--quiet")
    assert result.exit_code == 0
    assert result.output == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shingle-size", "0"], "Error: --shingle-size: must be between 1 and 32, got 0\n"),
        (["--threshold", "1.5"], "Error: --threshold: must be in (0.0, 1.0], got 1.5\n"),
        (
            ["--bands", "10", "--rows", "10"],
            "Error: --bands: bands × rows must equal num_perm: 10 × 10 = 100, num_perm = 128\n",
        ),
        (
            ["--bands", "16"],
            "Error: --rows: give both bands and rows, or neither (derived from threshold)\n",
        ),
        (
            ["--min-passage-words", "3"],
            "Error: --min-passage-words: must be at least shingle_size (5), got 3\n",
        ),
    ],
)
def test_bad_settings_name_the_option(args, message):
    result = CliRunner().invoke(main, ["scan", str(CORPUS), *args])
    assert result.exit_code == 2
    assert result.output == message


def test_missing_input_is_one_line(tmp_path):
    missing = tmp_path / "nope"
    result = CliRunner().invoke(main, ["scan", str(missing)])
    assert result.exit_code == 1
    assert result.output == f"Error: {missing}: no such file or directory\n"


def test_output_inside_input_is_refused(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    result = CliRunner().invoke(main, ["scan", str(corpus), "-o", str(corpus / "out")])
    assert result.exit_code == 1
    assert "output folder is inside the input folder" in result.output
    assert not (corpus / "out").exists()


def test_bad_record_is_skipped_and_reported(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "broken.txt").write_bytes(b"caf\xe9 au lait\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["scan", str(corpus), "-o", str(out)])
    assert result.exit_code == 0
    assert "skipped: " in result.output and "broken.txt" in result.output
    rejects = read_jsonl(out / "rejects.jsonl")
    assert len(rejects) == 1 and "broken.txt" in rejects[0]["source"]
    assert json.loads((out / "run.json").read_text())["counts"]["rejected"] == 1


def test_strict_stops_at_the_bad_record(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "broken.txt").write_bytes(b"caf\xe9 au lait\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["scan", str(corpus), "-o", str(out), "--strict"])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {corpus / 'broken.txt'}:1: ")
    assert len(result.output.splitlines()) == 1
    assert not out.exists()


def test_python_dash_m_runs_the_cli():
    done = subprocess.run(
        [sys.executable, "-m", "dedup", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout.startswith("dedup, version ")


def scan_files(out) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(out.iterdir())}


@pytest.mark.parametrize("workers", ["1", "2"])
def test_spilling_writes_the_same_files(tmp_path, workers):
    kept = tmp_path / "kept"
    spilled = tmp_path / "spilled"
    assert run("scan", str(CORPUS), "-o", str(kept), "--spill", "never", "-q").exit_code == 0
    result = run("scan", str(CORPUS), "-o", str(spilled), "--spill", "always", "-j", workers, "-q")
    assert result.exit_code == 0, result.output
    assert scan_files(spilled) == scan_files(kept)  # no .work left behind either


def test_auto_spills_a_corpus_above_the_limit(tmp_path, monkeypatch):
    import dedup.api
    import dedup.spilled

    calls = []

    def spy(records, *args, **kwargs):
        calls.append(kwargs["spill_dir"])
        return dedup.spilled.scan_spilled(records, *args, **kwargs)

    monkeypatch.setattr(dedup.api, "scan_spilled", spy)
    small = tmp_path / "small"
    assert run("scan", str(CORPUS), "-o", str(small), "-q").exit_code == 0
    assert calls == []  # the seeds are far below the limit
    monkeypatch.setattr(dedup.api, "SPILL_ABOVE_CHARS", 10_000)
    large = tmp_path / "large"
    result = CliRunner().invoke(main, ["scan", str(CORPUS), "-o", str(large)])
    assert result.exit_code == 0
    assert calls == [large / ".work"]
    assert scan_files(large) == scan_files(small)
    spilled = (
        "spilled: the corpus was held on disk a part at a time (its text passed 10,000 characters)"
    )
    assert spilled in result.output


def test_spill_dir_holds_the_scratch_only_while_it_runs(tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    result = run("scan", str(CORPUS), "--spill", "always", "--spill-dir", str(scratch), "-q")
    assert result.exit_code == 0, result.output
    assert list(scratch.iterdir()) == []
    made = tmp_path / "made" / "here"
    result = run("scan", str(CORPUS), "--spill", "always", "--spill-dir", str(made), "-q")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "made").exists()


def test_spilling_nothing_readable_is_the_same_error(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"")
    kept = CliRunner().invoke(main, ["scan", str(folder), "--spill", "never"])
    spilled = CliRunner().invoke(main, ["scan", str(folder), "--spill", "always"])
    assert kept.exit_code == spilled.exit_code == 1
    assert spilled.output == kept.output
    assert spilled.output.endswith("no documents with text to read (1 record(s) skipped)\n")


def test_a_failed_spilled_scan_leaves_no_output_folder(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"")
    out = tmp_path / "new" / "out"
    result = CliRunner().invoke(main, ["scan", str(folder), "-o", str(out), "--spill", "always"])
    assert result.exit_code == 1
    assert not (tmp_path / "new").exists()


def test_a_spill_dir_that_cannot_be_made_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(
        main, ["scan", str(CORPUS), "--spill", "always", "--spill-dir", str(blocker / "sub")]
    )
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {blocker / 'sub'}: cannot keep the spill files there: Not a directory "
        "(free some space, or choose another folder with --spill-dir)\n"
    )


def copies_feed(tmp_path, copies: int = 12):
    """A story carried ``copies`` times (other spacing each time) beside the seeds."""
    story = (CORPUS / f"{ID['000']}.txt").read_text(encoding="utf-8")
    rows = [
        {"id": f"copy-{k:03d}", "text": story.replace("\n", "\n" + " " * (k % 3))}
        for k in range(copies)
    ]
    rows += [
        {"id": path.stem, "text": path.read_text(encoding="utf-8")}
        for path in sorted(CORPUS.glob("*.txt"))
    ]
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return feed


@pytest.mark.parametrize("spill", ["never", "always"])
def test_copies_are_one_group_written_once(tmp_path, spill):
    out = tmp_path / "out"
    result = run("scan", str(copies_feed(tmp_path)), "-o", str(out), "--spill", spill)
    assert result.exit_code == 0, result.output
    (group,) = read_jsonl(out / "groups.jsonl")
    assert group["exact"] and group["docs"] == 13 and group["implied_pairs"] == 78
    assert group["representative"] == ID["000"]
    members = {m["doc"] for m in group["members"]} | {group["representative"]}
    pairs = read_jsonl(out / "pairs.jsonl")
    assert not [p for p in pairs if p["a"] in members and p["b"] in members]
    run_json = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run_json["counts"]["copy_groups"] == 1
    assert run_json["outputs"]["groups.jsonl"] == 1
    assert "pairs implied by groups" in result.output


def test_expand_pairs_writes_every_pair_as_without_groups(tmp_path):
    feed = copies_feed(tmp_path)
    out = tmp_path / "out"
    assert run("scan", str(feed), "-o", str(out), "--expand-pairs").exit_code == 0
    assert not (out / "groups.jsonl").exists()
    pairs = read_jsonl(out / "pairs.jsonl")
    members = {f"copy-{k:03d}" for k in range(12)} | {ID["000"]}
    assert len([p for p in pairs if p["a"] in members and p["b"] in members]) == 78


def test_a_run_without_groups_removes_the_groups_of_the_last(tmp_path):
    out = tmp_path / "out"
    assert run("scan", str(copies_feed(tmp_path)), "-o", str(out)).exit_code == 0
    assert (out / "groups.jsonl").exists()
    assert run("scan", str(CORPUS), "-o", str(out)).exit_code == 0
    assert not (out / "groups.jsonl").exists()
