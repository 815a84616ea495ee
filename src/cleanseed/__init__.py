"""cleanseed: turn scraped documents into clean, de-duplicated JSONL."""

__version__ = "0.1.0"

from cleanseed.pipeline import clean  # noqa: E402
from cleanseed.record import Record  # noqa: E402

__all__ = ["Record", "clean", "__version__"]
