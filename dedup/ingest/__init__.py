"""Readers: folders of .txt files, JSON lines, CSV/TSV and Parquet → :class:`Record`.

Every reader yields records and, for each bad record, a :class:`Reject` naming the file and
line and saying what is wrong. With ``strict`` the first bad record raises
:class:`InputError` instead. Input files are opened read-only and never modified. Nothing is
guessed: a field the input does not give stays None.

Formats
-------
* a folder: every ``*.txt`` below it (hidden files skipped), id = path relative to the folder
  without ``.txt``; the text is the file's decoded bytes exactly (a UTF-8 BOM removed), so
  offsets into it are offsets into the file. Metadata (id, outlet, date, url, title) comes
  from a sidecar ``metadata.csv``, ``metadata.jsonl`` or ``metadata.json`` in the folder, or
  from ``ReadOptions.metadata``. A sidecar row with a ``file`` column names the file
  (relative to the folder) whose id is the row's ``id`` (as ``dedup clean`` writes it).
* a folder holding no ``.txt`` file but shards (``.jsonl``, ``.json``, ``.csv``, ``.tsv``,
  ``.parquet``, compressed or not, at any depth): each shard read as its extension says, in
  path order. A damaged shard is skipped from where it breaks; the others are read.
* a folder ``dedup clean`` wrote (its ``run.json`` says so): the cleaned corpus in it, with
  the ids and metadata it was written with. The output folder of any other ``dedup`` run is
  refused: it holds results, not articles.
* a glob pattern (``"feeds/*.jsonl.zst"``, ``"crawl/**/*.csv"``) that is not itself a path:
  every file (or folder) it matches, in sorted order.
* ``.jsonl`` / ``.ndjson``, or ``-`` for standard input: one JSON object a line. A record
  without an id gets ``<file stem>:<line>``.
* ``.json``: a JSON array of objects (each one a record; a record without an id gets
  ``<file stem>:<record number>``, its source is the line where the object starts), or JSON
  lines when the file does not start with ``[``.
* ``.csv`` / ``.tsv``: a header row, then one record a row.
* ``.parquet``: one record a row.
* a single ``.txt`` file: one record, id = file name without extension.

Any file but Parquet may be compressed: ``.gz``, ``.bz2``, ``.xz`` or ``.zst`` after the
format's own extension (``feed.jsonl.zst``). Standard input is read in ``ReadOptions.format``
(JSON lines when it is "auto").
"""

from __future__ import annotations

from dedup.ingest.compressed import (
    COMPRESSIONS,
    READ_ERRORS,
    CutShort,
    format_of,
    open_binary,
    plain_suffix,
    read_error_message,
)
from dedup.ingest.dates import parse_date
from dedup.ingest.folders import SIDECARS, FolderListing, folder_files, output_folder_input
from dedup.ingest.jsonl import is_json_array, json_array_items, text_lines
from dedup.ingest.options import FORMATS, Note, ReadOptions
from dedup.ingest.reader import (
    Corpus,
    CorpusReader,
    input_size,
    iter_path,
    iter_records,
    read_corpus,
)
from dedup.ingest.rows import UnusableRecord, record_problem, surrogate_field
from dedup.ingest.webpages import (
    WARC_EXTRA,
    PageText,
    decode_page,
    extract_article,
    html_element,
    page_metadata,
)

__all__ = [
    "COMPRESSIONS",
    "FORMATS",
    "READ_ERRORS",
    "SIDECARS",
    "WARC_EXTRA",
    "Corpus",
    "CorpusReader",
    "CutShort",
    "FolderListing",
    "Note",
    "PageText",
    "ReadOptions",
    "UnusableRecord",
    "decode_page",
    "extract_article",
    "folder_files",
    "format_of",
    "html_element",
    "input_size",
    "is_json_array",
    "iter_path",
    "iter_records",
    "json_array_items",
    "open_binary",
    "output_folder_input",
    "page_metadata",
    "parse_date",
    "plain_suffix",
    "read_corpus",
    "read_error_message",
    "record_problem",
    "surrogate_field",
    "text_lines",
]
