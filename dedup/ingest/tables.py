"""CSV/TSV (a header row, then a record a row) and Parquet (a record a row) → records."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from dedup.errors import InputError
from dedup.ingest.compressed import (
    READ_ERRORS,
    _stem,
    open_binary,
    plain_suffix,
    read_error_message,
)
from dedup.ingest.options import ReadOptions, _fail
from dedup.ingest.rows import _record_from_row, records_of_rows
from dedup.types import Record, Reject

# --- CSV / TSV ----------------------------------------------------------------------------


def _read_csv(path: Path, options: ReadOptions) -> Iterator[Record | Reject]:
    delimiter = "\t" if plain_suffix(path) == ".tsv" else ","
    yield from _csv_records(lambda: open_binary(path), str(path), _stem(path), delimiter, options)


def _csv_records(
    open_binary: Callable[[], BinaryIO],
    name: str,
    stem: str,
    delimiter: str,
    options: ReadOptions,
) -> Iterator[Record | Reject]:
    rows = _csv_rows_of(open_binary, name, delimiter, options, required=(options.text_field,))
    yield from records_of_rows(rows, name, stem, options)


def _csv_rows(
    path: Path, options: ReadOptions, required: Sequence[str]
) -> Iterator[tuple[dict[str, Any], str] | Reject]:
    delimiter = "\t" if plain_suffix(path) == ".tsv" else ","
    yield from _csv_rows_of(lambda: open_binary(path), str(path), delimiter, options, required)


def _csv_rows_of(
    open_binary: Callable[[], BinaryIO],
    name: str,
    delimiter: str,
    options: ReadOptions,
    required: Sequence[str],
) -> Iterator[tuple[dict[str, Any], str] | Reject]:
    csv.field_size_limit(sys.maxsize)
    try:
        with open_binary() as binary:
            text = io.TextIOWrapper(binary, encoding=options.decoding, newline="")
            reader = csv.reader(text, delimiter=delimiter)
            try:
                header = next(reader)
            except StopIteration:
                yield _fail(InputError(name, 1, "empty file: no header row"), options)
                return
            missing = [column for column in required if column not in header]
            if missing:
                yield _fail(
                    InputError(
                        name,
                        1,
                        f'no column "{missing[0]}" (columns: {", ".join(header)}; '
                        "choose one with --text-field/--id-field)",
                    ),
                    options,
                )
                return
            line = reader.line_num + 1
            rows = iter(reader)
            while True:
                try:
                    values = next(rows)
                except StopIteration:
                    return
                except READ_ERRORS as err:
                    yield _fail(InputError(name, line, read_error_message(err)), options)
                    return
                start, line = line, reader.line_num + 1
                if not values:
                    continue
                if len(values) != len(header):
                    yield _fail(
                        InputError(
                            name,
                            start,
                            f"expected {len(header)} columns, found {len(values)}",
                        ),
                        options,
                    )
                    continue
                yield dict(zip(header, values)), f"{name}:{start}"
    except READ_ERRORS as err:  # opening the file, or reading its header
        yield _fail(InputError(name, None, read_error_message(err)), options)
    except csv.Error as err:
        yield _fail(InputError(name, None, f"malformed CSV: {err}"), options)


# --- Parquet ------------------------------------------------------------------------------


def _read_parquet(
    path: Path | io.BytesIO, options: ReadOptions, name: str | None = None
) -> Iterator[Record | Reject]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = name or str(path)
    stem = "stdin" if isinstance(path, io.BytesIO) else _stem(path)

    try:
        handle = pq.ParquetFile(path)
    except Exception as err:  # pyarrow raises several unrelated types for a bad file
        yield _fail(InputError(name, None, f"not a readable Parquet file: {err}"), options)
        return
    columns = handle.schema_arrow.names
    if options.text_field not in columns:
        yield _fail(
            InputError(
                name,
                None,
                f'no column "{options.text_field}" (columns: {", ".join(columns)}; '
                "choose one with --text-field)",
            ),
            options,
        )
        return
    row_number = 0
    batches = handle.iter_batches(batch_size=4096)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (*READ_ERRORS, pa.ArrowException) as err:  # a damaged row group
            yield _fail(
                InputError(name, row_number + 1, f"not a readable Parquet file: {err}"),
                options,
            )
            return
        for row in batch.to_pylist():
            row_number += 1
            yield _record_from_row(row, name, row_number, f"{stem}:{row_number}", options)
