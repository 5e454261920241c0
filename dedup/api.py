"""The Python API: the four jobs on any records, and the policy the CLI used to keep.

Each job takes ``data`` in any form :func:`dedup.prepare.as_records` reads (strings, dicts,
Records, a pandas or polars DataFrame, a pyarrow Table or Dataset, a Hugging Face Dataset, or
an iterable of these), with the fields named by keyword (``id="article_id", text="body"``),
and a :class:`Config`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from dedup.config import Config
from dedup.ingest import CorpusReader, input_size
from dedup.inmemory import SPILL_ABOVE_CHARS, hold_records
from dedup.inmemory import scan as scan_in_memory
from dedup.outputs import is_dedup_work
from dedup.parallel import Engine
from dedup.plain_kernels import SMALL_INPUT_CHARS, small_input
from dedup.prepare import as_records
from dedup.ray_scan import scan_shards, streamed_shards
from dedup.ray_shards import Shard, input_shards
from dedup.spilled import scan_spilled
from dedup.types import (
    ChainsResult,
    CleanResult,
    ProgressFn,
    Record,
    ScanResult,
    StoriesResult,
)
from dedup.workspace import Workspace

if TYPE_CHECKING:
    from dedup.jobs import ReportInputs

# The other jobs' modules are imported where they are called: a scan loads none of them
# (chains and stories bring scipy, networkx and scikit-learn; tests/test_startup.py).

SPILL_CHOICES = ("auto", "always", "never")


def scan(
    data: Any,
    config: Config | None = None,
    *,
    spill: str = "auto",
    workdir: str | Path | None = None,
    spill_dir: str | Path | None = None,
    force: bool = False,
    workers: int | Engine = 1,
    progress: ProgressFn | None = None,
    expand_pairs: bool = False,
    **fields: str,
) -> ScanResult:
    """Find the documents that share copy and the passages they share.

    Parameters
    ----------
    data : records in any form :func:`dedup.prepare.as_records` reads
    config : Config, optional
    spill : {"auto", "always", "never"}
        Hold the corpus on disk a batch at a time (``always``), in memory (``never``), or
        on disk once its text passes 32 million characters (``auto``; files a
        :class:`~dedup.ingest.CorpusReader` reads are spilled from the start when they come
        to more than 32 MB, so that the words are found as they are read). The result is
        the same, bit for bit.
    workdir : path, optional
        A folder for this run's scratch: the finished stages of a scan in memory (a scan
        killed part way resumes from them when called again with the same data and
        settings; the folder is emptied when the scan ends), or the spill files. Without
        it, nothing is kept, and spill files go to the system's temporary folder.
    spill_dir : path, optional
        Where a spilled scan's scratch goes instead of ``workdir``.
    force : bool
        Start over: ignore finished stages in ``workdir``.
    workers : int or Engine
        Threads (0: every core), or an engine such as ``dedup.parallel.RayEngine``. On Ray,
        ``data`` a :class:`dedup.ingest.CorpusReader` of input files not yet read has each
        file read by a task of its own, and this process never reads a text
        (:mod:`dedup.ray_scan`; the scratch folder must be seen by every node), unless
        ``spill`` is "never".
    progress : callable, optional
        ``progress(stage, done, total)`` as stages advance.
    expand_pairs : bool
        Documents carried many times over (at least ``dedup.copies.MIN_GROUP_DOCS`` copies)
        are grouped and each group written once (``.groups``), the pairs among its members
        implied; with ``expand_pairs`` every pair is written as if there were no groups
        (exact copies are still aligned once, through their representative; near-duplicate
        copies are then aligned pair by pair).
    **fields : str
        Where each field is found in ``data`` (``id="article_id", text="body"``).

    Returns
    -------
    ScanResult
        ``.pairs``, ``.passages``, ``.documents``; ``.to_pandas("pairs")`` and
        ``.to_arrow(...)`` give them as flat tables. ``.spilled`` says whether the corpus
        was held on disk, ``.resumed`` which finished stages were reused.
    """
    if spill not in SPILL_CHOICES:
        raise ValueError(f"spill must be one of {', '.join(SPILL_CHOICES)}, got {spill!r}")
    config = config or Config()
    if spill != "never" and (shards := _worker_shards(data, workers)) is not None:
        # on Ray, each input shard is read by a worker and the texts never reach this process
        with _scratch(spill_dir or workdir, own=spill_dir is None) as folder:
            result = scan_shards(
                data, shards, config, cast(Engine, workers), spill_dir=folder,
                progress=progress, expand_pairs=expand_pairs,
            )  # fmt: skip
        return result.replace(spilled=True)
    records = as_records(data, **fields)
    limit = {"auto": SPILL_ABOVE_CHARS, "always": -1, "never": None}[spill]
    expected = _input_bytes(data)
    if limit is not None and expected is not None and expected > limit:
        held: list[Record] | Iterator[Record] = records  # spilled: read as the words are found
    else:
        held = list(records) if limit is None else hold_records(records, limit)
    if not isinstance(held, list):
        with _scratch(spill_dir or workdir, own=spill_dir is None) as folder:
            result = scan_spilled(
                held,
                config,
                spill_dir=folder,
                progress=progress,
                workers=workers,
                expand_pairs=expand_pairs,
                expected_chars=expected,
            )
        return result.replace(spilled=True)
    held.sort(key=lambda r: r.id)
    # a few articles: kernels as plain Python on one thread, numba not loaded (dedup.kernels)
    small = sum(len(r.text) for r in held) <= SMALL_INPUT_CHARS
    with _scratch(workdir, own=True), small_input(small):
        workspace = open_workspace(workdir, force, config, held)
        result = scan_in_memory(
            held,
            config,
            progress=progress,
            workspace=workspace,
            workers=1 if small and isinstance(workers, int) else workers,
            expand_pairs=expand_pairs,
        )
        if workspace is None:
            return result
        workspace.finish()
    return result.replace(resumed=tuple(workspace.resumed))


@contextlib.contextmanager
def scan_streamed(
    data: Any,
    config: Config | None = None,
    *,
    spill: str = "auto",
    workdir: str | Path | None = None,
    spill_dir: str | Path | None = None,
    force: bool = False,
    workers: int | Engine = 1,
    progress: ProgressFn | None = None,
    expand_pairs: bool = False,
    **fields: str,
) -> Iterator[ScanResult]:
    """:func:`scan` as a context: on Ray (input files read by the workers), the result's
    ``documents`` are made from columns as they are read and its passages' texts are read
    from the files the tasks wrote (:mod:`dedup.ray_result`), until the block ends; so that
    writing its files (:func:`dedup.writers.write_scan`) holds neither every document's
    record nor every passage's text at once. Elsewhere, the result of :func:`scan`."""
    if spill not in SPILL_CHOICES:
        raise ValueError(f"spill must be one of {', '.join(SPILL_CHOICES)}, got {spill!r}")
    if spill != "never" and (shards := _worker_shards(data, workers)) is not None:
        with (
            _scratch(spill_dir or workdir, own=spill_dir is None) as folder,
            streamed_shards(
                data, shards, config, cast(Engine, workers), spill_dir=folder,
                progress=progress, expand_pairs=expand_pairs,
            ) as result,
        ):  # fmt: skip
            yield result.replace(spilled=True)
        return
    yield scan(
        data, config, spill=spill, workdir=workdir, spill_dir=spill_dir, force=force,
        workers=workers, progress=progress, expand_pairs=expand_pairs, **fields,
    )  # fmt: skip


def _input_bytes(data: Any) -> int | None:
    """The size of the files a :class:`~dedup.ingest.CorpusReader` reads (about the
    characters of their text), or None when it is not known (other data, standard input)."""
    if not isinstance(data, CorpusReader):
        return None
    return input_size(data.paths) or None


def _worker_shards(data: Any, workers: int | Engine) -> list[Shard] | None:
    """The input shards of a :class:`CorpusReader` that Ray's workers read themselves, or
    None (a local engine, or inputs only this process can read: standard input, --strict)."""
    if not getattr(workers, "reads_shards", False) or not isinstance(data, CorpusReader):
        return None
    if data.records or data.rejects:  # partly read already: read it here
        return None
    return input_shards(data.paths, data.options)


def open_workspace(
    workdir: str | Path | None, force: bool, config: Config, records: list[Record]
) -> Workspace | None:
    """The finished stages kept in ``workdir`` (emptied first with ``force``), or None."""
    if workdir is None:
        return None
    folder = Path(workdir)
    if force and is_dedup_work(folder):
        shutil.rmtree(folder, ignore_errors=True)
    return Workspace.of(folder, config.digest(), records)


@contextlib.contextmanager
def _scratch(folder: str | Path | None, *, own: bool) -> Iterator[Path | None]:
    """``folder`` for a spilled scan's scratch, or None for the system's temporary folder.
    Folders made for it are removed afterwards when left empty, and so is ``folder`` itself
    when it is the run's own (``own``: a work folder, not one the caller named)."""
    if folder is None:
        yield None
        return
    where = Path(folder)
    made = [p for p in (*reversed(where.parents), where) if not p.exists()]
    if own and where not in made:
        made.append(where)
    try:
        yield where
    finally:
        for path in reversed(made):
            with contextlib.suppress(OSError):
                path.rmdir()  # only when empty


def clean(
    data: Any,
    config: Config | None = None,
    *,
    drop_duplicates: bool = False,
    workers: int | Engine = 1,
    progress: ProgressFn | None = None,
    **fields: str,
) -> CleanResult:
    """Remove repeated bodies, repeated lines and boilerplate from each document, recording
    every cut; with ``drop_duplicates``, collapse near-duplicate documents to the earliest.
    """
    from dedup.jobs import clean as clean_job

    return clean_job(
        as_records(data, **fields),
        config,
        drop_duplicates=drop_duplicates,
        progress=progress,
        workers=workers,
    )


@contextlib.contextmanager
def clean_spilled(
    data: Any,
    config: Config | None = None,
    *,
    drop_duplicates: bool = False,
    workers: int | Engine = 1,
    progress: ProgressFn | None = None,
    workdir: str | Path | None = None,
    spill_dir: str | Path | None = None,
    rejects_in_id_order: bool = False,
    **fields: str,
) -> Iterator[CleanResult]:
    """:func:`clean` of a corpus larger than memory, with the same result: the texts are
    held on disk and worked on a batch at a time (:mod:`dedup.clean_spilled`). The result's
    ``documents`` are read back from the spill files as they are used, so use them (or
    write them with :func:`dedup.cleaned.write_clean`) inside the ``with`` block.

    The spill files go to ``spill_dir``, else ``workdir`` (a folder removed afterwards when
    left empty), else the system's temporary folder; they are removed when the block ends.
    """
    from dedup.clean_spilled import clean_spilled as clean_spilled_job

    with (
        _scratch(spill_dir or workdir, own=spill_dir is None) as folder,
        clean_spilled_job(
            as_records(data, **fields),
            config,
            drop_duplicates=drop_duplicates,
            spill_dir=folder,
            progress=progress,
            workers=workers,
            rejects_in_id_order=rejects_in_id_order,
        ) as result,
    ):
        yield result


def stories(
    data: Any,
    config: Config | None = None,
    *,
    use_clean: bool = True,
    use_links: bool = True,
    workers: int | Engine = 1,
    progress: ProgressFn | None = None,
    spill: str = "auto",
    spill_dir: str | Path | None = None,
    **fields: str,
) -> StoriesResult:
    """Group articles into stories: reprints and reports of one event together.

    ``spill`` and ``spill_dir`` are :func:`scan`'s: a spilled corpus is cleaned and scanned
    on disk, a batch at a time (:mod:`dedup.stories_spilled`), with the same result."""
    from dedup.jobs import stories as stories_job
    from dedup.stories_spilled import stories_spilled as stories_spilled_job

    if spill not in SPILL_CHOICES:
        raise ValueError(f"spill must be one of {', '.join(SPILL_CHOICES)}, got {spill!r}")
    limit = {"auto": SPILL_ABOVE_CHARS, "always": -1, "never": None}[spill]
    read = as_records(data, **fields)
    held = list(read) if limit is None else hold_records(read, limit)
    if not isinstance(held, list):
        with _scratch(spill_dir, own=False) as folder:
            return stories_spilled_job(
                held, config, use_clean=use_clean, use_links=use_links, spill_dir=folder,
                progress=progress, workers=workers,
            )  # fmt: skip
    return stories_job(
        held,
        config,
        use_clean=use_clean,
        use_links=use_links,
        progress=progress,
        workers=workers,
    )


def chains(
    data: Any,
    config: Config | None = None,
    *,
    spill: str = "auto",
    workdir: str | Path | None = None,
    spill_dir: str | Path | None = None,
    force: bool = False,
    progress: ProgressFn | None = None,
    workers: int | Engine = 1,
    **fields: str,
) -> ChainsResult:
    """Decide who took whose copy: each article's direct source, as a forest (see
    docs/method.md). ``workdir`` and ``force`` keep the scan's finished stages as
    :func:`scan` does; ``workers`` threads (0: every core) or an engine run the scan.

    ``spill`` and ``spill_dir`` are :func:`scan`'s: a spilled corpus is held on disk and
    its chains built one connected set of documents at a time
    (:mod:`dedup.chains_spilled`), with the same result; its scan is not resumed."""
    from dedup.chains_spilled import chains_spilled as chains_spilled_job
    from dedup.jobs import chains as chains_job

    if spill not in SPILL_CHOICES:
        raise ValueError(f"spill must be one of {', '.join(SPILL_CHOICES)}, got {spill!r}")
    config = config or Config()
    limit = {"auto": SPILL_ABOVE_CHARS, "always": -1, "never": None}[spill]
    read = as_records(data, **fields)
    held = list(read) if limit is None else hold_records(read, limit)
    if not isinstance(held, list):
        with _scratch(spill_dir or workdir, own=spill_dir is None) as folder:
            built = chains_spilled_job(
                held, config, spill_dir=folder, progress=progress, workers=workers
            )
        return dataclasses.replace(built, scan=built.scan.replace(spilled=True))
    records = sorted(held, key=lambda r: r.id)
    with _scratch(workdir, own=True):
        workspace = open_workspace(workdir, force, config, records)
        result = chains_job(
            records, config, progress=progress, workspace=workspace, workers=workers
        )
        if workspace is None:
            return result
        workspace.finish()
    return dataclasses.replace(result, scan=result.scan.replace(resumed=tuple(workspace.resumed)))


def report(
    data: Any,
    config: Config | None = None,
    *,
    progress: ProgressFn | None = None,
    **fields: str,
) -> ReportInputs:
    """Everything the HTML report shows: the scan, the stories and the chains of ``data``
    (render it with :func:`dedup.html.render_report`)."""
    from dedup.jobs import report as report_job

    return report_job(as_records(data, **fields), config, progress=progress)
