"""Nothing lost, whatever the user types: inputs never touched, outputs replaced as a set.

Each command is made to die (SIGKILL) or fail (a full disk, no permission) at every named
point of its write steps (see ``dedup.faults``), in a folder that holds an earlier complete
run; the folder must then hold the old complete set, the new complete set, or be marked
incomplete, with the input untouched. A rerun then leaves the new set and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import main
from dedup.outputs import MARKER, STAGING_PREFIX, output_names, run_complete

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
COMMANDS = ("scan", "clean", "stories", "chains", "report", "index query")


def seed_rows() -> list[dict[str, str]]:
    return [
        {"id": path.stem, "text": path.read_text(encoding="utf-8"), "outlet": f"outlet {k}"}
        for k, path in enumerate(sorted(CORPUS.glob("*.txt")))
    ]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def checksums(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (names relative to it)."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def argv(command: str, feed: Path, out: Path, index: Path) -> list[str]:
    if command == "index query":
        return ["index", "query", str(index), str(feed), "-o", str(out), "-q"]
    return [command, str(feed), "-o", str(out), "-q"]


def run_dedup(args: list[str], fault: str | None = None) -> subprocess.CompletedProcess:
    """``dedup ARGS`` as a process of its own (with ``DEDUP_FAULT=fault``)."""
    env = {k: v for k, v in os.environ.items() if k != "DEDUP_FAULT"}
    if fault:
        env["DEDUP_FAULT"] = fault
    return subprocess.run(
        [sys.executable, "-m", "dedup", *args], env=env, capture_output=True, text=True
    )


def run_forked(args: list[str], fault: str | None = None) -> int:
    """``dedup ARGS`` in a forked copy of this process (its imports and compiled kernels
    already loaded, so a run takes milliseconds, not a second of start-up); its exit
    status, or minus the signal that ended it."""
    pid = os.fork()
    if pid == 0:  # the child: run the command, never return into pytest
        code = 99
        try:
            os.environ.pop("DEDUP_FAULT", None)
            if fault:
                os.environ["DEDUP_FAULT"] = fault
            code = CliRunner().invoke(main, args).exit_code
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def fault_points(command: str) -> list[str]:
    """Every named point of the write steps of ``command``: each file half-written in the
    staging folder, the swap's start, and each file moved into place (run.json last)."""
    names = output_names(command, "feed.jsonl" if command == "clean" else None)
    return [f"flush:{name}" for name in names] + ["swap:begin"] + [f"swap:{n}" for n in names]


def rerun_after(point: str, command: str) -> bool:
    """Whether the kill at ``point`` is followed by a rerun that must leave only the new set
    (one point of each phase, to keep the suite short)."""
    points = fault_points(command)
    return point in (points[0], "swap:begin", "swap:run.json")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """An old input (four seeds) and a new one (all five, other outlets), an index, an
    earlier complete run of each command on the old input, and a reference run of each on
    the new input."""
    root = tmp_path_factory.mktemp("nothing-lost")
    rows = seed_rows()
    old_feed, new_feed = root / "old" / "feed.jsonl", root / "new" / "feed.jsonl"
    old_feed.parent.mkdir()
    new_feed.parent.mkdir()
    write_jsonl(old_feed, rows[:4])
    write_jsonl(new_feed, [{**row, "outlet": "other"} for row in rows])
    index = root / "index.sqlite"
    assert run_forked(["index", "add", str(index), str(old_feed), "-q"]) == 0
    old_runs, references = {}, {}
    for command in COMMANDS:
        key = command.replace(" ", "-")
        for feed, where, store in ((old_feed, "old", old_runs), (new_feed, "new", references)):
            out = root / f"{where}-{key}"
            assert run_forked(argv(command, feed, out, index)) == 0
            store[command] = out
    return root, old_feed, new_feed, index, old_runs, references


def state_of(out: Path, old: Path, new: Path) -> str:
    """``old`` or ``new`` when ``out`` holds exactly that complete set, ``incomplete`` when
    it is marked so; anything else is a failure."""
    if (out / MARKER).exists():
        marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
        assert marker["tool"] == "dedup" and "run.json" in marker["writing"]
        return "incomplete"
    scratch = (STAGING_PREFIX, ".work/")  # staging and the resume stages: not outputs
    files = {k: v for k, v in checksums(out).items() if not k.startswith(scratch)}
    if files == checksums(old):
        return "old"
    if files == checksums(new):
        return "new"
    raise AssertionError(f"{out} holds a mix: {sorted(files)}")


def kill_case(world, command: str, point: str) -> tuple[str, str, str]:
    root, _old_feed, new_feed, index, old_runs, references = world
    key = f"{command.replace(' ', '-')}-{point.replace(':', '-')}"
    out = root / "killed" / key
    shutil.copytree(old_runs[command], out)
    before = checksums(new_feed.parent)
    index_before = hashlib.sha256(index.read_bytes()).hexdigest()
    killed = run_forked(argv(command, new_feed, out, index), fault=f"{point}=kill")
    state = state_of(out, old_runs[command], references[command])
    assert checksums(new_feed.parent) == before, "the input changed"
    assert hashlib.sha256(index.read_bytes()).hexdigest() == index_before
    if rerun_after(point, command):
        assert run_forked(argv(command, new_feed, out, index)) == 0
        assert checksums(out) == checksums(references[command]), f"{key}: rerun left extras"
        assert run_complete(out)
    return key, state, killed


def test_a_kill_at_any_write_step_leaves_old_new_or_marked_incomplete(world):
    cases = [(command, point) for command in COMMANDS for point in fault_points(command)]
    results = [kill_case(world, command, point) for command, point in cases]
    states = {key: state for key, state, _ in results}
    assert all(code == -9 for _, _, code in results), results  # each was really killed
    # before the swap the old set stands; during it the folder says it is incomplete
    for key, state in states.items():
        if "-flush-" in key or key.endswith("swap-begin"):
            assert state == "old", (key, state)
        else:
            assert state == "incomplete", (key, state)


def test_a_kill_in_a_real_process_leaves_the_folder_marked_incomplete(world):
    root, _old_feed, new_feed, index, old_runs, references = world
    out = root / "killed-process"
    shutil.copytree(old_runs["scan"], out)
    killed = run_dedup(argv("scan", new_feed, out, index), fault="swap:passages.jsonl=kill")
    assert killed.returncode == -9
    assert state_of(out, old_runs["scan"], references["scan"]) == "incomplete"
    assert not run_complete(out)


@pytest.mark.parametrize("action", ["enospc", "eacces"])
@pytest.mark.parametrize("point", ["write:passages.jsonl", "swap:begin", "swap:documents.jsonl"])
def test_a_full_disk_or_refused_write_is_one_line_and_loses_nothing(world, point, action):
    root, _old_feed, new_feed, index, old_runs, references = world
    out = root / "failed" / f"{point.replace(':', '-')}-{action}"
    shutil.copytree(old_runs["scan"], out)
    result = run_dedup(argv("scan", new_feed, out, index), fault=f"{point}={action}")
    assert result.returncode == 1
    message = result.stderr.strip()
    assert "\n" not in message and "internal error" not in message
    assert str(out) in message  # it names the path
    reason = "No space left on device" if action == "enospc" else "Permission denied"
    assert message.endswith(reason)
    assert state_of(out, old_runs["scan"], references["scan"]) in ("old", "incomplete")
    assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]


def test_a_killed_spilled_scan_leaves_scratch_the_next_run_removes(world):
    root, _old_feed, new_feed, _index, _old_runs, references = world
    out = root / "spilled"
    args = ["scan", str(new_feed), "-o", str(out), "-q", "--spill", "always"]
    killed = run_dedup(args, fault="spill:candidates=kill")
    assert killed.returncode == -9
    assert [p.name[:12] for p in (out / ".work").iterdir()] == ["dedup-spill-"]
    assert run_dedup(args).returncode == 0
    assert not (out / ".work").exists()
    assert checksums(out) == checksums(references["scan"])


# --- the guard: no input and no file dedup did not write is ever replaced -----------------


def invoke(args: list[str]):
    return CliRunner().invoke(main, args)


def test_clean_into_the_folder_of_its_input_file_is_refused(tmp_path, monkeypatch):
    write_jsonl(tmp_path / "feed.jsonl", seed_rows())
    before = checksums(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = invoke(["clean", "feed.jsonl", "-o", "."])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: .: writing feed.jsonl there would replace the input feed.jsonl; "
        "choose another output folder"
    )
    assert checksums(tmp_path) == before


def test_scan_of_a_file_named_like_its_output_is_refused(tmp_path, monkeypatch):
    write_jsonl(tmp_path / "documents.jsonl", seed_rows())
    before = checksums(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = invoke(["scan", "documents.jsonl", "-o", "."])
    assert result.exit_code == 1
    assert "would replace the input documents.jsonl" in result.output
    assert checksums(tmp_path) == before


def test_clean_of_a_folder_into_its_parent_is_refused(tmp_path):
    corpus = tmp_path / "X" / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "notes.md").write_text("mine", encoding="utf-8")
    mode = corpus.stat().st_mode
    before = checksums(tmp_path)
    result = invoke(["clean", str(corpus), "-o", str(tmp_path / "X")])
    assert result.exit_code == 1
    assert "would replace the input" in result.output
    assert checksums(tmp_path) == before
    assert corpus.stat().st_mode == mode


def test_a_work_folder_of_the_users_is_never_removed(tmp_path):
    (tmp_path / "P" / ".work" / "mine").mkdir(parents=True)
    write_jsonl(tmp_path / "in.jsonl", seed_rows())
    result = invoke(["scan", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "P")])
    assert result.exit_code == 1
    assert ".work: exists and was not written by dedup" in result.output
    assert (tmp_path / "P" / ".work" / "mine").is_dir()


def test_a_file_dedup_did_not_write_is_never_replaced(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "pairs.jsonl").write_text("my own pairs\n", encoding="utf-8")
    result = invoke(["scan", str(CORPUS), "-o", str(out)])
    assert result.exit_code == 1
    assert "pairs.jsonl: exists and was not written by dedup" in result.output
    assert (out / "pairs.jsonl").read_text(encoding="utf-8") == "my own pairs\n"


def test_a_new_run_replaces_the_old_set_and_keeps_other_files(tmp_path):
    out = tmp_path / "out"
    assert invoke(["scan", str(CORPUS), "-o", str(out), "-q"]).exit_code == 0
    (out / "notes.md").write_text("mine", encoding="utf-8")
    assert invoke(["stories", str(CORPUS), "-o", str(out), "-q"]).exit_code == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["notes.md", "rejects.jsonl", "run.json", "stories.jsonl"]
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["command"] == "stories"


def test_the_api_writer_refuses_to_replace_an_input(tmp_path):
    from dedup.errors import StageError
    from dedup.pipeline import scan
    from dedup.types import Record
    from dedup.writers import write_scan

    feed = tmp_path / "pairs.jsonl"
    write_jsonl(feed, seed_rows())
    result = scan([Record(row["id"], row["text"]) for row in seed_rows()])
    with pytest.raises(StageError, match="would replace the input"):
        write_scan(result, tmp_path, inputs=[str(feed)])
    assert feed.read_text(encoding="utf-8").count("\n") == 5


def test_an_index_is_never_written_over_an_input(tmp_path):
    write_jsonl(tmp_path / "feed.jsonl", seed_rows())
    before = checksums(tmp_path)
    result = invoke(["index", "add", str(tmp_path / "feed.jsonl"), str(tmp_path / "feed.jsonl")])
    assert result.exit_code == 1
    assert "the index would be written over the input" in result.output
    assert checksums(tmp_path) == before


def test_an_output_under_a_file_is_one_line_naming_the_path(tmp_path):
    write_jsonl(tmp_path / "feed.jsonl", seed_rows())
    out = tmp_path / "feed.jsonl" / "out"
    result = invoke(["scan", str(tmp_path / "feed.jsonl"), "-o", str(out), "-q"])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {tmp_path / 'feed.jsonl'}")
    assert "internal error" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-j", "99999999999999999999"], "is not in the range 0<=x<=4096"),
        (["-j", "2147483648"], "is not in the range 0<=x<=4096"),
        (["--top", "-3"], "-3 is not in the range x>=0"),
    ],
)
def test_absurd_numbers_are_usage_errors(args, message):
    result = invoke(["scan", str(CORPUS), "-q", *args])
    assert result.exit_code == 2
    assert message in result.output
