"""The one family of errors the tool raises on purpose.

``str(err)`` is the whole message a user sees, e.g. ``corpus/feed.jsonl:17: missing field "text"``.
The CLI turns any :class:`DedupError` into that one line on stderr; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def printable(text: str) -> str:
    """``text`` on one line: control characters (a newline in a file name) written as
    escapes, such as ``\\n``."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda found: repr(found.group())[1:-1], text)


class DedupError(Exception):
    """Base class of every error `dedup` raises for bad input, bad settings or bad state."""


class InputError(DedupError):
    """A file or record that cannot be read.

    Parameters
    ----------
    path : str
        The file as the user named it (``"-"`` for standard input).
    line : int or None
        1-based line (or row) number, or None when the whole file is at fault.
    reason : str
        What is wrong, and where useful what to do about it.
    """

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        super().__init__(printable(self.location) + ": " + reason)

    @property
    def location(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


class ConfigError(DedupError):
    """A setting out of range or inconsistent with another; names the field."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class IndexFormatError(DedupError):
    """An on-disk index or stage output that is missing, corrupt or built with other settings."""


class StageError(DedupError):
    """A pipeline stage that cannot run (e.g. an output folder inside an input folder)."""
