"""Where signatures live: in memory for one run (persistent file and Redis backends later)."""

from __future__ import annotations

from typing import Any

import numpy as np

from cleanseed.config import DedupConfig


class MemoryIndex:
    """Band keys -> items, with each item's 8-bit signature, shingle count and (document, paragraph)."""

    def __init__(self, num_perm: int) -> None:
        self.num_perm = num_perm
        self._buckets: dict[int, Any] = {}
        self._sigs: list[np.ndarray] = []
        self._sizes: list[int] = []
        self._doc: list[int] = []
        self._para: list[int] = []
        self._doc_ids: list[str] = []
        self._sig_array = np.zeros((0, num_perm), dtype=np.uint8)

    def __len__(self) -> int:
        return len(self._sizes)

    def query(self, keys: np.ndarray) -> list[np.ndarray]:
        """Per row of band keys, the items sharing at least one band, sorted (earliest first)."""
        out = []
        buckets = self._buckets
        for row in keys.tolist():
            found: set[int] = set()
            for k in row:
                hit = buckets.get(k)
                if hit is None:
                    continue
                if isinstance(hit, int):
                    found.add(hit)
                else:
                    found.update(hit)
            out.append(np.array(sorted(found), dtype=np.int64))
        return out

    def _materialize(self) -> None:
        if len(self._sig_array) < len(self._sigs):
            self._sig_array = (
                np.vstack([self._sig_array, *self._sigs[len(self._sig_array) :]])
                if self._sigs
                else self._sig_array
            )

    def signatures(self, items: np.ndarray) -> np.ndarray:
        self._materialize()
        return self._sig_array[items]

    def sizes(self, items: np.ndarray) -> np.ndarray:
        return np.array([self._sizes[i] for i in items.tolist()], dtype=np.int64)

    def where(self, item: int) -> tuple[str, int]:
        return self._doc_ids[self._doc[item]], self._para[item]

    def add(
        self, keys: np.ndarray, sig8: np.ndarray, sizes: np.ndarray, doc_id: str, paras: list[int]
    ) -> None:
        doc = len(self._doc_ids)
        self._doc_ids.append(doc_id)
        start = len(self._sizes)
        for r, row in enumerate(keys.tolist()):
            item = start + r
            for k in row:
                hit = self._buckets.get(k)
                if hit is None:
                    self._buckets[k] = item
                elif isinstance(hit, int):
                    self._buckets[k] = [hit, item]
                else:
                    hit.append(item)
            self._sigs.append(sig8[r : r + 1])
        self._sizes.extend(sizes.tolist())
        self._doc.extend([doc] * len(paras))
        self._para.extend(paras)

    def close(self) -> None:
        pass


def open_index(config: DedupConfig) -> MemoryIndex:
    return MemoryIndex(config.num_perm)
