"""A run's output files, written as a set: a folder holds one complete run or says it is
incomplete, never a mix, and never loses a file that ``dedup`` did not write.

How a set is written (:class:`OutputSet`):

1. :func:`check_output` refuses (:class:`StageError`, one line) an output folder that is a
   file, that is or lies inside an input folder, where writing would replace or delete an
   input, or that holds a file of one of the run's names (or a ``.work`` folder) that
   ``dedup`` did not write. What ``dedup`` wrote is what the folder's ``run.json`` lists
   (or the marker of an unfinished swap).
2. Every file is written into a staging folder inside the output folder
   (``.dedup-staging-PID-…``), each flushed to disk.
3. The swap: ``run.incomplete.json`` is written, the old ``run.json`` removed, each new
   file renamed into place, the old run's other files removed, the new ``run.json`` renamed
   into place, and the marker removed. A process killed before the swap leaves the old set
   complete; killed during it, the folder has ``run.incomplete.json`` and no ``run.json``
   of the new run: a reader knows not to trust it.
4. The next run in the same folder removes what a killed run left: staging folders whose
   process is gone, temporary files, the marker.

A folder holds a complete run when ``run.json`` is there and ``run.incomplete.json`` is
not.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from dedup.atomic import atomic_write, fsync_folder
from dedup.errors import StageError
from dedup.faults import fault_point
from dedup.formats import formatted_name

#: Version of the output files' fields (docs/outputs.md), written in every run.json: it
#: changes when a field is renamed, removed or changes meaning (not when one is added).
SCHEMA_VERSION = 2  # 2: a document's id is `doc` in documents.jsonl and rejects.jsonl too

RUN = "run.json"
MARKER = "run.incomplete.json"
WORK_DIR = ".work"  # the resume and spill scratch of a run (see dedup.workspace)
WORK_MARK = ".dedup-work"  # inside WORK_DIR: dedup made this folder
STAGING_PREFIX = ".dedup-staging-"
SCRATCH_PREFIX = "dedup-spill-"

OUTPUT_NAMES: dict[str, tuple[str, ...]] = {
    "scan": ("pairs.jsonl", "passages.jsonl", "documents.jsonl", "rejects.jsonl", RUN),
    "index query": ("pairs.jsonl", "passages.jsonl", "documents.jsonl", "rejects.jsonl", RUN),
    "clean": ("cuts.jsonl", "duplicates.jsonl", "rejects.jsonl", RUN),  # + the corpus
    "stories": ("stories.jsonl", "rejects.jsonl", RUN),
    "chains": (
        "chains.jsonl",
        "passages.jsonl",
        "articles.jsonl",
        "outlets.jsonl",
        "chains.graphml",
        "chains.json",
        "rejects.jsonl",
        RUN,
    ),
    "report": ("report.html", "rejects.jsonl", RUN),
}


def output_names(
    command: str, corpus_name: str | None = None, output_format: str = "jsonl"
) -> tuple[str, ...]:
    """The names ``command`` writes into its output folder (clean: with its corpus), its
    row files in ``output_format`` (``pairs.parquet``; see :mod:`dedup.formats`)."""
    names = tuple(formatted_name(name, output_format) for name in OUTPUT_NAMES[command])
    return (corpus_name, *names) if corpus_name else names


def _plain_name(name: object) -> bool:
    """A name that stays inside the folder it is joined to."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and "/" not in name
        and "\\" not in name
        and "\x00" not in name
    )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def run_record(out: Path) -> dict[str, Any] | None:
    """The ``run.json`` a ``dedup`` run wrote in folder ``out``; None where there is none
    (or it is not dedup's, or cannot be read)."""
    run = _read_json(out / RUN)
    return run if isinstance(run, dict) and run.get("tool") == "dedup" else None


def dedup_names(out: Path) -> set[str]:
    """The names in ``out`` that a ``dedup`` run wrote: ``run.json`` and what it lists, and
    what the marker of an unfinished swap lists."""
    owned: set[str] = set()
    run = run_record(out)
    if run is not None:
        owned.add(RUN)
        outputs = run.get("outputs")
        if isinstance(outputs, dict):
            owned.update(name for name in outputs if _plain_name(name))
    marker = _read_json(out / MARKER)
    if isinstance(marker, dict) and marker.get("tool") == "dedup":
        owned.update({MARKER, RUN})
        for key in ("writing", "old"):
            names = marker.get(key)
            if isinstance(names, list):
                owned.update(name for name in names if _plain_name(name))
    return owned


def is_dedup_work(folder: Path) -> bool:
    """Whether ``folder`` (an output folder's ``.work``) was made by ``dedup``: it holds the
    mark file or a resume manifest, or only spill scratch, or nothing at all."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    if (folder / WORK_MARK).is_file():
        return True
    manifest = _read_json(folder / "manifest.json")
    if isinstance(manifest, dict) and {"format_version", "config_digest"} <= set(manifest):
        return True
    return all(entry.name.startswith(SCRATCH_PREFIX) for entry in folder.iterdir())


def check_output(
    out_dir: str | os.PathLike, inputs: Iterable[str | os.PathLike] = (), names: Sequence[str] = ()
) -> None:
    """Refuse an output folder where writing ``names`` could lose anything.

    Raises
    ------
    StageError
        When ``out_dir`` is a file; is or lies inside an input folder; when a file the run
        would write or remove there is an input (or holds one); or when a file of one of
        ``names`` (or a ``.work`` folder) is there that ``dedup`` did not write.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise StageError(f"{out_dir}: output must be a folder, and this is a file")
    where = out.resolve()
    owned = dedup_names(out) if out.is_dir() else set()
    touched = set(names) | owned | {WORK_DIR, MARKER}
    for name in inputs:
        if str(name) == "-":
            continue
        source = Path(name).resolve()
        if source.is_dir() and (where == source or source in where.parents):
            raise StageError(
                f"{out_dir}: output folder is inside the input folder {name}; choose another"
            )
        for entry in sorted(touched):
            target = where / entry
            if source == target or target in source.parents:
                raise StageError(
                    f"{out_dir}: writing {entry} there would replace the input {name}; "
                    "choose another output folder"
                )
    for entry in names:
        path = out / entry
        if os.path.lexists(path) and entry not in owned:
            raise StageError(
                f"{path}: exists and was not written by dedup; choose a new or empty output "
                "folder, or move it away"
            )
    work = out / WORK_DIR
    if os.path.lexists(work) and not is_dedup_work(work):
        raise StageError(
            f"{work}: exists and was not written by dedup (dedup keeps its scratch there); "
            "choose another output folder, or move it away"
        )


def process_alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this machine (ours, or another user's)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_PID_NAME = re.compile(r"-(\d+)-")


def remove_stale(folder: Path, prefix: str) -> list[Path]:
    """Remove ``folder``'s entries named ``prefix`` + ``PID-…`` whose process is gone (what
    a killed run left); return them."""
    removed = []
    with contextlib.suppress(OSError):
        for entry in sorted(folder.iterdir()):
            if not entry.name.startswith(prefix):
                continue
            found = _PID_NAME.match(entry.name, len(prefix) - 1)
            if found is None or process_alive(int(found.group(1))):
                continue
            _remove(entry)
            removed.append(entry)
    return removed


def _remove(path: Path) -> None:
    """Remove a file, a link or a folder tree (whichever ``path`` is)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _remove_temporaries(out: Path, names: Iterable[str]) -> None:
    """Temporary files of ``atomic_write`` for ``names`` that a killed run left in ``out``."""
    for name in names:
        for leftover in out.glob(f".{glob.escape(name)}.*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()


class OutputSet:
    """The files of one run, staged, then swapped into ``out_dir`` as a set.

    Use as a context manager; write each file at :meth:`path`, then call :meth:`commit`
    with ``run.json``'s content. Leaving the block without committing (an error) removes
    the staging folder and leaves ``out_dir`` as it was.

    Parameters
    ----------
    out_dir : path
        The output folder; made if missing (and removed again if the run fails).
    names : sequence of str
        Every file (or folder) the run writes, ``run.json`` included.
    inputs : iterable of path or "-"
        The run's inputs, which nothing may replace (see :func:`check_output`).
    """

    def __init__(
        self,
        out_dir: str | os.PathLike,
        names: Sequence[str],
        *,
        inputs: Iterable[str | os.PathLike] = (),
    ) -> None:
        self.out = Path(out_dir)
        self.names = tuple(dict.fromkeys(names))
        self.inputs = [str(name) for name in inputs]
        self.staging: Path | None = None
        self._made: list[Path] = []
        self._committed = False

    def __enter__(self) -> OutputSet:
        check_output(self.out, self.inputs, self.names)
        self._made = [p for p in (*reversed(self.out.parents), self.out) if not p.exists()]
        self.out.mkdir(parents=True, exist_ok=True)
        remove_stale(self.out, STAGING_PREFIX)
        _remove_temporaries(self.out, {*self.names, *dedup_names(self.out), MARKER})
        self.staging = Path(
            tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=self.out)
        )
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
        if not self._committed:
            for path in reversed(self._made):
                with contextlib.suppress(OSError):
                    path.rmdir()  # only when empty

    def path(self, name: str) -> Path:
        """Where to write the output ``name`` (in the staging folder)."""
        if name not in self.names:
            raise ValueError(f"{name} is not one of this run's outputs {self.names}")
        assert self.staging is not None, "use OutputSet as a context manager"
        fault_point(f"write:{name}", self.staging / name)
        return self.staging / name

    def write_run(self, run: dict[str, Any]) -> None:
        """Write ``run.json`` (last, with the ``schema_version`` of the files), then swap the
        set in."""
        head: dict[str, Any] = {key: run[key] for key in ("tool", "version") if key in run}
        run = {**head, "schema_version": SCHEMA_VERSION, **run}
        with atomic_write(self.path(RUN)) as handle:
            json.dump(run, handle, ensure_ascii=False, indent=2, sort_keys=False)
            handle.write("\n")
        self.commit()

    def commit(self) -> None:
        """Swap the staged files into the output folder (see the module docstring)."""
        assert self.staging is not None
        staged = [name for name in self.names if os.path.lexists(self.staging / name)]
        if RUN not in staged:
            raise StageError(f"{self.out}: no {RUN} was written; the old results are kept")
        fault_point("swap:begin", self.out)
        old = sorted((dedup_names(self.out) - {MARKER}) - set(staged))
        marker = {"tool": "dedup", "writing": staged, "old": old}
        with atomic_write(self.out / MARKER) as handle:
            json.dump(marker, handle, ensure_ascii=False)
        with contextlib.suppress(FileNotFoundError):
            (self.out / RUN).unlink()
        for name in staged:
            if name == RUN:
                continue
            target = self.out / name
            fault_point(f"swap:{name}", target)
            if os.path.lexists(target) and (target.is_dir() or (self.staging / name).is_dir()):
                os.replace(target, self.staging / f".old.{name}")  # a folder: set it aside
            os.replace(self.staging / name, target)
        for name in old:
            fault_point(f"remove:{name}", self.out / name)
            _remove(self.out / name)
        fault_point(f"swap:{RUN}", self.out / RUN)
        os.replace(self.staging / RUN, self.out / RUN)
        fsync_folder(self.out)
        (self.out / MARKER).unlink()
        fsync_folder(self.out)
        self._committed = True


def run_complete(out_dir: str | os.PathLike) -> bool:
    """Whether ``out_dir`` holds one complete run: ``run.json`` and no marker of an
    unfinished swap."""
    out = Path(out_dir)
    return (out / RUN).is_file() and not os.path.lexists(out / MARKER)
