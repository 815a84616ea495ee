"""Counters of a run, the progress line on a terminal, and the summary on standard error."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import IO, TextIO

from cleanseed.record import Record


@dataclass
class Stats:
    """What a run read, wrote, removed and could not process."""

    docs_read: int = 0  # taken in by the readers so far (the pipeline may hold some back)
    docs_in: int = 0  # through the pipeline: written, dropped or failed
    docs_out: int = 0
    docs_failed: int = 0
    docs_dropped: int = 0  # whole-document duplicates left out on request
    bytes_in: int = 0  # input bytes read, as stored (compressed files count compressed)
    bytes_out: int = 0
    removed: Counter[str] = field(default_factory=Counter)  # "boilerplate/share", "duplicate"
    removed_words: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    def read(self, nbytes: int) -> None:
        """Count input bytes as the readers take them in."""
        self.bytes_in += nbytes

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
        """Documents in/out/failed, bytes in/out and time; passages removed by reason and rule."""
        secs = time.monotonic() - self.started
        lines = [
            f"cleanseed: {self.docs_in} documents in, {self.docs_out} out, {self.docs_failed} failed,"
            f" {self.docs_dropped} dropped as duplicates;"
            f" {_mb(self.bytes_in)} read, {_mb(self.bytes_out)} written in {secs:.1f}s",
        ]
        if self.removed:
            by_reason: Counter[str] = Counter()
            for key, n in self.removed.items():
                by_reason[key.split("/", 1)[0]] += n
            lines.append(
                "cleanseed: removed passages: "
                + ", ".join(f"{reason} {n}" for reason, n in sorted(by_reason.items()))
            )
            lines.extend(
                f"cleanseed:   {key:<24} {n:>7} ({self.removed_words[key]} words)"
                for key, n in sorted(self.removed.items(), key=lambda kv: (-kv[1], kv[0]))
            )
        if self.failures:
            lines.append(
                "cleanseed: failed: " + ", ".join(f"{k} {v}" for k, v in sorted(self.failures.items()))
            )
        return "\n".join(lines)

    def write_summary(self, stream: TextIO) -> None:
        print(self.summary(), file=stream)


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


class Progress:
    """A one-line progress display on a terminal: documents, megabytes read, rate.

    Disabled, it does nothing: callers create it with `enabled=stream.isatty() and not quiet`.
    """

    def __init__(self, stream: IO[str], enabled: bool, interval: float = 0.2) -> None:
        self.stream, self.enabled, self.interval = stream, enabled, interval
        self.start = time.monotonic()
        self.last = -interval  # so the first update draws
        self.shown = False

    def line(self, stats: Stats, now: float) -> str:
        """The progress text for these counts at time `now`."""
        secs = max(1e-9, now - self.start)
        return (
            f"cleanseed: {stats.docs_read} docs read, {stats.docs_out} written ({stats.docs_failed} failed),"
            f" {_mb(stats.bytes_in)} in, {stats.docs_read / secs:.0f} docs/s, {stats.bytes_in / 1e6 / secs:.1f} MB/s"
        )

    def update(self, stats: Stats) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < self.interval:
            return
        self.last = now
        self.stream.write("\r\033[K" + self.line(stats, now))
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """Erase the line, so what follows starts on a clean one; the next update draws it again."""
        if self.enabled and self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False
