"""Where signatures live: compact arrays in memory, a file that persists them, or a Redis server.

An index holds items (kept sentences). Per item: its b-bit MinHash signature (`dedup.bbit`: 4
bits per value, two values a byte), its shingle count, and where it came from (document,
output paragraph). The interface the near-duplicate stage uses:

    query(keys, sig8)      per sentence, the item ids sharing at least one LSH band, sorted
    signatures(items)      uint8[len, num_perm] of b-bit values
    sizes(items)           shingle counts
    where(item)            (document id, paragraph)
    add(keys, sig8, sizes, doc_id, paras)
    close()                end of a completed run (a persistent index is saved here)
    discard()              end of an interrupted run (nothing is saved)

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
merging at 2^20 items). For a batch: `query_pairs`, `band_values`, `sync`, `commit`.

Cost per item at the defaults: 32 signature bytes + 16 bands x 2.5-byte ids (2 in runs of up
to 65,536 items) + 2 (size) + 4 (paragraph), ~78 bytes, plus 1 MB of directory per large run
and the document ids: 254 bytes of arrays per paragraph of 3.15 sentences.
"""

from __future__ import annotations

import json
import mmap
import os
import tempfile
import zipfile
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from cleanseed.config import DedupConfig
from cleanseed.dedup import SIG_BITS, bbit
from cleanseed.errors import IndexError_

BUFFER_ITEMS = 4096  # items held in the dict buffer before they become a sorted run
MERGE_RATIO = 4  # a run is merged into the one before it while that one is < 4x its size
MAX_RUN_ITEMS = 1 << 20  # runs stop merging past this: bounds the transient copy of a merge
KEYED_RUN_ITEMS = 1 << 16  # runs up to this size keep explicit band values; larger ones a directory
BATCH_RUN_ITEMS = 256  # one document of this many items, or any batch, becomes a run without the buffer
PREFIX_BITS = 14  # band-key bits a large run's directory implies (a 2^14 + 1 offsets per band)
FORMAT = "cleanseed-index"
VERSION = 2

assert SIG_BITS == 4, "MemoryIndex packs two 4-bit values a byte"

# what `add` takes, for one document: band keys, 8-bit signatures, sizes, document id, paragraphs
Addition = tuple[np.ndarray, np.ndarray, np.ndarray, str, list[int]]


_BAND_WORD: dict[int, Any] = {2: np.uint8, 4: "<u2", 8: "<u4"}  # a band of 2, 4, 8 rows as one word
STRIDE = 1 << 13  # a large run's bands start at multiples of this many entries (whole pages)
CHUNK = 1 << 17  # entries read at a time from a run being merged


def _prefixes(keys: np.ndarray) -> np.ndarray:
    """The top PREFIX_BITS bits of band keys, as uint16."""
    return (np.asarray(keys, dtype=np.uint64) >> np.uint64(64 - PREFIX_BITS)).astype(np.uint16)


def _mapped(count: int, dtype: Any) -> tuple[np.ndarray, mmap.mmap]:
    """A zeroed array in its own anonymous mapping, so parts of it can be released early."""
    mm = mmap.mmap(-1, max(1, count * np.dtype(dtype).itemsize))
    return np.frombuffer(mm, dtype=dtype, count=count), mm


class _Run:
    """Items start..start+m: per band (a block of `stride` entries), run-local ids sorted by band
    value, then either the values themselves (`keys`: band << 48 | value, small runs) or a
    directory on their prefix. Ids are 16 bits (`ids`) plus, past 65,536 items, 4 more (`hi`,
    two a byte): runs never exceed MAX_RUN_ITEMS (2^20)."""

    __slots__ = ("start", "m", "stride", "ids", "hi", "keys", "dir", "maps")

    def __init__(
        self,
        start: int,
        m: int,
        stride: int,
        ids: np.ndarray,
        hi: np.ndarray | None,
        keys: np.ndarray | None,
        dir: np.ndarray | None,
        maps: tuple[mmap.mmap, ...] = (),
    ) -> None:
        self.start, self.m, self.stride, self.ids, self.hi = start, m, stride, ids, hi
        self.keys, self.dir, self.maps = keys, dir, maps

    @property
    def nbytes(self) -> int:
        """Bytes in use (a band block's padding past its m entries is never touched)."""
        used = len(self.ids) // self.stride * self.m * (2.5 if self.hi is not None else 2)
        return int(used + sum(x.nbytes for x in (self.keys, self.dir) if x is not None))

    def local(self, pos: np.ndarray | slice) -> np.ndarray:
        """Run-local ids at entry positions (band * stride + rank)."""
        out = self.ids[pos].astype(np.int64)
        if self.hi is not None:
            p = np.arange(pos.start, pos.stop) if isinstance(pos, slice) else pos
            out |= ((self.hi[p >> 1] >> ((p & 1) << 2)).astype(np.int64) & 15) << 16
        return out

    def release(self, band: int) -> None:
        """Give a band's pages back to the system (a merge has read them; the run is going)."""
        if not self.maps or not hasattr(mmap, "MADV_DONTNEED"):
            return
        page = mmap.PAGESIZE
        for mm, arr in zip(self.maps, (self.ids, self.hi)):
            assert arr is not None
            per = arr.nbytes // self.bands_count()
            lo, hi = band * per, (band + 1) * per
            lo, hi = -(-lo // page) * page, hi // page * page
            if hi > lo:
                mm.madvise(mmap.MADV_DONTNEED, lo, hi - lo)

    def bands_count(self) -> int:
        return len(self.ids) // self.stride


class MemoryIndex:
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

    def _entries(self, run: _Run, band: int, offset: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One band of a run in chunks: (values, ids local to a run starting `offset` earlier)."""
        for lo in range(0, run.m, CHUNK):
            hi = min(run.m, lo + CHUNK)
            at = band * run.stride
            local = run.local(slice(at + lo, at + hi))
            if run.keys is not None:
                vals = run.keys[band * run.m + lo : band * run.m + hi] & np.uint64((1 << 48) - 1)
            else:
                assert run.dir is not None
                prefix = np.searchsorted(run.dir[band], np.arange(lo, hi), "right") - 1
                vals = prefix.astype(np.uint64) << np.uint64(self._vbits)
                del prefix
                vals |= self._nib_at(run.start + local, np.full(hi - lo, band))
            yield vals, local + offset

    def _build(
        self, start: int, m: int, parts: Callable[[int], Iterator[tuple[np.ndarray, np.ndarray]]]
    ) -> _Run:
        """A run of items start..start+m from each band's (values, run-local ids) in any order,
        made one band at a time so a merge's transient memory is about one band's."""
        keyed = m <= KEYED_RUN_ITEMS
        id_bits = max(1, (m - 1).bit_length())
        if id_bits > 20:
            raise ValueError("a run holds at most 2^20 items")
        fits = PREFIX_BITS + self._vbits + id_bits <= 64
        maps: tuple[mmap.mmap, ...] = ()
        hi: np.ndarray | None = None
        if keyed:
            stride = m + m % 2
            ids = np.empty(self.bands * stride, dtype=np.uint16)
            if m > 1 << 16:
                hi = np.empty(self.bands * stride // 2 + 1, dtype=np.uint8)
        else:
            stride = -(-m // STRIDE) * STRIDE
            ids, mm = _mapped(self.bands * stride, np.uint16)
            maps = (mm,)
            if m > 1 << 16:
                hi, mm = _mapped(self.bands * stride // 2, np.uint8)
                maps = (*maps, mm)
        keys = np.empty(self.bands * m, dtype=np.uint64) if keyed else None
        dirs = None if keyed else np.empty((self.bands, (1 << PREFIX_BITS) + 1), dtype=np.uint32)
        for b in range(self.bands):
            if fits:  # one uint64 sort, no index arrays: a merge's peak memory stays low
                both = np.empty(m, dtype=np.uint64)
                at = 0
                for vals, local in parts(b):
                    k = len(vals)
                    np.left_shift(vals, np.uint64(id_bits), out=both[at : at + k])
                    both[at : at + k] |= local.astype(np.uint64)
                    at += k
                    del vals, local
                both.sort()
                local = (both & np.uint64((1 << id_bits) - 1)).astype(np.uint32)
                both >>= np.uint64(id_bits)
                vals = both
            else:
                chunks = list(parts(b))
                vals = np.concatenate([c[0] for c in chunks])
                local = np.concatenate([c[1] for c in chunks]).astype(np.uint32)
                del chunks
                order = np.lexsort((local, vals))
                vals, local = vals[order], local[order]
                del order
            at = b * stride
            ids[at : at + m] = local.astype(np.uint16)
            if hi is not None:
                top = (local >> np.uint32(16)).astype(np.uint8)
                if m % 2:
                    top = np.append(top, np.uint8(0))
                hi[at // 2 : at // 2 + len(top) // 2] = top[0::2] | (top[1::2] << np.uint8(4))
                del top
            del local
            if keys is not None:
                keys[b * m : (b + 1) * m] = vals | np.uint64(b << 48)
            else:
                assert dirs is not None
                vals >>= np.uint64(self._vbits)
                dirs[b] = np.searchsorted(vals, np.arange((1 << PREFIX_BITS) + 1, dtype=np.uint64))
            del vals
        return _Run(start, m, stride, ids, hi, keys, dirs, maps)

    def _merge(self, a: _Run, b: _Run) -> _Run:
        def parts(band: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
            yield from self._entries(a, band, 0)
            yield from self._entries(b, band, b.start - a.start)
            a.release(band)  # read for the last time: the merged run replaces them band by band
            b.release(band)

        return self._build(a.start, a.m + b.m, parts)

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
        return pairs >> 40, pairs & ((1 << 40) - 1)

    def _search(
        self, run: _Run, vals: np.ndarray, band: np.ndarray, qrow: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        if run.keys is not None:
            wanted = vals | (band.astype(np.uint64) << np.uint64(48))
            lo = np.searchsorted(run.keys, wanted, "left")
            hit = np.flatnonzero(run.keys[np.minimum(lo, len(run.keys) - 1)] == wanted)
            lo, wanted, qrow = lo[hit], wanted[hit], qrow[hit]  # most find nothing: the rest are counted
            counts = np.searchsorted(run.keys, wanted, "right") - lo
            total = int(counts.sum())
            if not total:
                return np.zeros(0, np.int64), np.zeros(0, np.int64)
            pos = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(total)
            pos += (pos // run.m) * (run.stride - run.m)  # keys are packed, ids strided
            return np.repeat(qrow, counts), run.local(pos) + run.start
        assert run.dir is not None
        prefix = (vals >> np.uint64(self._vbits)).astype(np.int64)
        nibs = vals & np.uint64((1 << self._vbits) - 1)
        lo = run.dir[band, prefix].astype(np.int64)
        hi = run.dir[band, prefix + 1].astype(np.int64)
        active = np.flatnonzero(lo < hi)
        nibs, band, qrow, lo, hi = (x[active] for x in (nibs, band, qrow, lo, hi))
        end = hi.copy()
        base = band * run.stride
        while True:  # lower bound of each value inside its directory bucket
            open_ = lo < hi
            if not open_.any():
                break
            mid = np.minimum((lo + hi) >> 1, end - 1)
            v = self._nib_at(run.local(base + mid) + run.start, band)
            right = open_ & (v < nibs)
            lo = np.where(right, mid + 1, lo)
            hi = np.where(open_ & ~right, mid, hi)
        q_parts, i_parts = [], []
        pos = lo
        sel = np.arange(len(pos))
        while len(sel):
            sel = sel[pos[sel] < end[sel]]
            if not len(sel):
                break
            items = run.local(base[sel] + pos[sel]) + run.start
            eq = self._nib_at(items, band[sel]) == nibs[sel]
            sel, items = sel[eq], items[eq]
            q_parts.append(qrow[sel])
            i_parts.append(items)
            pos[sel] += 1
        if not q_parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(q_parts), np.concatenate(i_parts)

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
        sig = arrays["sig4"]
        if sig.ndim != 2 or sig.shape[1] != self._width or sig.dtype != np.uint8:
            raise ValueError("signature width does not match")
        self._sig = bytearray(sig.tobytes())
        self._size = array("H", arrays["sizes"].astype(np.uint16).tobytes())
        self._para = array("I", arrays["paras"].astype(np.uint32).tobytes())
        self._doc_first = array("Q", arrays["doc_first"].astype(np.uint64).tobytes())
        self._doc_off = array("Q", arrays["doc_off"].astype(np.uint64).tobytes())
        self._doc_bytes = bytearray(arrays["doc_bytes"].tobytes())
        self._n = self._buffered_from = len(sig)
        if not len(self._size) == len(self._para) == self._n:
            raise ValueError("per-item arrays differ in length")
        self._buffer = {}
        self._buffer_vals = []
        self._runs = []
        covered = 0
        for i, (start, m) in enumerate(arrays["runs"].tolist()):
            ids, hi = arrays[f"run{i}_ids"], arrays.get(f"run{i}_hi")
            keys, dirs = arrays.get(f"run{i}_keys"), arrays.get(f"run{i}_dir")
            stride = len(ids) // self.bands
            if (
                start != covered
                or not 0 < m <= min(stride, MAX_RUN_ITEMS)
                or ids.shape != (self.bands * stride,)
                or ids.dtype != np.uint16
                or (hi is None) != (m <= 1 << 16)
                or (hi is not None and (hi.dtype != np.uint8 or len(hi) < self.bands * stride // 2))
                or (keys is None) == (dirs is None)
                or (keys is not None and keys.shape != (self.bands * m,))
                or (dirs is not None and dirs.shape != (self.bands, (1 << PREFIX_BITS) + 1))
            ):
                raise ValueError(f"run {i} does not match its item count")
            self._runs.append(_Run(start, m, stride, ids, hi, keys, dirs))
            covered += m
        if covered != self._n:
            raise ValueError("band arrays do not cover every item")

    def close(self) -> None:
        pass

    def discard(self) -> None:
        pass


# ---- a file ----


def signature_options(config: DedupConfig) -> dict[str, int]:
    """What shapes signatures and band matches: an index is only valid under the same options."""
    from cleanseed.dedup import SHINGLE

    return {"num_perm": config.num_perm, "bands": config.bands, "seed": config.seed, "shingle": SHINGLE}


class FileIndex(MemoryIndex):
    """A MemoryIndex loaded from a file at start and written back atomically by `close()`.

    The file is an uncompressed zip of .npy arrays (read with allow_pickle=False) and
    header.json: format, version, the signature options, counts. Writing goes to a temporary
    file beside it, fsynced, then `os.replace`d over it: a run killed at any moment leaves the
    previous index whole.
    """

    def __init__(self, path: str | Path, config: DedupConfig) -> None:
        super().__init__(config.num_perm, config.bands)
        self.path = Path(path)
        self.options = signature_options(config)
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        try:
            with zipfile.ZipFile(self.path) as zf:
                header = json.loads(zf.read("header.json"))
                if header.get("format") != FORMAT:
                    raise IndexError_(f"{self.path} is not a cleanseed index")
                if header.get("version") != VERSION:
                    raise IndexError_(
                        f"{self.path} is a version {header.get('version')} index; this cleanseed reads "
                        f"version {VERSION}: build a new index"
                    )
                if header.get("options") != self.options:
                    theirs = header.get("options") or {}
                    diff = ", ".join(
                        f"{k} {theirs.get(k)} (now {v})"
                        for k, v in self.options.items()
                        if theirs.get(k) != v
                    )
                    raise IndexError_(
                        f"{self.path} was built with other signature options: {diff}; "
                        "use those options or a new index"
                    )
                arrays = {}
                for name in header["arrays"]:
                    with zf.open(name + ".npy") as fh:
                        arrays[name] = np.lib.format.read_array(fh, allow_pickle=False)  # type: ignore[no-untyped-call]
        except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise IndexError_(f"cannot read index {self.path}: {exc}") from exc
        try:
            self.load_arrays(arrays)
        except (KeyError, ValueError) as exc:
            raise IndexError_(f"index {self.path} is damaged: {exc}") from exc

    def save(self) -> None:
        arrays = self.arrays()
        header = {
            "format": FORMAT,
            "version": VERSION,
            "options": self.options,
            "items": self._n,
            "documents": len(self._doc_first),
            "arrays": sorted(arrays),
        }
        folder = self.path.parent if str(self.path.parent) else Path(".")
        try:
            fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise IndexError_(f"cannot write index {self.path}: {exc.strerror}") from exc
        try:
            with os.fdopen(fd, "wb") as raw:
                with zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
                    zf.writestr("header.json", json.dumps(header, indent=1))
                    for name, arr in sorted(arrays.items()):
                        with zf.open(name + ".npy", "w", force_zip64=True) as fh:
                            np.lib.format.write_array(fh, np.ascontiguousarray(arr), allow_pickle=False)  # type: ignore[no-untyped-call]
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(tmp, self.path)
        except BaseException as exc:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            if isinstance(exc, OSError):
                raise IndexError_(f"cannot write index {self.path}: {exc.strerror or exc}") from exc
            raise

    def close(self) -> None:
        self.save()


def open_index(config: DedupConfig) -> Any:
    """The index `config.index` names: None in memory, redis:// or rediss:// a server, else a file."""
    where = config.index
    if where is None:
        return MemoryIndex(config.num_perm, config.bands)
    if where.startswith(("redis://", "rediss://")):
        return RedisIndex(where, config)
    return FileIndex(where, config)


# ---- a Redis server ----

_PREFIX = "cleanseed:"
_PAGE = 256  # segments fetched per round trip when catching up

# Append a segment only if the log is as long as the caller last saw it; else return what it missed.
_PUSH = """
local n = redis.call('LLEN', KEYS[1])
if n == tonumber(ARGV[1]) then
  redis.call('RPUSH', KEYS[1], ARGV[2])
  return {}
end
return redis.call('LRANGE', KEYS[1], ARGV[1], tonumber(ARGV[1]) + tonumber(ARGV[3]) - 1)
"""


class RedisIndex(MemoryIndex):
    """A log of added items in a Redis server, shared by every process that names it, and this
    process's replica of it (a MemoryIndex, so queries never leave the process).

    Keys (prefix `cleanseed:`): `meta` (format and signature options, checked on open) and `log`,
    a list of segments: one per committed batch, the batch's kept items (per item the 14-bit
    band-key prefixes, the 4-bit signature, shingle count and paragraph; per document its id),
    about 70 bytes an item. A batch is judged against the replica, then appended by a script
    that refuses when the log has grown since this process last read it and returns the
    segments it missed instead: the replica takes them and the batch is judged again. So no two
    processes ever both keep one passage; which copy is kept follows the order of the log.
    Opening the index reads the whole log (in pages of 256 segments): memory and start-up
    grow with the index, as a MemoryIndex's do.
    """

    def __init__(self, url: str, config: DedupConfig) -> None:
        super().__init__(config.num_perm, config.bands)
        try:
            import redis
        except ImportError as exc:
            raise IndexError_(
                "a redis:// index needs the redis client: pip install 'cleanseed[redis]'"
            ) from exc
        from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

        parts = urlsplit(url)
        # `bucket_bits` shaped the version 1 layout; the log has no buckets
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "bucket_bits"]
        url = urlunsplit(parts._replace(query=urlencode(query)))
        self.url = url
        self.options = signature_options(config)
        self._shown = f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"
        self._errors = redis.RedisError
        self._log = _PREFIX + "log"
        self._cursor = 0  # segments of the log in the replica
        self._alone = False  # the last read found nothing new: no other process is writing
        wanted = {"format": FORMAT, "version": VERSION, "options": self.options}
        try:
            self.r = redis.Redis.from_url(url, socket_connect_timeout=5)
            self.r.hsetnx(_PREFIX + "meta", "options", json.dumps(wanted))
            meta = self.r.hget(_PREFIX + "meta", "options")
            self._push = self.r.register_script(_PUSH)
        except redis.RedisError as exc:
            raise IndexError_(f"cannot reach the index at {self._shown}: {exc}") from exc
        header = json.loads(meta or "{}")
        if header.get("version") != VERSION:
            raise IndexError_(
                f"the index at {self._shown} is a version {header.get('version')} index; this "
                f"cleanseed reads version {VERSION}: use another database or empty this one"
            )
        if header.get("options") != self.options:
            raise IndexError_(
                f"the index at {self._shown} was built with other signature options: {header.get('options')}"
            )
        self.sync()

    def _call(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except self._errors as exc:
            raise IndexError_(f"index server {self._shown}: {exc}") from exc

    def sync(self, force: bool = False) -> None:
        """Read what other processes appended. Skipped while nobody else writes (unless forced):
        a commit is checked anyway, so that saves a round trip a batch at no risk."""
        if self._alone and not force:
            return
        while True:
            got = self._call(lambda: self.r.lrange(self._log, self._cursor, self._cursor + _PAGE - 1))
            self._take(got)
            if len(got) < _PAGE:
                self._alone = not got
                return

    def _take(self, segments: list[bytes]) -> None:
        """Segments of the log into the replica, as one run (a page of them at start-up)."""
        if not segments:
            return
        parts = [self._unpack_segment(blob) for blob in segments]
        self._append(
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
            np.concatenate([p[3] for p in parts]),
            [doc_id for p in parts for doc_id in p[4]],
            np.concatenate([p[5] for p in parts]),
        )
        self._cursor += len(segments)

    def commit(self, docs: list[Addition]) -> bool:
        docs = [d for d in docs if len(d[1])]
        if not docs:
            return True  # nothing kept: nothing another process added can undo that
        blob = self._segment(docs)
        missed = self._call(lambda: self._push(keys=[self._log], args=[self._cursor, blob, _PAGE]))
        if not missed:
            self._take([blob])
            return True
        self._take(missed)
        self.sync(force=True)
        self._alone = False  # another process writes: read before each batch from now on
        return False

    def _segment(self, docs: list[Addition]) -> bytes:
        ids = [d[3].encode("utf-8") for d in docs]
        head = np.array([len(docs), sum(len(d[1]) for d in docs)], dtype="<u4")
        return b"".join(
            [
                head.tobytes(),
                np.array([len(d[1]) for d in docs], dtype="<u4").tobytes(),
                np.array([len(i) for i in ids], dtype="<u4").tobytes(),
                b"".join(ids),
                np.concatenate([_prefixes(d[0]) for d in docs]).astype("<u2").tobytes(),
                self._packed(np.concatenate([d[1] for d in docs])).tobytes(),
                np.concatenate([np.asarray(d[2], dtype="<u2") for d in docs]).tobytes(),
                np.concatenate([np.asarray(d[4], dtype="<u4") for d in docs]).tobytes(),
            ]
        )

    def _unpack_segment(
        self, blob: bytes
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str], np.ndarray]:
        n_docs, k = np.frombuffer(blob, dtype="<u4", count=2).tolist()
        at = 8
        counts = np.frombuffer(blob, dtype="<u4", count=n_docs, offset=at).astype(np.int64)
        at += 4 * n_docs
        lens = np.frombuffer(blob, dtype="<u4", count=n_docs, offset=at).tolist()
        at += 4 * n_docs
        doc_ids = []
        for n in lens:
            doc_ids.append(blob[at : at + n].decode("utf-8"))
            at += n
        prefix = np.frombuffer(blob, dtype="<u2", count=k * self.bands, offset=at).reshape(k, self.bands)
        at += 2 * k * self.bands
        packed = np.frombuffer(blob, dtype=np.uint8, count=k * self._width, offset=at).reshape(k, self._width)
        at += k * self._width
        sizes = np.frombuffer(blob, dtype="<u2", count=k, offset=at)
        paras = np.frombuffer(blob, dtype="<u4", count=k, offset=2 * k + at)
        return prefix, packed, sizes, paras, doc_ids, counts

    def add(
        self, keys: np.ndarray, sig8: np.ndarray, sizes: np.ndarray, doc_id: str, paras: list[int]
    ) -> None:
        """One document, appended to the log whatever it holds now (`commit` is the checked way)."""
        while not self.commit([(keys, sig8, sizes, doc_id, paras)]):
            pass

    def memory(self) -> int:
        """Bytes the server uses (used_memory)."""
        return int(self._call(lambda: self.r.info("memory"))["used_memory"])

    def close(self) -> None:
        self.r.close()

    def discard(self) -> None:
        self.r.close()
