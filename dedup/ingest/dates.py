"""Dates as feeds give them (ISO 8601, RFC 2822, Unix time) → ISO 8601; anything else is a
warning, never a guess."""

from __future__ import annotations

import dataclasses
import email.utils
import functools
import re
from datetime import date, datetime, timezone

from dedup.types import Record, Reject


@functools.lru_cache(maxsize=1 << 16)  # a corpus has few distinct dates, read many times
def parse_date(value: str | int | float) -> str | None:
    """A date as feeds give it, in ISO form; None when it is none of these:

    * ISO 8601 date (``2016-12-10``) or date-time (``2016-12-10T09:30:00Z``);
    * RFC 2822, as RSS and e-mail write it (``Sat, 10 Dec 2016 09:30:00 GMT``): the month
      is a name, so day and month cannot be mixed up;
    * Unix time in seconds or milliseconds, as a number or a string of 9–10 (seconds) or
      12–13 (milliseconds) digits, with an optional fraction: returned in UTC.

    A date-time keeps its time and, when given, its offset (``+00:00`` for GMT and Unix
    time). Nothing else is tried: ``10/12/2016`` could be either of two days."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _epoch_date(float(value), len(str(int(value))))
    text = value.strip()
    if not text:
        return None
    epoch = _EPOCH.fullmatch(text)
    if epoch:
        return _epoch_date(float(text), len(epoch.group(1)))
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        pass
    if _RFC2822.search(text):
        try:
            return email.utils.parsedate_to_datetime(text).isoformat()
        except (ValueError, TypeError, IndexError, OverflowError):
            return None
    return None


_EPOCH = re.compile(r"(\d{9,10}|\d{12,13})(?:\.\d+)?")
# a month name and a time: what an RFC 2822 date has and a free-text date may not
_RFC2822 = re.compile(
    r"(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b.*\d{1,2}:\d{2}"
)


def _epoch_date(seconds: float, digits: int) -> str | None:
    """Unix time of ``digits`` integer digits (9–10: seconds; 12–13: milliseconds)."""
    if digits in (12, 13):
        seconds /= 1000
    elif digits not in (9, 10):
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def _check_date(record: Record) -> tuple[Record, Reject | None]:
    if record.date is None:
        return record, None
    parsed = parse_date(record.date)
    if parsed is None:
        warning = Reject(
            record.source,
            f'unparsable date "{record.date}" (expected ISO 8601 such as 2016-12-10, '
            "RFC 2822 or Unix time); date left empty",
            record.id,
        )
        return _replace_date(record, None), warning
    if parsed == record.date:
        return record, None
    return _replace_date(record, parsed), None


def _replace_date(record: Record, value: str | None) -> Record:
    return dataclasses.replace(record, date=value)
