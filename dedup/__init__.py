"""dedup: near-duplicate and syndication detection for news text.

    >>> import dedup
    >>> result = dedup.scan(["a b c d e f g h i j k l m n", "x a b c d e f g h i j k l m n y"])
    >>> result.to_pandas()  # doctest: +SKIP

The names below are loaded when first used, so ``import dedup`` (and ``dedup --help``) stays
quick.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name → the module that defines it.
_EXPORTS = {
    "scan": "dedup.api",
    "clean": "dedup.api",
    "clean_spilled": "dedup.api",
    "stories": "dedup.api",
    "chains": "dedup.api",
    "report": "dedup.api",
    "Index": "dedup.index",
    "Config": "dedup.config",
    "read_corpus": "dedup.ingest",
    "ReadOptions": "dedup.ingest",
    "as_records": "dedup.prepare",
    "Record": "dedup.types",
    "ScanResult": "dedup.types",
    "CleanResult": "dedup.types",
    "StoriesResult": "dedup.types",
    "ChainsResult": "dedup.types",
    "DedupError": "dedup.errors",
    "InputError": "dedup.errors",
    "ConfigError": "dedup.errors",
    "IndexFormatError": "dedup.errors",
    "StageError": "dedup.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dedup' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
