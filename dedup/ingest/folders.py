"""One file in its format, and folders: of ``.txt`` files (with a metadata sidecar), or of
shards, each read as its extension says."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dedup.errors import InputError
from dedup.ingest.compressed import (
    COMPRESSIONS,
    READ_ERRORS,
    _stem,
    _suffix_format,
    format_of,
    open_binary,
    read_error_message,
)
from dedup.ingest.jsonl import _jsonl_objects, _read_json, _read_jsonl
from dedup.ingest.options import Note, ReadOptions, _decode_message, _fail, _text_or_none
from dedup.ingest.rows import _surrogate_message, surrogate_field
from dedup.ingest.tables import _csv_rows, _read_csv, _read_parquet
from dedup.ingest.webpages import _read_html, _read_warc
from dedup.outputs import OUTPUT_NAMES, run_record
from dedup.types import Record, Reject

SIDECARS = ("metadata.csv", "metadata.jsonl", "metadata.json")
_META_FIELDS = ("outlet", "date", "url", "title")


def _read_file(source: Path, kind: str, options: ReadOptions) -> Iterator[Record | Reject | Note]:
    """The records of one file in format ``kind``."""
    name = str(source)
    if kind == "txt":
        yield _read_txt(source, _stem(source), options)
    elif kind in ("jsonl", "json"):
        with open_binary(source) as handle:
            reader = _read_json if kind == "json" else _read_jsonl
            yield from reader(handle, name, _stem(source), options)
    elif kind == "csv":
        yield from _read_csv(source, options)
    elif kind == "warc":
        with open_binary(source) as handle:
            yield from _read_warc(handle, name, options)
    elif kind == "html":
        with open_binary(source) as handle:
            data = handle.read()
        yield _read_html(data, name, _stem(source), options)
    else:
        yield from _read_parquet(source, options)


def _guarded(path: Path, items: Iterator[Record | Reject | Note], options: ReadOptions):
    """``items`` of one file of several: a file that cannot be read on is skipped from
    there with its name (the line, where known, is given by the reader), the others read."""
    try:
        yield from items
    except READ_ERRORS as err:
        yield _fail(InputError(str(path), None, read_error_message(err)), options)


# --- folders of .txt files ----------------------------------------------------------------


def _read_folder(folder: Path, options: ReadOptions) -> Iterator[Record | Reject | Note]:
    """A folder of ``.txt`` files (with a sidecar), or, when it holds no ``.txt`` file,
    the shards in it (see the module docstring)."""
    listing = folder_files(folder, options)
    if listing.kind == "txt":
        yield from _read_txt_folder(folder, listing.files, options)
        if listing.ignored:
            yield Note(
                Reject(
                    str(folder),
                    f"{len(listing.ignored)} other file(s) such as {listing.ignored[0].name} "
                    "not read: a folder holding .txt files is read as .txt files",
                )
            )
        return
    pages = [p for p in listing.files if _suffix_format(p) == "html"]
    metadata: dict[str, tuple[dict[str, Any], str]] = {}
    if pages:
        metadata, problems = _read_sidecar(folder, options)
        yield from problems
    for path in listing.files:
        kind = format_of(path, options)
        assert kind is not None
        if kind == "html" and _suffix_format(path) == "html":
            yield from _guarded(path, _read_page_file(path, folder, metadata, options), options)
            continue
        yield from _guarded(path, _read_file(path, kind, options), options)


def _read_page_file(
    path: Path, folder: Path, metadata: dict[str, tuple[dict[str, Any], str]], options: ReadOptions
) -> Iterator[Record | Reject]:
    """An HTML page of a folder: id its path relative to the folder without extension, the
    sidecar's fields (when it has a row for the page) over what the page states."""
    doc_id = _relative_id(path, folder)
    with open_binary(path) as handle:
        item = _read_html(handle.read(), str(path), doc_id, options)
    if isinstance(item, Record) and doc_id in metadata:
        fields = {k: v for k, v in metadata[doc_id][0].items() if v is not None}
        item = dataclasses.replace(item, **fields)
    yield item


@dataclass(frozen=True)
class FolderListing:
    """What a folder is read as: ``kind`` ("txt" or "shards"), the files read, in order,
    and the readable files left out (shards beside ``.txt`` files)."""

    kind: str
    files: list[Path]
    ignored: list[Path]


def folder_files(folder: Path, options: ReadOptions) -> FolderListing:
    """The files of ``folder`` that are read, and as what (see :func:`_read_folder`):
    hidden files and folders are skipped, and so is a sidecar at the top."""
    found = sorted(
        p
        for p in folder.rglob("*")
        if not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and not (p.parent == folder and p.name in SIDECARS)
        and p.is_file()
    )
    kinds = {p: _suffix_format(p) for p in found}
    wanted = None if options.format == "auto" else options.format
    txt = [p for p in found if kinds[p] == "txt"]
    if wanted == "txt" or (wanted is None and txt):
        others = [p for p in found if kinds[p] not in (None, "txt")]
        return FolderListing("txt", txt, others)
    shards = [p for p in found if kinds[p] is not None and kinds[p] == (wanted or kinds[p])]
    return FolderListing("shards", shards, [])


def _read_txt_folder(
    folder: Path, files: list[Path], options: ReadOptions
) -> Iterator[Record | Reject | Note]:
    metadata, problems = _read_sidecar(folder, options)
    yield from problems
    ids = set()
    for path in files:
        doc_id = _relative_id(path, folder)
        ids.add(doc_id)
        item = _read_txt(path, doc_id, options)
        if isinstance(item, Record) and doc_id in metadata:
            meta, _source = metadata[doc_id]
            fields = dict(meta)
            item = Record(fields.pop("id", item.id), item.text, **fields, source=item.source)
        yield item
    for doc_id, (_meta, meta_source) in sorted(metadata.items()):
        if doc_id not in ids:
            yield Note(Reject(meta_source, f'metadata for "{doc_id}", which has no .txt file'))


def _relative_id(path: Path, folder: Path) -> str:
    """A file's id in a folder: its path relative to the folder, without the format's
    extension (nor a compression extension after it)."""
    relative = path.relative_to(folder)
    if relative.suffix.lower() in COMPRESSIONS:
        relative = relative.with_suffix("")
    return relative.with_suffix("").as_posix()


def _read_txt(path: Path, doc_id: str, options: ReadOptions) -> Record | Reject:
    try:
        with open_binary(path) as handle:
            data = handle.read()
    except READ_ERRORS as err:
        return _fail(InputError(str(path), None, read_error_message(err)), options)
    return _txt_record(data, str(path), doc_id, options)


def _txt_record(data: bytes, name: str, doc_id: str, options: ReadOptions) -> Record | Reject:
    if b"\x00" in data and not options.decoding.startswith("utf-16"):
        return _fail(InputError(name, None, "binary file, not text"), options)
    try:
        text = data.decode(options.decoding)
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        return _fail(InputError(name, line, _decode_message(err, options)), options)
    if not text.strip():
        return _fail(InputError(name, None, "empty text"), options)
    return Record(doc_id, text, source=name)


def _read_sidecar(
    folder: Path, options: ReadOptions
) -> tuple[dict[str, tuple[dict[str, Any], str]], list[Reject | Note]]:
    """id → (metadata fields, source) from the folder's sidecar file, if any; unreadable
    rows are Notes (they skip no article), an unreadable file a Reject."""
    if options.metadata:
        path: Path | None = Path(options.metadata)
    else:
        path = next((folder / name for name in SIDECARS if (folder / name).is_file()), None)
    if path is None:
        return {}, []
    rows: list[tuple[dict[str, Any], str]] = []
    problems: list[Reject | Note] = []
    sidecar_options = ReadOptions(encoding=options.encoding, strict=options.strict)
    if path.suffix == ".csv":
        for item in _csv_rows(path, sidecar_options, required=("id",)):
            (problems if isinstance(item, Reject) else rows).append(item)  # type: ignore[arg-type]
    elif path.suffix == ".json":
        try:
            data = json.loads(path.read_bytes().decode(options.decoding))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            return {}, [_fail(InputError(str(path), None, f"cannot read metadata: {err}"), options)]
        if not isinstance(data, list):
            return {}, [
                _fail(InputError(str(path), None, "expected a JSON list of objects"), options)
            ]
        for n, row in enumerate(data, 1):
            if not isinstance(row, dict):
                continue
            bad = surrogate_field(row)
            if bad is not None:
                problems.append(Note(Reject(f"{path}:{n}", _surrogate_message(bad))))
                continue
            rows.append((row, f"{path}:{n}"))
    else:
        with open_binary(path) as handle:
            for item in _jsonl_objects(handle, str(path), sidecar_options):
                (problems if isinstance(item, Reject) else rows).append(item)  # type: ignore[arg-type]
    metadata: dict[str, tuple[dict[str, Any], str]] = {}
    for row, source in rows:
        doc_id = _text_or_none(row.get("id"))
        if doc_id is None:
            problems.append(Note(Reject(source, 'metadata row without "id"')))
            continue
        fields = {k: _text_or_none(row.get(k)) for k in _META_FIELDS}
        file_name = _text_or_none(row.get("file"))
        if file_name is not None:  # the row names its file: the id may differ from it
            fields["id"] = doc_id
            doc_id = Path(file_name).with_suffix("").as_posix()
        metadata[doc_id] = (fields, source)
    return metadata, problems


# --- a dedup output folder given as input ----------------------------------------------


def output_folder_input(path: str | os.PathLike) -> tuple[list[str], Note | None]:
    """The inputs ``path`` stands for, where it is a folder a ``dedup`` run wrote (its
    ``run.json`` says so): a ``dedup clean`` folder stands for the cleaned corpus in it
    (each input written back, read with its own ids and metadata sidecar; the Note says
    so); any other run's folder is refused (its files are results, not articles). Any
    other path stands for itself.

    Raises
    ------
    InputError
        For the output folder of a ``dedup`` run other than ``clean``.
    """
    run = None if str(path) == "-" else run_record(Path(path))
    if run is None:
        return [str(path)], None
    folder = Path(path)
    outputs = run.get("outputs")
    outputs = outputs if isinstance(outputs, dict) else {}
    # clean writes its own files (in any output format) and each input under its own name
    records = {name.split(".")[0] for name in OUTPUT_NAMES["clean"]}
    corpus = [str(folder / name) for name in sorted(outputs) if name.split(".")[0] not in records]
    if run.get("command") == "clean" and corpus and all(map(os.path.lexists, corpus)):
        shown = ", ".join(corpus)
        note = Reject(str(path), f"read as {shown}: the cleaned corpus of this dedup clean run")
        return corpus, Note(note)
    command = run.get("command", "?")
    read = ", ".join(str(name) for name in run.get("inputs") or []) or "its inputs"
    raise InputError(
        str(path),
        None,
        f"holds the results of dedup {command} (run.json), not articles; give the articles "
        f"that run read ({read})",
    )
