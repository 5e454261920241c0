"""Atomic file output: a reader sees the old file or the whole new one, never a part."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from dedup.faults import fault_point


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", *, durable: bool = True) -> Iterator[IO]:
    """Write ``path`` through a temporary file in the same folder, fsync it, then rename it
    into place. If the block raises, the temporary file is removed and ``path`` is untouched.

    ``durable=False`` leaves out the fsync: the rename is still atomic, and the file outlives
    the process being killed (the system holds it), but not a power cut or system crash, after
    which it may hold anything; for scratch files whose reader checks them (the resume
    checkpoints of :mod:`dedup.workspace` carry a checksum).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        encoding = None if "b" in mode else "utf-8"
        newline = None if "b" in mode else "\n"
        os.chmod(tmp_name, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as handle:
            yield handle
            fault_point(f"flush:{target.name}", target)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def fsync_folder(folder: str | os.PathLike) -> None:
    """Make the renames in ``folder`` durable (where the system allows a folder's fsync)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems do not sync folders; the renames are still atomic
    finally:
        os.close(descriptor)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
