"""cleanseed: turn scraped documents into clean, de-duplicated JSONL."""

from __future__ import annotations

from typing import Any

from cleanseed.record import Record

__version__ = "0.1.0"
__all__ = ["Record", "clean", "__version__"]


def __getattr__(name: str) -> Any:
    # `clean` is imported on first use, so importing the package (the command line does, first)
    # does not import numpy before the command line has set its thread count
    if name == "clean":
        from cleanseed.pipeline import clean

        return clean
    raise AttributeError(f"module 'cleanseed' has no attribute {name!r}")
