"""A scan killed with SIGKILL resumes to the same bytes, and no partial file ever shows."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

FINAL_FILES = ("pairs.jsonl", "passages.jsonl", "documents.jsonl", "rejects.jsonl", "run.json")
WORDS = [f"w{k}" for k in range(3000)]


def write_corpus(path: Path, n_docs: int) -> None:
    """Random documents, some sharing planted passages, as JSON lines."""
    rng = random.Random(7)
    passages = [" ".join(rng.choices(WORDS, k=40)) for _ in range(40)]
    with open(path, "w", encoding="utf-8") as handle:
        for doc in range(n_docs):
            body = [" ".join(rng.choices(WORDS, k=150)) for _ in range(3)]
            if doc % 4 == 0:
                body.insert(1, passages[doc % len(passages)])
            handle.write(json.dumps({"id": f"d{doc:05d}", "text": "\n\n".join(body)}) + "\n")


def scan(corpus: Path, out: Path, fault: str | None = None) -> subprocess.Popen:
    """``dedup scan`` as a process of its own; ``fault`` (``POINT=kill``) makes it die at
    that point (see dedup.faults)."""
    env = {k: v for k, v in os.environ.items() if k != "DEDUP_FAULT"}
    if fault:
        env["DEDUP_FAULT"] = fault
    return subprocess.Popen(
        [sys.executable, "-m", "dedup", "scan", str(corpus), "-o", str(out), "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def check_visible_files(out: Path) -> None:
    """Every file under a final name is complete: JSON lines parse, arrays load."""
    for name in FINAL_FILES:
        path = out / name
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        if name.endswith(".jsonl"):
            assert text == "" or text.endswith("\n")
            for line in text.splitlines():
                json.loads(line)
        else:
            json.loads(text)
    manifest = out / ".work" / "manifest.json"
    if manifest.exists():
        import numpy as np

        stages = json.loads(manifest.read_text(encoding="utf-8"))["stages"]
        for stage, arrays in stages.items():
            for array in arrays:
                np.load(out / ".work" / f"{stage}.{array}.npy")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_scan_resumes_to_identical_results(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    write_corpus(corpus, 6000)

    reference = tmp_path / "reference"
    done = scan(corpus, reference)
    assert done.wait(timeout=300) == 0, done.stderr.read()

    out = tmp_path / "out"
    # killed as it saves the candidates: the words and signatures stages are done
    running = scan(corpus, out, fault="stage:candidates=kill")
    assert running.wait(timeout=300) == -signal.SIGKILL
    manifest = json.loads((out / ".work" / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["stages"]) == ["signatures", "words"]
    check_visible_files(out)
    assert not (out / "run.json").exists()

    resumed = scan(corpus, out)
    assert resumed.wait(timeout=300) == 0
    assert "resumed: " not in resumed.stderr.read()  # -q keeps stderr quiet
    for name in FINAL_FILES:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    assert not (out / ".work").exists()


def test_resume_reuses_finished_stages_and_says_so(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from dedup.cli import main
    from dedup.workspace import Workspace

    corpus = tmp_path / "corpus.jsonl"
    write_corpus(corpus, 300)
    out = tmp_path / "out"
    # leave the work of a run that stopped after its candidates
    real_finish = Workspace.finish
    monkeypatch.setattr(Workspace, "finish", lambda self: None)
    assert CliRunner().invoke(main, ["scan", str(corpus), "-o", str(out), "-q"]).exit_code == 0
    monkeypatch.setattr(Workspace, "finish", real_finish)
    reference = (out / "pairs.jsonl").read_bytes()
    (out / "pairs.jsonl").unlink()
    calls = []
    monkeypatch.setattr("dedup.words.compute_signatures", lambda *a: calls.append(a))
    result = CliRunner().invoke(main, ["scan", str(corpus), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "resumed: " in result.output and "--force starts over" in result.output
    assert calls == []  # signatures came from the work folder
    assert (out / "pairs.jsonl").read_bytes() == reference


def test_work_of_other_settings_is_not_reused(tmp_path):
    from dedup.config import Config
    from dedup.types import Record
    from dedup.workspace import Workspace

    records = [Record("a", "some text here")]
    first = Workspace.under(tmp_path, Config().digest(), records)
    import numpy as np

    first.save("words", x=np.arange(3))
    assert Workspace.under(tmp_path, Config().digest(), records).has("words")
    assert not Workspace.under(tmp_path, Config(shingle_size=4).digest(), records).has("words")
    other_input = [Record("a", "other text")]
    assert not Workspace.under(tmp_path, Config().digest(), other_input).has("words")


def test_a_truncated_stage_file_is_redone(tmp_path):
    import numpy as np

    from dedup.config import Config
    from dedup.types import Record
    from dedup.workspace import Workspace

    records = [Record("a", "some text here")]
    work = Workspace.under(tmp_path, Config().digest(), records)
    work.save("words", x=np.arange(1000))
    path = tmp_path / ".work" / "words.x.npy"
    path.write_bytes(path.read_bytes()[:100])
    assert not Workspace.under(tmp_path, Config().digest(), records).has("words")


def test_resume_with_two_workers_fills_the_missing_chunks(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from dedup.cli import main
    from dedup.workspace import Workspace

    corpus = tmp_path / "corpus.jsonl"
    write_corpus(corpus, 300)
    out = tmp_path / "out"
    monkeypatch.setattr("dedup.verify.ALIGN_CHUNK", 8)
    real_finish = Workspace.finish
    monkeypatch.setattr(Workspace, "finish", lambda self: None)
    assert CliRunner().invoke(main, ["scan", str(corpus), "-o", str(out), "-q"]).exit_code == 0
    monkeypatch.setattr(Workspace, "finish", real_finish)
    reference = {name: (out / name).read_bytes() for name in FINAL_FILES}
    # as if the run had stopped with every other aligned chunk done
    manifest = out / ".work" / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    chunks = sorted(stage for stage in data["stages"] if stage.startswith("align-"))
    assert len(chunks) >= 4
    for stage in chunks[1::2]:
        del data["stages"][stage]
    manifest.write_text(json.dumps(data), encoding="utf-8")
    for name in FINAL_FILES:
        (out / name).unlink()
    result = CliRunner().invoke(main, ["scan", str(corpus), "-o", str(out), "-j", "2"])
    assert result.exit_code == 0, result.output
    assert "resumed: " in result.output
    assert {name: (out / name).read_bytes() for name in FINAL_FILES} == reference


def test_a_stage_file_of_the_right_size_but_other_bytes_is_redone(tmp_path):
    """Checkpoints are not fsynced: after a power cut a file may keep its size but hold
    other bytes (zeros, most often); its recorded CRC-32 makes the stage be redone."""
    import numpy as np

    from dedup.config import Config
    from dedup.types import Record
    from dedup.workspace import Workspace

    records = [Record("a", "some text here")]
    work = Workspace.under(tmp_path, Config().digest(), records)
    work.save("words", x=np.arange(1000), y=np.arange(5))
    assert Workspace.under(tmp_path, Config().digest(), records).has("words")
    path = tmp_path / ".work" / "words.x.npy"
    data = bytearray(path.read_bytes())
    data[-8:] = bytes(8)  # the last value zeroed: same size, same header
    path.write_bytes(bytes(data))
    again = Workspace.under(tmp_path, Config().digest(), records)
    assert not again.has("words")
