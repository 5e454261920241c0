"""Stage outputs on disk, so an interrupted run resumes where it stopped.

A run with an output folder keeps ``OUT/.work/``: each finished stage (or chunk of a stage)
as ``.npy`` arrays, and ``manifest.json`` naming the stages done, the settings
(``Config.digest()``) and the input (a digest of every record). Every file is written
atomically and the manifest last, so a stage is either recorded as done with all its files
complete, or redone. A rerun with the same settings and input loads what is done; with
anything different it starts over. The folder is removed when the run has written its
results.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from dedup.atomic import atomic_write
from dedup.errors import IndexFormatError, StageError
from dedup.faults import fault_point
from dedup.outputs import WORK_DIR, WORK_MARK, is_dedup_work
from dedup.types import Record

FORMAT_VERSION = 2  # 2: the align stages' rows hold each passage's edits
__all__ = ["WORK_DIR", "Workspace", "input_digest"]


def input_digest(records: Iterable[Record]) -> str:
    """A digest of the records' ids, texts and metadata, in id order."""
    digest = hashlib.sha256()
    for record in sorted(records, key=lambda r: r.id):
        for value in (record.id, record.text, record.outlet, record.date, record.url, record.title):
            encoded = ("\x00" if value is None else value).encode("utf-8", "surrogatepass")
            digest.update(len(encoded).to_bytes(8, "little"))
            digest.update(encoded)
    return digest.hexdigest()[:32]


class Workspace:
    """The stages of one run, kept under ``root`` (or nowhere when ``root`` is None)."""

    def __init__(self, root: Path | None, *, config_digest: str, input_digest: str) -> None:
        self.root = root
        self.key = {
            "format_version": FORMAT_VERSION,
            "config_digest": config_digest,
            "input_digest": input_digest,
        }
        self.done: dict[str, dict[str, int]] = {}
        self.resumed: list[str] = []
        if root is None:
            return
        if root.exists() and not is_dedup_work(root):
            raise StageError(
                f"{root}: exists and was not written by dedup (dedup keeps its scratch there); "
                "choose another output folder, or move it away"
            )
        manifest = root / "manifest.json"
        if manifest.exists():
            try:
                data = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}
            if all(data.get(k) == v for k, v in self.key.items()):
                stages = data.get("stages", {})
                self.done = {k: v for k, v in stages.items() if self._intact(k, v)}
                return
        shutil.rmtree(root, ignore_errors=True)  # dedup's work of another run: start over

    @classmethod
    def of(cls, root: Path | str, config_digest: str, records: list[Record]) -> Workspace:
        """The stages of a run on ``records`` with these settings, kept in ``root``."""
        return cls(Path(root), config_digest=config_digest, input_digest=input_digest(records))

    @classmethod
    def under(cls, out_dir: Path | str, config_digest: str, records: list[Record]) -> Workspace:
        """:meth:`of` the output folder's ``.work``."""
        return cls.of(Path(out_dir) / WORK_DIR, config_digest, records)

    def has(self, stage: str) -> bool:
        return stage in self.done

    def save(self, stage: str, **arrays: np.ndarray) -> None:
        """Write a stage's arrays, then record the stage as done."""
        if self.root is None:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / WORK_MARK).touch()
        sizes = {}
        for name, array in arrays.items():
            path = self.root / f"{stage}.{name}.npy"
            fault_point(f"stage:{stage}", path)
            with atomic_write(path, "wb") as handle:
                np.save(handle, np.require(array, requirements="C"), allow_pickle=False)
            sizes[name] = path.stat().st_size
        self.done[stage] = sizes
        self._write_manifest()

    def load(self, stage: str) -> dict[str, np.ndarray]:
        if self.root is None or stage not in self.done:
            raise IndexFormatError(f"stage {stage} is not in the work folder")
        self.resumed.append(stage)
        return {
            name: np.load(self.root / f"{stage}.{name}.npy", allow_pickle=False)
            for name in self.done[stage]
        }

    def finish(self) -> None:
        """Remove the work folder once the results are written."""
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)

    def _intact(self, stage: str, sizes: dict[str, int]) -> bool:
        """Every file the manifest lists for ``stage`` is there, with its recorded size."""
        assert self.root is not None
        if not isinstance(sizes, dict):
            return False
        for name, size in sizes.items():
            path = self.root / f"{stage}.{name}.npy"
            if not path.is_file() or path.stat().st_size != size:
                return False
        return True

    def _write_manifest(self) -> None:
        assert self.root is not None
        with atomic_write(self.root / "manifest.json") as handle:
            json.dump({**self.key, "stages": self.done}, handle, indent=1, sort_keys=True)
