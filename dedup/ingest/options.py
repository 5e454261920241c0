"""How the input is read (:class:`ReadOptions`), and what every reader shares: a bad record
becomes a Reject, or under ``strict`` the error itself."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import Any

from dedup.errors import ConfigError, InputError
from dedup.types import Reject

FORMATS = ("auto", "txt", "jsonl", "json", "csv", "parquet", "warc", "html")


@dataclass(frozen=True)
class ReadOptions:
    """How to read the input; field names are those of the input's columns or keys."""

    format: str = "auto"
    encoding: str = "utf-8"
    id_field: str = "id"
    text_field: str = "text"
    title_field: str = "title"
    date_field: str = "date"
    outlet_field: str = "outlet"
    url_field: str = "url"
    metadata: str | None = None
    strict: bool = False

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ConfigError("format", f"must be one of {', '.join(FORMATS)}, got {self.format!r}")
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise ConfigError("encoding", f"unknown encoding {self.encoding!r}") from None

    @property
    def decoding(self) -> str:
        """The codec that decodes the input (UTF-8 with an optional BOM for "utf-8")."""
        name = codecs.lookup(self.encoding).name
        return "utf-8-sig" if name == "utf-8" else name


@dataclass(frozen=True, slots=True)
class Note:
    """Something worth saying about the input that skipped no record."""

    warning: Reject


def _text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return None if not text or text.isspace() else text


def _fail(error: InputError, options: ReadOptions) -> Reject:
    """A reject, or the error itself under --strict."""
    if options.strict:
        raise error
    return Reject(error.location, error.reason)


def _reject(rejects: list[Reject], reject: Reject, options: ReadOptions) -> None:
    if options.strict:
        path, _, line = reject.source.rpartition(":")
        if path and line.isdigit():
            raise InputError(path, int(line), reject.reason)
        raise InputError(reject.source, None, reject.reason)
    rejects.append(reject)


def _decode_message(err: UnicodeDecodeError, options: ReadOptions) -> str:
    return f"not valid {options.encoding} at byte {err.start} (try --encoding)"
