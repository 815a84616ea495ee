"""Blocks that recur across the pages of one site: the `recurring` rule, a streaming stage."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

import xxhash

from cleanseed.furniture.rules import _fold, nwords
from cleanseed.record import Record, url_host

_DIGITS = re.compile(r"\d+")


def site_of(url: str | None) -> str:
    """The host of a URL without "www.", or "" when there is none (all such documents form one site)."""
    if not url:
        return ""
    host = url_host(url)
    return host[4:] if host.startswith("www.") else host


def block_key(site: str, text: str) -> int:
    """A short block's identity on one site: folded, digits ignored ("Updated 3/4/2020" recurs)."""
    return xxhash.xxh64_intdigest((site + "\0" + _DIGITS.sub("0", _fold(text))).encode())


class Recurring:
    """Stage: short blocks found in many documents of one site are furniture (rule `recurring`),
    removed from every copy, the first included, in one streaming pass.

    Each record waits in a look-ahead window of `window` documents before it is judged, so a
    block that recurs later in the stream is known when its first copy leaves. A block is
    recurring when at least `min_docs` documents of the site hold it, and at least a fifth of
    the site's documents seen so far: a generic sentence that a few stories share ("He declined
    to comment.") is not furniture.

    Memory: the window's records, a count per site, and at most `capacity` block counts (~100
    bytes each in a dict). When the counts outgrow it, the rarest are forgotten (all blocks seen
    once, then twice, ..., until half remain), as in lossy counting: a block that comes back
    later starts again from one. Furniture is dense (in a fifth of a site's pages), so it
    survives; what is forgotten is mostly the body text of single pages.
    """

    def __init__(
        self, window: int = 256, min_docs: int = 3, max_words: int = 30, capacity: int = 1 << 20
    ) -> None:
        self.window, self.min_docs, self.max_words = window, min_docs, max_words
        self.capacity = capacity
        self.block_docs: dict[int, int] = {}
        self.site_docs: dict[str, int] = {}

    def _forget_rarest(self) -> None:
        counts = self.block_docs
        floor = 1
        while len(counts) > self.capacity // 2:
            counts = {k: n for k, n in counts.items() if n > floor}
            floor += 1
        self.block_docs = counts

    def blocks(self, rec: Record) -> tuple[str, list[int | None]]:
        """A document's site, and the key of each paragraph short enough to be furniture (else
        None): pure, per document, so worker processes can compute it."""
        site = site_of(rec.url)
        return site, [block_key(site, p) if nwords(p) <= self.max_words else None for p in rec.paragraphs]

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        return (rec for rec, _ in self.judge_stream((rec, None, None) for rec in records))

    def judge_stream(
        self, items: Iterable[tuple[Record, tuple[str, list[int | None]] | None, Any]]
    ) -> Iterator[tuple[Record, Any]]:
        """The stage over (record, its `blocks` or None to compute them here, a value carried
        along): (record, value) pairs, in order."""
        pending: deque[tuple[Record, str, list[int | None], Any]] = deque()
        for rec, blocks, carried in items:
            site: str = ""
            keys: list[int | None] = []
            if rec.error is None:
                site, keys = blocks if blocks is not None else self.blocks(rec)
                self.site_docs[site] = self.site_docs.get(site, 0) + 1
                for key in set(k for k in keys if k is not None):
                    self.block_docs[key] = self.block_docs.get(key, 0) + 1
                if len(self.block_docs) > self.capacity:
                    self._forget_rarest()
            pending.append((rec, site, keys, carried))
            if len(pending) > self.window:
                yield self._judge(*pending.popleft())
        while pending:
            yield self._judge(*pending.popleft())

    def _judge(self, rec: Record, site: str, keys: list[int | None], carried: Any) -> tuple[Record, Any]:
        if rec.error is not None or not any(k is not None for k in keys):
            return rec, carried
        floor = max(self.min_docs, self.site_docs.get(site, 0) // 5)
        kept = []
        for text, key in zip(rec.paragraphs, keys):
            if key is not None and self.block_docs.get(key, 0) >= floor:
                rec.removed.append({"text": text, "reason": "boilerplate", "rule": "recurring"})
            else:
                kept.append(text)
        rec.paragraphs = kept
        return rec, carried
