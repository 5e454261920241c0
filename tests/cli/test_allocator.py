"""The command line keeps freed memory for the next stage (glibc's malloc settings), and a
program that only imports dedup keeps its own."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from dedup.cli import allocator, main
from tests.conftest import CORPUS

glibc_only = pytest.mark.skipif(not allocator.is_glibc(), reason="glibc's malloc settings")

# page faults of writing byte strings of 1 to 16 MB, one after the other, each freed before
# the next, after one of 16 MB was written and freed (bytes: numpy would ask for huge pages)
REFAULTS = textwrap.dedent(
    """
    import resource, sys
    if sys.argv[1] == "keep":
        from dedup.cli.allocator import keep_freed_memory
        assert keep_freed_memory()
    data = b"x" * (16 << 20)
    del data
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for megabytes in range(1, 17):
        data = b"x" * (megabytes << 20)
        del data
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    """
)


def refaults(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", REFAULTS, mode], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


@glibc_only
def test_freed_memory_is_reused_without_new_page_faults():
    pages = (16 << 20) // 4096
    assert refaults("default") > pages // 2  # given back, then faulted in again
    assert refaults("keep") < pages // 10  # the freed memory, already backed, reused


# the same, each string made and freed on a thread of its own (a worker's job)
THREAD_REFAULTS = REFAULTS.replace(
    'for megabytes in range(1, 17):\n    data = b"x" * (megabytes << 20)\n    del data',
    "import threading\n"
    "def job(megabytes):\n"
    '    data = b"x" * (megabytes << 20)\n'
    "    del data\n"
    "for megabytes in range(1, 17):\n"
    "    worker = threading.Thread(target=job, args=(megabytes,))\n"
    "    worker.start()\n"
    "    worker.join()",
)


@glibc_only
def test_freed_memory_is_reused_by_the_worker_threads_too():
    assert THREAD_REFAULTS != REFAULTS
    pages = (16 << 20) // 4096
    done = subprocess.run(
        [sys.executable, "-c", THREAD_REFAULTS, "keep"], capture_output=True, text=True, check=True
    )
    assert int(done.stdout) < pages // 10


def test_a_command_asks_for_it_and_importing_dedup_does_not(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(allocator, "keep_freed_memory", lambda: calls.append(1) or True)
    import dedup.api  # noqa: F401 - the API alone: no call

    assert calls == []
    result = CliRunner().invoke(main, ["scan", str(CORPUS), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    assert calls == [1]


def test_elsewhere_than_on_glibc_it_does_nothing(monkeypatch):
    monkeypatch.setattr(allocator, "is_glibc", lambda: False)
    assert allocator.keep_freed_memory() is False


def thp_enabled(code: str) -> str | None:
    """The THP_enabled value of /proc/self/status after ``code`` runs in a fresh process
    whose huge pages were first turned back on (this process may have turned them off for
    itself and its children, by running a command)."""
    check = (
        "import ctypes; ctypes.CDLL(None).prctl(41, 0, 0, 0, 0)\n"
        + code
        + "\nprint(' '.join(l.split()[1] for l in open('/proc/self/status') if 'THP_en' in l))"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    return done.stdout.strip() or None


linux_thp = pytest.mark.skipif(
    not sys.platform.startswith("linux") or thp_enabled("") is None,
    reason="Linux's per-process huge page setting (shown by kernels since 6.x)",
)


@linux_thp
def test_huge_pages_are_turned_off_for_the_process():
    assert thp_enabled("") == "1"
    turned_off = "from dedup.cli.allocator import no_huge_pages; assert no_huge_pages()"
    assert thp_enabled(turned_off) == "0"


def test_a_command_turns_huge_pages_off_and_importing_dedup_does_not(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(allocator, "no_huge_pages", lambda: calls.append(1) or True)
    import dedup.api  # noqa: F401 - the API alone: no call

    assert calls == []
    result = CliRunner().invoke(main, ["scan", str(CORPUS), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    assert calls == [1]
