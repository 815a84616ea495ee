"""Sorted runs of band values, a MemoryIndex's LSM runs: how they are built, merged and searched."""

from __future__ import annotations

import mmap
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

KEYED_RUN_ITEMS = 1 << 16  # runs up to this size keep explicit band values; larger ones a directory
PREFIX_BITS = 14  # band-key bits a large run's directory implies (a 2^14 + 1 offsets per band)
STRIDE = 1 << 13  # a large run's bands start at multiples of this many entries (whole pages)
CHUNK = 1 << 17  # entries read at a time from a run being merged
RUN_ID_BITS = 20  # run-local ids: a run holds at most 2^20 items
# a query's items per sentence, band and run at most, the earliest: a page of thousands of
# near-identical lines fills one bucket with all of them (ordinary text: at most 79 seen)
BUCKET_CANDIDATES = 100


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
    two a byte): runs never exceed MAX_RUN_ITEMS (2^20, in `memory`)."""

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


class RunStore:
    """What a MemoryIndex does with its `_Run`s: build one from band values, merge two, search
    one. A large run keeps no values past their prefix: they are read back from the stored
    signatures through `_nib_at`, which the index provides."""

    bands: int
    _vbits: int  # bits of a band value after its prefix

    def _nib_at(self, items: np.ndarray, band: np.ndarray) -> np.ndarray:
        """Band values after the prefix of stored items, `band` per item."""
        raise NotImplementedError

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
        if id_bits > RUN_ID_BITS:
            raise ValueError(f"a run holds at most 2^{RUN_ID_BITS} items")
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

    def _search(
        self, run: _Run, vals: np.ndarray, band: np.ndarray, qrow: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        if run.keys is not None:
            wanted = vals | (band.astype(np.uint64) << np.uint64(48))
            lo = np.searchsorted(run.keys, wanted, "left")
            hit = np.flatnonzero(run.keys[np.minimum(lo, len(run.keys) - 1)] == wanted)
            lo, wanted, qrow = lo[hit], wanted[hit], qrow[hit]  # most find nothing: the rest are counted
            counts = np.minimum(np.searchsorted(run.keys, wanted, "right") - lo, BUCKET_CANDIDATES)
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
        for _ in range(BUCKET_CANDIDATES):
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
