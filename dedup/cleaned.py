"""The files of ``dedup clean``: the cleaned corpus, written back in the input's own form,
and the cuts and duplicates beside it.

A single input file comes back as itself (:func:`write_corpus`): the same name, format and
compression (``feed.jsonl.gz`` stays ``feed.jsonl.gz``, ``.zst`` stays ``.zst``), each kept
record as it came with only its text replaced by the cleaned text, in the file's order:

* JSON lines: every key of each object, in its order, with its JSON type;
* CSV/TSV: the header row as it was, the same delimiter;
* a JSON array: an array of the same objects (every key in its order, with its JSON type),
  one a line; a ``.json`` file of JSON lines comes back as JSON lines;
* Parquet: the same columns in the same order with the same Arrow types (an all-empty
  column included), and the same compression codec.

A folder of such shards comes back as a folder ``corpus/`` of the same shards under the same
relative names. A folder of ``.txt`` files (or of other shards: HTML, WARC) comes back as a
folder of ``.txt`` files (``corpus/``). Standard input cannot be read a second time, so it
comes back in its format under the name ``corpus`` (``corpus.jsonl``, ``.json``, ``.csv``,
``.parquet``; a folder ``corpus/`` of ``.txt`` files for text, HTML and WARC), each kept
record's fields as they were read (:func:`corpus_rows`); several inputs as ``corpus.jsonl``.
Files are written in UTF-8 whatever the input's encoding (the other outputs are UTF-8, and
text read from JSON escapes need not fit the input's encoding).
"""

from __future__ import annotations

import bz2
import contextlib
import csv
import gzip
import io
import json
import lzma
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

from rich.table import Table

from dedup.atomic import atomic_write
from dedup.errors import StageError
from dedup.formats import write_jsonl
from dedup.ingest import (
    ReadOptions,
    folder_files,
    format_of,
    is_json_array,
    json_array_items,
    open_binary,
    plain_suffix,
    text_lines,
)
from dedup.outputs import OutputSet, output_names
from dedup.types import CleanedDocument, CleanResult, Cut, DuplicateDrop, Record, Reject
from dedup.writers import FLOAT_DIGITS, reject_rows, run_head, write_row_files

#: The formats written back as they came (see the module docstring).
WRITTEN_BACK = ("jsonl", "json", "csv", "parquet")
#: The file standard input comes back as, by its format (``--format``).
STDIN_NAMES = {
    "auto": "corpus.jsonl",
    "jsonl": "corpus.jsonl",
    "json": "corpus.json",
    "csv": "corpus.csv",
    "parquet": "corpus.parquet",
}


@dataclass(frozen=True)
class CorpusLayout:
    """How a cleaned corpus is written: in the format it was read in.

    ``kind`` is ``txt`` (a folder of .txt files plus a metadata sidecar), ``jsonl``, ``csv``,
    ``parquet`` or ``shards`` (a folder of such files, each written back); ``name`` the
    folder or file name inside the output folder; ``source`` the input written back (its
    records as they came, see the module docstring), or None for a corpus of ``fields``
    rows; ``options`` how it was read.
    """

    kind: str
    name: str
    delimiter: str = ","
    fields: dict[str, str] = field(default_factory=dict)
    source: str | None = None
    options: ReadOptions = field(default_factory=ReadOptions)


def corpus_layout(inputs: Sequence[str], options: ReadOptions) -> CorpusLayout:
    """The input's own format for one folder or file; JSON lines otherwise."""
    fields = {
        "id": options.id_field,
        "text": options.text_field,
        "title": options.title_field,
        "date": options.date_field,
        "outlet": options.outlet_field,
        "url": options.url_field,
    }
    if len(inputs) == 1 and inputs[0] != "-":
        source = Path(inputs[0])
        if source.is_dir():
            listing = folder_files(source, options)
            kinds = {format_of(path, options) for path in listing.files}
            if listing.kind == "shards" and listing.files and kinds <= set(WRITTEN_BACK):
                return CorpusLayout("shards", "corpus", fields=fields, source=inputs[0],
                                    options=options)  # fmt: skip
            return CorpusLayout("txt", "corpus", fields=fields)
        kind = format_of(source, options)
        delimiter = "\t" if plain_suffix(source) == ".tsv" else ","
        if kind in WRITTEN_BACK:
            return CorpusLayout(kind, source.name, delimiter, fields, inputs[0], options)
    if list(inputs) == ["-"]:
        name = STDIN_NAMES.get(options.format)
        if name is None:  # text, an HTML page, a WARC: their texts as .txt files
            return CorpusLayout("txt", "corpus", fields=fields)
        return CorpusLayout(name.rsplit(".", 1)[1], name, fields=fields)
    return CorpusLayout("jsonl", "corpus.jsonl", fields=fields)


def corpus_rows(result: CleanResult, layout: CorpusLayout) -> Iterator[dict[str, Any]]:
    """One row a kept document, with the input's field names and its other fields, made
    as they are asked for (one document's text in memory at a time)."""
    for doc in result.documents:
        if doc.duplicate_of is not None:
            continue
        record = doc.record
        row: dict[str, Any] = {layout.fields["id"]: record.id, layout.fields["text"]: doc.text}
        for name in ("title", "date", "outlet", "url"):
            value = getattr(record, name)
            if value is not None:
                row[layout.fields[name]] = value
        row.update(record.extra)
        yield row


def write_corpus(result: CleanResult, target: Path, layout: CorpusLayout) -> int:
    """Write the kept documents at ``target`` in ``layout``; return how many."""
    if layout.kind == "txt":
        return _write_txt_folder(result, target)
    if layout.source is not None:
        return write_back(result, target, layout)
    if layout.kind == "jsonl":
        return write_jsonl(target, corpus_rows(result, layout))
    if layout.kind == "json":
        with atomic_write(target, "wb") as handle:
            return _write_json_array(handle, corpus_rows(result, layout))
    if layout.kind == "csv":
        columns = list(dict.fromkeys(key for row in corpus_rows(result, layout) for key in row))
        written = 0
        with atomic_write(target) as handle:
            writer = csv.DictWriter(handle, columns, delimiter=layout.delimiter, restval="")
            writer.writeheader()
            for row in corpus_rows(result, layout):
                writer.writerow(row)
                written += 1
        return written
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = list(corpus_rows(result, layout))
    with atomic_write(target, "wb") as handle:
        pq.write_table(pa.Table.from_pylist(rows), handle)
    return len(rows)


def _write_txt_folder(result: CleanResult, target: Path) -> int:
    """Each kept document as a ``.txt`` file in the folder ``target`` (made here), and
    metadata.csv mapping each id to its file with its metadata; return how many documents.
    """
    files = txt_file_names([doc.record.id for doc in result.documents if doc.duplicate_of is None])
    kept = (doc for doc in result.documents if doc.duplicate_of is None)
    target.mkdir(parents=True)
    meta_rows = []
    for doc, relative in zip(kept, files):
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(doc.text)
            handle.flush()
            os.fsync(handle.fileno())
        record = doc.record
        meta_rows.append(
            {
                "id": record.id,
                "file": relative.as_posix(),
                "outlet": record.outlet or "",
                "date": record.date or "",
                "url": record.url or "",
                "title": record.title or "",
            }
        )
    needed = any(
        row["file"] != row["id"] + ".txt" or any(row[k] for k in ("outlet", "date", "url", "title"))
        for row in meta_rows
    )
    if needed:
        with atomic_write(target / "metadata.csv") as handle:
            writer = csv.DictWriter(handle, ["id", "file", "outlet", "date", "url", "title"])
            writer.writeheader()
            writer.writerows(meta_rows)
    return len(meta_rows)


def txt_file_names(ids: Sequence[str]) -> list[Path]:
    """A distinct ``.txt`` path for each id, inside the folder it is joined to.

    An id that is already a safe path keeps it (``bbc/2016/x`` → ``bbc/2016/x.txt``); the
    others get their safe form (see :func:`safe_relative_path`), with ``~2``, ``~3``, … when
    that is taken. Names are compared without case, as some file systems do, so no file
    ever replaces another's."""
    natural = [safe_relative_path(doc_id, ".txt") for doc_id in ids]
    taken: set[str] = set()
    names: list[Path | None] = [None] * len(ids)
    for k, (doc_id, path) in enumerate(zip(ids, natural)):
        key = path.as_posix().lower()
        if path.as_posix() == doc_id + ".txt" and key not in taken:
            names[k] = path
            taken.add(key)
    for k, (doc_id, path) in enumerate(zip(ids, natural)):
        if names[k] is not None:
            continue
        number = 1
        while path.as_posix().lower() in taken:
            number += 1
            path = safe_relative_path(f"{doc_id}~{number}", ".txt")
        names[k] = path
        taken.add(path.as_posix().lower())
    return [name for name in names if name is not None]


_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"|?*\\]")


def safe_relative_path(doc_id: str, suffix: str) -> Path:
    """A file path for a document id that stays inside the folder it is joined to.

    Folders in the id are kept (``bbc/2016/x`` → ``bbc/2016/x.txt``); ``..``, ``.``, empty
    parts, a leading ``/`` and control or reserved characters are not
    (``../../etc/passwd`` → ``etc/passwd.txt``).
    """
    parts = [
        _UNSAFE.sub("_", part) for part in re.split(r"[/\\]", doc_id) if part not in ("", ".", "..")
    ]
    parts = [part.lstrip(".") or "_" for part in parts] or ["_"]
    return Path(*parts[:-1], parts[-1] + suffix)


def cut_record(cut: Cut) -> dict[str, Any]:
    return {
        "doc": cut.doc,
        "start": cut.start,
        "end": cut.end,
        "reason": cut.reason,
        "text": cut.text,
    }


def duplicate_record(drop: DuplicateDrop) -> dict[str, Any]:
    return {
        "dropped": drop.dropped,
        "kept": drop.kept,
        "jaccard": round(drop.jaccard, FLOAT_DIGITS),
        "copied_fraction_dropped": round(drop.copied_fraction_dropped, FLOAT_DIGITS),
        "copied_fraction_kept": round(drop.copied_fraction_kept, FLOAT_DIGITS),
    }


def write_clean(
    result: CleanResult,
    out_dir: str | Path,
    layout: CorpusLayout,
    *,
    inputs: Sequence[str] = (),
    read_options: dict[str, Any] | None = None,
    warnings: Sequence[Reject] = (),
    drop_duplicates: bool = False,
    output_format: str = "jsonl",
) -> dict[str, int]:
    """Write the cleaned corpus, cuts.jsonl, duplicates.jsonl, rejects.jsonl (the three in
    ``output_format``) and run.json (last) as one set (see :mod:`dedup.outputs`)."""
    cuts = (cut for doc in result.documents for cut in doc.cuts)  # a document at a time
    names = output_names("clean", layout.name, output_format)
    with OutputSet(out_dir, names, inputs=inputs) as output:
        rows = {layout.name: write_corpus(result, output.path(layout.name), layout)}
        files: dict[str, Iterable[dict[str, Any]]] = {
            "cuts.jsonl": map(cut_record, cuts),
            "duplicates.jsonl": map(duplicate_record, result.duplicates),
            "rejects.jsonl": reject_rows(result.rejects, warnings),
        }
        rows.update(write_row_files(output, files, output_format))
        output.write_run(
            {
                **run_head("clean", result.config, inputs, read_options),
                "drop_duplicates": drop_duplicates,
                "counts": result.counts,
                "outputs": rows,
            }
        )
    return rows


def clean_summary_table(result: CleanResult, seconds: float) -> Table:
    counts = result.counts
    table = Table(title="dedup clean", show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("documents read", f"{counts['documents']:,}")
    table.add_row("skipped", f"{len(result.rejects):,}")
    table.add_row("documents kept", f"{counts['kept']:,}")
    if counts["dropped_duplicates"] or not counts.get("near_duplicates"):
        table.add_row("dropped as near-duplicates", f"{counts['dropped_duplicates']:,}")
    else:
        table.add_row("near-duplicates (kept)", f"{counts['near_duplicates']:,}")
    table.add_row("documents with cuts", f"{counts['documents_with_cuts']:,}")
    table.add_row(
        "characters removed", f"{counts['characters_removed']:,} of {counts['characters']:,}"
    )
    for key, value in counts.items():
        if key.startswith("removed:"):
            table.add_row(f"  {key.removeprefix('removed:')}", f"{value:,}")
    table.add_row("time", f"{seconds:.2f} s")
    return table


# --- round trips ----------------------------------------------------------------------------


def write_back(result: CleanResult, target: Path, layout: CorpusLayout) -> int:
    """The input ``layout.source`` again at ``target``, holding the kept records as they
    came with the cleaned text in place of theirs; return how many. A folder of shards
    comes back as a folder of the same shards (each with its kept records).

    Raises
    ------
    StageError
        When a kept record was not read from that input (at the line its source names).
    """
    assert layout.source is not None
    source = Path(layout.source)
    kept = kept_texts(result)
    if layout.kind != "shards":  # one file: every record came from it
        at = {line: index for by_line in kept.values() for line, index in by_line.at.items()}
        indexes = [index for by_line in kept.values() for index in by_line.indexes]
        lines = KeptTexts(result.documents, at, indexes)
        written = write_back_file(source, target, layout.kind, lines, layout.options)
        missing = len(indexes) - written
    else:
        target.mkdir()
        written = 0
        for path in folder_files(source, layout.options).files:
            kind = format_of(path, layout.options)
            assert kind is not None
            lines = kept.pop(str(path), KeptTexts(result.documents, {}))
            shard = target / path.relative_to(source)
            written += write_back_file(path, shard, kind, lines, layout.options)
        missing = sum(len(by_line.indexes) for by_line in kept.values())
    if missing:
        raise StageError(
            f"{source}: {missing} cleaned record(s) were not read from this input; "
            "cannot write it back"
        )
    return written


def write_back_file(
    source: Path, target: Path, kind: str, kept: KeptTexts, options: ReadOptions
) -> int:
    """One file written back (see :func:`write_back`); return how many records."""
    if kind == "parquet":
        return _write_back_parquet(source, target, kept, options)
    with atomic_write(target, "wb") as raw, compressed(raw, target.name) as handle:
        if kind == "csv":
            delimiter = "\t" if plain_suffix(source) == ".tsv" else ","
            return _write_back_csv(source, handle, kept, delimiter, options)
        if kind == "json":
            return _write_back_json(source, handle, kept, options)
        return _write_back_jsonl(source, handle, kept, options)


class KeptTexts(Mapping[int, str]):
    """The cleaned text of each kept record of one input, by the line (or row) it was read
    at, read from the documents when asked for (one text in memory at a time). ``indexes``
    are the numbers of all of them (in a JSON array several objects can start on one line).
    """

    def __init__(
        self,
        documents: Sequence[CleanedDocument],
        at: dict[int, int],
        indexes: list[int] | None = None,
    ) -> None:
        self.documents = documents
        self.at = at  # line → the document's number
        self.indexes = list(at.values()) if indexes is None else indexes

    def by_id(self) -> dict[str, int]:
        """The number of each kept document, by its id."""
        return {self.documents[index].record.id: index for index in self.indexes}

    def __getitem__(self, line: int) -> str:
        return self.documents[self.at[line]].text

    def __iter__(self) -> Iterator[int]:
        return iter(self.at)

    def __len__(self) -> int:
        return len(self.at)

    def __contains__(self, line: object) -> bool:
        return line in self.at


def kept_texts(result: CleanResult) -> dict[str, KeptTexts]:
    """The cleaned text of each kept record, by the file and the line (or row) it was read
    at."""
    at: dict[str, dict[int, int]] = {}
    indexes: dict[str, list[int]] = {}
    for index, doc in enumerate(result.documents):
        if doc.duplicate_of is None:
            name, _, line = doc.record.source.rpartition(":")
            if not line.isdigit():
                raise StageError(f"{doc.record.source}: a record without a line to write back")
            at.setdefault(name, {})[int(line)] = index
            indexes.setdefault(name, []).append(index)
    return {name: KeptTexts(result.documents, at[name], indexes[name]) for name in at}


@contextlib.contextmanager
def compressed(raw: IO[bytes], name: str) -> Iterator[BinaryIO]:
    """A binary stream into ``raw``, compressed as ``name``'s extension says (``.gz``,
    ``.bz2``, ``.xz``, ``.zst``; none otherwise), finished when the block ends; ``raw``
    itself stays open. A gzip header holds no name and no time, so the bytes depend only on
    what is written."""
    suffix = Path(name).suffix.lower()
    stream: Any
    if suffix == ".gz":
        stream = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
    elif suffix == ".bz2":
        stream = bz2.BZ2File(raw, "wb")
    elif suffix == ".xz":
        stream = lzma.LZMAFile(raw, "wb")  # noqa: SIM115 (closed by the with below)
    elif suffix == ".zst":
        import zstandard

        stream = zstandard.ZstdCompressor().stream_writer(raw, closefd=False)
    else:
        yield raw  # type: ignore[misc]
        return
    with stream:
        yield stream


def _write_back_jsonl(
    source: Path, handle: BinaryIO, kept: Mapping[int, str], options: ReadOptions
) -> int:
    written = 0
    with open_binary(source) as lines:
        for number, line in text_lines(lines, options):
            if number not in kept or not isinstance(line, str):
                continue
            row = json.loads(line)
            row[options.text_field] = kept[number]
            handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode())
            handle.write(b"\n")
            written += 1
    return written


def _write_back_json(source: Path, handle: BinaryIO, kept: KeptTexts, options: ReadOptions) -> int:
    """A JSON array's kept objects as they came, each with its cleaned text (the first
    object of a repeated id; a ``.json`` file of JSON lines as JSON lines)."""
    with open_binary(source) as binary:
        array = is_json_array(binary.read())
    if not array:
        return _write_back_jsonl(source, handle, kept, options)
    ids = kept.by_id()
    rows = (
        {**row, options.text_field: kept.documents[ids.pop(record.id)].text}
        for row, record in json_array_items(source, options)
        if isinstance(record, Record) and record.id in ids
    )
    return _write_json_array(handle, rows)


def _write_json_array(handle: IO[bytes], rows: Iterable[dict[str, Any]]) -> int:
    """``rows`` as a JSON array, one object a line (UTF-8); return how many."""
    written = 0
    for row in rows:
        handle.write(b",\n" if written else b"[\n")
        handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode())
        written += 1
    handle.write(b"\n]\n" if written else b"[]\n")
    return written


def _write_back_csv(
    source: Path, handle: BinaryIO, kept: Mapping[int, str], delimiter: str, options: ReadOptions
) -> int:
    csv.field_size_limit(sys.maxsize)
    written = 0
    out = io.TextIOWrapper(handle, encoding="utf-8", newline="")
    writer = csv.writer(out, delimiter=delimiter)
    with open_binary(source) as binary:
        text = io.TextIOWrapper(binary, encoding=options.decoding, newline="")
        reader = csv.reader(text, delimiter=delimiter)
        header = next(reader)
        column = header.index(options.text_field)
        writer.writerow(header)
        line = reader.line_num + 1
        for values in reader:
            start, line = line, reader.line_num + 1
            if start in kept and len(values) == len(header):
                values[column] = kept[start]
                writer.writerow(values)
                written += 1
    out.flush()
    out.detach()  # leave the compressed stream to its own block
    return written


def _write_back_parquet(
    source: Path, target: Path, kept: Mapping[int, str], options: ReadOptions
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    file = pq.ParquetFile(source)
    table = file.read()
    rows = sorted(number for number in kept if number <= table.num_rows)
    table = table.take(pa.array([number - 1 for number in rows], type=pa.int64()))
    column = table.schema.get_field_index(options.text_field)
    text_field = table.schema.field(column)
    texts = pa.array([kept[number] for number in rows], type=pa.string()).cast(text_field.type)
    table = table.set_column(column, text_field, texts)
    codec = "snappy"
    if file.metadata.num_row_groups and file.metadata.num_columns:
        codec = file.metadata.row_group(0).column(0).compression.lower()
    with atomic_write(target, "wb") as handle:
        pq.write_table(table, handle, compression="none" if codec == "uncompressed" else codec)
    return len(rows)
