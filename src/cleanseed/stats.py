"""Counters of a run and the summary written to standard error at its end."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TextIO

from cleanseed.record import Record


@dataclass
class Stats:
    """What a run read, wrote, removed and could not process."""

    docs_in: int = 0
    docs_out: int = 0
    docs_failed: int = 0
    docs_dropped: int = 0  # whole-document duplicates left out on request
    bytes_out: int = 0
    removed: Counter[str] = field(default_factory=Counter)  # "boilerplate/share", "duplicate"
    removed_words: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    def count(self, rec: Record) -> None:
        """Count one record that reached the end of the pipeline (written, dropped or failed)."""
        self.docs_in += 1
        if rec.error is not None:
            self.docs_failed += 1
            self.failures[rec.error.split(":", 1)[0]] += 1
            return
        for entry in rec.removed:
            key = entry["reason"] if entry["reason"] == "duplicate" else f"boilerplate/{entry.get('rule')}"
            self.removed[key] += 1
            self.removed_words[key] += len(entry["text"].split())

    def summary(self) -> str:
        secs = time.monotonic() - self.started
        lines = [
            f"cleanseed: {self.docs_in} documents in, {self.docs_out} out, {self.docs_failed} failed,"
            f" {self.docs_dropped} dropped as duplicates; {self.bytes_out / 1e6:.1f} MB written in {secs:.1f}s",
        ]
        if self.removed:
            parts = ", ".join(
                f"{k} {v} ({self.removed_words[k]} words)" for k, v in sorted(self.removed.items())
            )
            lines.append(f"cleanseed: removed passages: {parts}")
        if self.failures:
            lines.append(
                "cleanseed: failed: " + ", ".join(f"{k} {v}" for k, v in sorted(self.failures.items()))
            )
        return "\n".join(lines)

    def write_summary(self, stream: TextIO) -> None:
        print(self.summary(), file=stream)
