"""dedup: find reused passages and syndicated copy across news articles."""

__version__ = "0.1.0"
