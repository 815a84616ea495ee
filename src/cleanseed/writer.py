"""JSONL out: one object per document, keys in the contract's order."""

from __future__ import annotations

from typing import Any

import orjson

from cleanseed.record import Record


def dumps(obj: dict[str, Any]) -> bytes:
    """One JSON line (UTF-8, newline-terminated)."""
    return orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE)


def to_line(rec: Record, mark: bool = False) -> bytes:
    return dumps(rec.to_dict(mark=mark))
