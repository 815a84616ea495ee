"""The in-memory index: per item a packed signature, size and origin; per band, sorted runs.

`MemoryIndex` stores no band keys. A band's *value* is the top PREFIX_BITS bits of its band key
(from the full 32-bit MinHash values) followed by the band's 4-bit values (16 bits for 4 rows):
30 bits at the defaults, so two sentences with unequal bands share a value with probability
~2^-30 (an extra candidate, which confirmation rejects); equal bands always do. Each band keeps
item ids sorted by value in LSM runs (a dict buffer flushed into sorted runs, merged
geometrically). A small run keeps its values explicitly (8 bytes an entry, one searchsorted per
query); a large one keeps, per band, a directory of 2^PREFIX_BITS offsets instead, so the
prefix is implied by an entry's position and the rest is read back from the stored signature:
a query is a directory lookup and a short binary search per band, vectorized over a batch's
sentences. Run-local ids are 16 bits in runs of up to 65,536 items, else 20 (runs stop
merging at 2^20 items).

Cost per item at the defaults: 32 signature bytes + 16 bands x 2.5-byte ids (2 in runs of up
to 65,536 items) + 2 (size) + 4 (paragraph), ~78 bytes, plus 1 MB of directory per large run
and the document ids: 254 bytes of arrays per paragraph of 3.15 sentences.
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np

from cleanseed.dedup import SIG_BITS, bbit
from cleanseed.index.check import check_arrays
from cleanseed.index.runs import BUCKET_CANDIDATES, RunStore, _prefixes, _Run

BUFFER_ITEMS = 4096  # items held in the dict buffer before they become a sorted run
MERGE_RATIO = 4  # a run is merged into the one before it while that one is < 4x its size
MAX_RUN_ITEMS = 1 << 20  # runs stop merging past this: bounds the transient copy of a merge
BATCH_RUN_ITEMS = 256  # one document of this many items, or any batch, becomes a run without the buffer
SENTENCE_CANDIDATES = 128  # a query's items per sentence at most, the earliest (ordinary text: 79 seen)

assert SIG_BITS == 4, "MemoryIndex packs two 4-bit values a byte"

# what `add` takes, for one document: band keys, 8-bit signatures, sizes, document id, paragraphs
Addition = tuple[np.ndarray, np.ndarray, np.ndarray, str, list[int]]


_BAND_WORD: dict[int, Any] = {2: np.uint8, 4: "<u2", 8: "<u4"}  # a band of 2, 4, 8 rows as one word


class MemoryIndex(RunStore):
    """Items in compact arrays for one run; see the module docstring for the layout."""

    def __init__(self, num_perm: int, bands: int = 16) -> None:
        if num_perm % bands:
            raise ValueError("num_perm must be a multiple of bands")
        self.num_perm, self.bands, self.rows = num_perm, bands, num_perm // bands
        self._vbits = min(32, SIG_BITS * self.rows)  # bits of a band value after its prefix
        self._width = (num_perm + 1) // 2  # signature bytes per item
        self._n = 0
        self._sig = bytearray()  # uint8[n, width]: packed 4-bit values; grows by realloc, no copy
        self._size = array("H")
        self._para = array("I")
        self._doc_first = array("Q")  # first item of each document
        self._doc_off = array("Q", [0])  # doc ids: offsets into _doc_bytes
        self._doc_bytes = bytearray()
        self._buffer: dict[int, Any] = {}
        self._buffer_vals: list[np.ndarray] = []
        self._buffered_from = 0  # items from here on live in the buffer, not in runs
        self._runs: list[_Run] = []

    def __len__(self) -> int:
        return self._n

    # ---- per item ----

    def _sigs(self) -> np.ndarray:
        return np.frombuffer(self._sig, dtype=np.uint8).reshape(-1, self._width)

    def _packed(self, sig8: np.ndarray) -> np.ndarray:
        """uint8[k, width]: the 4-bit values of 8-bit signatures, two a byte (low nibble first)."""
        nib = bbit(sig8)
        if self.num_perm % 2:
            nib = np.concatenate([nib, np.zeros((len(nib), 1), dtype=np.uint8)], axis=1)
        return np.ascontiguousarray(nib[:, 0::2] | (nib[:, 1::2] << 4))

    def _unpacked(self, packed: np.ndarray) -> np.ndarray:
        out = np.empty((len(packed), 2 * self._width), dtype=np.uint8)
        out[:, 0::2] = packed & 15
        out[:, 1::2] = packed >> 4
        return out[:, : self.num_perm]

    def signatures(self, items: np.ndarray) -> np.ndarray:
        return self._unpacked(self._sigs()[np.asarray(items, dtype=np.int64)])

    def sizes(self, items: np.ndarray) -> np.ndarray:
        return np.frombuffer(self._size, dtype=np.uint16)[np.asarray(items, dtype=np.int64)].astype(np.int64)

    def doc_id(self, doc: int) -> str:
        return self._doc_bytes[self._doc_off[doc] : self._doc_off[doc + 1]].decode("utf-8")

    def where(self, item: int) -> tuple[str, int]:
        doc = int(np.searchsorted(np.frombuffer(self._doc_first, dtype=np.uint64), item, side="right")) - 1
        return self.doc_id(doc), int(self._para[item])

    def where_many(self, items: np.ndarray) -> list[tuple[str, int]]:
        items = np.asarray(items, dtype=np.int64)
        docs = np.searchsorted(np.frombuffer(self._doc_first, dtype=np.uint64), items, side="right") - 1
        paras = np.frombuffer(self._para, dtype=np.uint32)[items].tolist()
        names = {d: self.doc_id(d) for d in set(docs.tolist())}
        return [(names[d], p) for d, p in zip(docs.tolist(), paras)]

    # ---- band values ----

    def _nibs(self, packed: np.ndarray, band: np.ndarray | None) -> np.ndarray:
        """uint64 band values after the prefix, read from packed signatures: all bands
        ([k, bands], `band` None) or one band per row ([k])."""
        k = len(packed)
        rows = self.rows
        if rows in (2, 4, 8) and self._width % (rows // 2) == 0:  # a band is 1, 2 or 4 whole bytes
            words = packed.view(_BAND_WORD[rows]).reshape(k, self.bands)
            out = words if band is None else words[np.arange(k), band]
            return out.astype(np.uint64)
        nib = self._unpacked(packed).reshape(k, self.bands, rows)
        if band is not None:
            nib = nib[np.arange(k), band][:, None, :]
        acc = np.zeros(nib.shape[:2], dtype=np.uint64)
        with np.errstate(over="ignore"):
            for r in range(rows):
                if self._vbits == SIG_BITS * rows:
                    acc |= nib[:, :, r].astype(np.uint64) << np.uint64(SIG_BITS * r)
                else:  # more than 8 rows: folded to 32 bits (equal bands still fold equal)
                    acc = (acc * np.uint64(0x01000193) + nib[:, :, r]) & np.uint64(0xFFFFFFFF)
        return acc if band is None else acc[:, 0]

    def _nib_at(self, items: np.ndarray, band: np.ndarray) -> np.ndarray:
        """Band values after the prefix of stored items, `band` per item."""
        rows = self.rows
        if rows in (2, 4, 8) and self._width % (rows // 2) == 0:
            words = self._sigs().view(_BAND_WORD[rows])
            return words[items, band].astype(np.uint64)
        return self._nibs(self._sigs()[items], band)

    def _values(self, keys: np.ndarray, packed: np.ndarray) -> np.ndarray:
        """uint64[k, bands]: each band's key prefix, then its 4-bit values."""
        return self._prefixed(_prefixes(keys).reshape(len(packed), self.bands), packed)

    def _prefixed(self, prefix: np.ndarray, packed: np.ndarray) -> np.ndarray:
        return (prefix.astype(np.uint64) << np.uint64(self._vbits)) | self._nibs(packed, None)

    def band_values(self, keys: np.ndarray, sig8: np.ndarray) -> np.ndarray:
        """uint64[k, bands]: what `query` matches on; two sentences sharing one are candidates."""
        return self._values(keys, self._packed(sig8))

    # ---- adding ----

    def add(
        self, keys: np.ndarray, sig8: np.ndarray, sizes: np.ndarray, doc_id: str, paras: list[int]
    ) -> None:
        k = len(sig8)
        if not k:
            return
        start = self._n
        self._doc_first.append(start)
        self._doc_bytes += doc_id.encode("utf-8")
        self._doc_off.append(len(self._doc_bytes))
        packed = self._packed(sig8)
        self._sig += packed.tobytes()
        self._size.frombytes(np.asarray(sizes, dtype=np.uint16).tobytes())
        self._para.frombytes(np.asarray(paras, dtype=np.uint32).tobytes())
        self._n += k
        vals = self._values(keys, packed)
        self._buffer_vals.append(vals)
        buf, nb = self._buffer, self.bands
        for r, row in enumerate(vals.tolist()):
            item = start + r
            for b, v in enumerate(row):
                key = v * nb + b
                hit = buf.get(key)
                if hit is None:
                    buf[key] = item
                elif isinstance(hit, int):
                    buf[key] = [hit, item]
                else:
                    hit.append(item)
        if self._n - self._buffered_from >= BUFFER_ITEMS:
            self._flush()

    def add_batch(self, docs: list[Addition]) -> None:
        """`add` for many documents: a large batch becomes a sorted run without the buffer."""
        docs = [d for d in docs if len(d[1])]
        if not docs:
            return
        if len(docs) == 1 and len(docs[0][1]) < BATCH_RUN_ITEMS:
            for d in docs:
                self.add(*d)
            return
        self._append(
            _prefixes(np.concatenate([d[0] for d in docs])),
            self._packed(np.concatenate([d[1] for d in docs])),
            np.concatenate([np.asarray(d[2], dtype=np.uint16) for d in docs]),
            np.concatenate([np.asarray(d[4], dtype=np.uint32) for d in docs]),
            [d[3] for d in docs],
            np.array([len(d[1]) for d in docs], dtype=np.int64),
        )

    def _append(
        self,
        prefix: np.ndarray,
        packed: np.ndarray,
        sizes: np.ndarray,
        paras: np.ndarray,
        doc_ids: list[str],
        counts: np.ndarray,
    ) -> None:
        """Items of whole documents, in order, as one new run (band prefixes given, uint16[k, bands])."""
        k = len(packed)
        if not k:
            return
        self._flush()  # the buffer first: runs stay in item order
        firsts = self._n + np.cumsum(counts) - counts
        self._doc_first.frombytes(firsts.astype(np.uint64).tobytes())
        for doc_id in doc_ids:
            self._doc_bytes += doc_id.encode("utf-8")
            self._doc_off.append(len(self._doc_bytes))
        self._sig += np.ascontiguousarray(packed, dtype=np.uint8).tobytes()
        self._size.frombytes(np.asarray(sizes, dtype=np.uint16).tobytes())
        self._para.frombytes(np.asarray(paras, dtype=np.uint32).tobytes())
        self._n += k
        self._buffer_vals = [self._prefixed(prefix.reshape(k, self.bands), packed)]
        self._flush()

    def sync(self) -> None:
        """Bring the index up to date before a batch is judged (a shared index pulls others' items)."""

    def commit(self, docs: list[Addition]) -> bool:
        """Add a judged batch's kept items; False when the index changed since `sync` (judge again)."""
        self.add_batch(docs)
        return True

    def _flush(self) -> None:
        """The buffer becomes a sorted run; runs of similar size merge."""
        m = self._n - self._buffered_from
        if not m:
            return
        vals = np.concatenate(self._buffer_vals)
        self._buffer = {}
        self._buffer_vals = []
        local = np.arange(m, dtype=np.int64)
        self._runs.append(self._build(self._buffered_from, m, lambda b: iter([(vals[:, b], local)])))
        self._buffered_from = self._n
        while (
            len(self._runs) >= 2
            and self._runs[-2].m < MERGE_RATIO * self._runs[-1].m
            and self._runs[-2].m + self._runs[-1].m <= MAX_RUN_ITEMS
        ):
            b = self._runs.pop()
            a = self._runs.pop()
            self._runs.append(self._merge(a, b))

    # ---- querying ----

    def query(self, keys: np.ndarray, sig8: np.ndarray | None = None) -> list[np.ndarray]:
        """Per sentence, the items sharing at least one band value with it, sorted (earliest first)."""
        if sig8 is None:
            raise TypeError("MemoryIndex.query needs the 8-bit signatures")
        rows, items = self.query_pairs(keys, sig8)
        bounds = np.searchsorted(rows, np.arange(len(sig8) + 1)).tolist()
        return [items[bounds[r] : bounds[r + 1]] for r in range(len(sig8))]

    def query_pairs(self, keys: np.ndarray, sig8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`query` as (sentence, item) pairs, each once, sorted by sentence then item."""
        n = len(sig8)
        none = np.zeros(0, dtype=np.int64)
        if not n or not self._n:
            return none, none
        vals = self._values(keys, self._packed(sig8))
        qrow_parts: list[np.ndarray] = []
        item_parts: list[np.ndarray] = []
        if self._buffer:
            qr: list[int] = []
            it: list[int] = []
            buf, nb = self._buffer, self.bands
            for r, row in enumerate(vals.tolist()):
                for b, v in enumerate(row):
                    hit = buf.get(v * nb + b)
                    if hit is None:
                        continue
                    if isinstance(hit, int):
                        qr.append(r)
                        it.append(hit)
                    else:
                        hit = hit[:BUCKET_CANDIDATES]
                        qr.extend([r] * len(hit))
                        it.extend(hit)
            if it:
                qrow_parts.append(np.array(qr, dtype=np.int64))
                item_parts.append(np.array(it, dtype=np.int64))
        flat = vals.reshape(-1)
        band = np.tile(np.arange(self.bands, dtype=np.int64), n)
        qrow = np.repeat(np.arange(n, dtype=np.int64), self.bands)
        order = np.argsort(flat | (band.astype(np.uint64) << np.uint64(48)))  # sorted needles search faster
        flat, band, qrow = flat[order], band[order], qrow[order]
        for run in self._runs:
            q, i = self._search(run, flat, band, qrow)
            if len(i):
                qrow_parts.append(q)
                item_parts.append(i)
        if not item_parts:
            return none, none
        pairs = np.unique(np.concatenate(qrow_parts) * np.int64(1 << 40) + np.concatenate(item_parts))
        rows, items = pairs >> 40, pairs & ((1 << 40) - 1)
        rank = np.arange(len(rows)) - np.searchsorted(rows, rows)  # place among the sentence's items
        keep = rank < SENTENCE_CANDIDATES
        if not keep.all():
            rows, items = rows[keep], items[keep]
        return rows, items

    # ---- size, persistence ----

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays (the buffer's dict not counted)."""
        return (
            len(self._sig)
            + self._size.itemsize * len(self._size)
            + self._para.itemsize * len(self._para)
            + 8 * (len(self._doc_first) + len(self._doc_off))
            + len(self._doc_bytes)
            + sum(r.nbytes for r in self._runs)
        )

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything, as arrays (the buffer flushed; views, valid until the next `add`)."""
        self._flush()
        out = {
            "sig4": self._sigs(),
            "sizes": np.frombuffer(self._size, dtype=np.uint16),
            "paras": np.frombuffer(self._para, dtype=np.uint32),
            "doc_first": np.frombuffer(self._doc_first, dtype=np.uint64),
            "doc_off": np.frombuffer(self._doc_off, dtype=np.uint64),
            "doc_bytes": np.frombuffer(self._doc_bytes, dtype=np.uint8),
            "runs": np.array([[r.start, r.m] for r in self._runs], dtype=np.uint64).reshape(-1, 2),
        }
        for i, run in enumerate(self._runs):
            out[f"run{i}_ids"] = run.ids
            if run.hi is not None:
                out[f"run{i}_hi"] = run.hi
            if run.keys is not None:
                out[f"run{i}_keys"] = run.keys
            else:
                assert run.dir is not None
                out[f"run{i}_dir"] = run.dir
        return out

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Take what `arrays` gave, once `check_arrays` finds it whole (else a ValueError)."""
        check_arrays(arrays, self.bands, self._width, self._vbits)
        sig = arrays["sig4"]
        self._sig = bytearray(sig.tobytes())
        self._size = array("H", arrays["sizes"].astype(np.uint16).tobytes())
        self._para = array("I", arrays["paras"].astype(np.uint32).tobytes())
        self._doc_first = array("Q", arrays["doc_first"].astype(np.uint64).tobytes())
        self._doc_off = array("Q", arrays["doc_off"].astype(np.uint64).tobytes())
        self._doc_bytes = bytearray(arrays["doc_bytes"].tobytes())
        self._n = self._buffered_from = len(sig)
        self._buffer = {}
        self._buffer_vals = []
        self._runs = []
        for i, (start, m) in enumerate(arrays["runs"].tolist()):
            ids = arrays[f"run{i}_ids"]
            self._runs.append(
                _Run(
                    start,
                    m,
                    len(ids) // self.bands,
                    ids,
                    arrays.get(f"run{i}_hi"),
                    arrays.get(f"run{i}_keys"),
                    arrays.get(f"run{i}_dir"),
                )
            )

    def close(self) -> None:
        pass

    def discard(self) -> None:
        pass
