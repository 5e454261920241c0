"""The Python runtime settings a scan makes for its process (dedup.cli.runtime): no garbage
collection while it runs, and no OpenBLAS threads."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from dedup.cli import main, runtime
from dedup.plain_kernels import SMALL_INPUT_CHARS
from tests.conftest import CORPUS

ROOT = Path(__file__).resolve().parents[2]


def test_no_collection_while_it_lasts_then_as_before():
    assert gc.isenabled()
    with runtime.collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with runtime.collector_paused():
            pass
        assert not gc.isenabled()  # as it was
    finally:
        gc.enable()


def test_a_scan_runs_with_the_collector_paused(monkeypatch, tmp_path):
    seen = []

    @contextlib.contextmanager
    def spy():
        with real():
            seen.append(gc.isenabled())
            yield

    real = runtime.collector_paused
    monkeypatch.setattr(runtime, "collector_paused", spy)
    result = CliRunner().invoke(main, ["scan", str(CORPUS), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    assert seen == [False]
    assert gc.isenabled()


# a scan of corpus/ in a fresh process, then the OpenBLAS setting and the process's threads
SCAN_THEN_THREADS = """
import os, sys
from dedup.cli import main
try:
    main(["scan", sys.argv[1], "-o", sys.argv[2], "-q"])
except SystemExit as done:
    assert not done.code, done.code
print(os.environ.get("OPENBLAS_NUM_THREADS"), len(os.listdir("/proc/self/task")))
"""


def scan_in_fresh_process(tmp_path: Path, **env: str) -> tuple[str, int]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    if "OPENBLAS_NUM_THREADS" not in env:
        environment.pop("OPENBLAS_NUM_THREADS", None)
    done = subprocess.run(
        [sys.executable, "-c", SCAN_THEN_THREADS, str(CORPUS), str(tmp_path / "out")],
        capture_output=True, text=True, env=environment, cwd=ROOT, check=True,
    )  # fmt: skip
    setting, threads = done.stdout.split()
    return setting, int(threads)


def test_a_scan_starts_no_blas_thread_unless_the_user_asks(tmp_path):
    setting, threads = scan_in_fresh_process(tmp_path)
    assert setting == "1"
    assert threads == 1  # the main thread alone: numpy's OpenBLAS started none
    setting, _ = scan_in_fresh_process(tmp_path, OPENBLAS_NUM_THREADS="2")
    assert setting == "2"  # the user's own setting stands


def test_no_blas_setting_once_numpy_is_loaded(monkeypatch):
    import numpy  # noqa: F401 - loaded, as in this test process

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    assert runtime.one_blas_thread() is False
    assert "OPENBLAS_NUM_THREADS" not in os.environ


# a scan too large to run without numba, in a fresh process: which modules it loaded
SCAN_THEN_MODULES = """
import sys
from dedup.cli import main
try:
    main(["scan", sys.argv[1], "-o", sys.argv[2], "-q", "-j", "2"])
except SystemExit as done:
    assert not done.code, done.code
print("numba" in sys.modules, "scipy.linalg" in sys.modules)
"""


def test_a_scan_loads_numba_without_scipy_linalg(tmp_path):
    texts = [path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.txt"))]
    rows = [
        {"id": f"d{number:03d}", "text": f"copy {number} of it. {texts[number % len(texts)]}"}
        for number in range(80)
    ]
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    assert corpus.stat().st_size > SMALL_INPUT_CHARS  # numba's kernels, not the plain ones
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCAN_THEN_MODULES, str(corpus), str(tmp_path / "fresh")],
        capture_output=True, text=True, env=environment, cwd=ROOT, check=True,
    )  # fmt: skip
    assert done.stdout.split() == ["True", "False"]
    # the same pairs as a scan in this process, whose numba may have checked for BLAS
    result = CliRunner().invoke(main, ["scan", str(corpus), "-o", str(tmp_path / "here"), "-q"])
    assert result.exit_code == 0, result.output
    for name in ("pairs.jsonl", "passages.jsonl", "documents.jsonl", "groups.jsonl"):
        fresh = (tmp_path / "fresh" / name).read_bytes()
        assert fresh == (tmp_path / "here" / name).read_bytes()
        assert fresh.count(b"\n") > 0
