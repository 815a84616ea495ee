"""Where signatures live: compact arrays in memory, a file that persists them, or a Redis server.

An index holds items (kept sentences). Per item: its 8-bit MinHash signature (`num_perm` bytes),
its shingle count, and where it came from (document, output paragraph). The interface the
near-duplicate stage uses:

    query(keys, sig8)      per sentence, the item ids sharing at least one LSH band, sorted
    signatures(items)      uint8[len, num_perm]
    sizes(items)           shingle counts
    where(item)            (document id, paragraph)
    add(keys, sig8, sizes, doc_id, paras)
    close()                end of a completed run (a persistent index is saved here)
    discard()              end of an interrupted run (nothing is saved)

`MemoryIndex` finds band matches without storing band keys: a band matches exactly when its
`rows` MinHash values are equal, so their low bytes (which the 8-bit signature holds) are equal
too. Each band keeps only item ids, sorted by that band's low bytes (one uint32 for the default
4 rows), in LSM runs: an append buffer (a dict) flushed into sorted runs, merged geometrically;
a query is a short directory-guided binary search per run, vectorized over the document's
sentences. Cost per item at the defaults: 64 signature bytes + 16 bands x 3-byte ids + 2 + 4,
about 120 bytes; ~280 bytes per paragraph of ~2.3 sentences. Equal low bytes with unequal
values (probability 2^-32 per unrelated pair) only add a candidate, which confirmation judges.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from cleanseed.config import DedupConfig
from cleanseed.errors import IndexError_

BUFFER_ITEMS = 4096  # items held in the dict buffer before they become a sorted run
MERGE_RATIO = 4  # a run is merged into the one before it while that one is < 4x its size
MAX_RUN_ITEMS = 1 << 20
KEYED_RUN_ITEMS = (
    1 << 16
)  # runs up to this size keep explicit band values (8 bytes per entry)  # runs stop merging past this: bounds the transient copy of a merge
PACK_LIMIT = 1 << 24  # item ids below this are stored in 3 bytes
FORMAT = "cleanseed-index"
VERSION = 1


def _pack(ids: np.ndarray) -> np.ndarray:
    """Item ids as 3 little-endian bytes each when they fit, else uint32."""
    ids = ids.astype("<u4")
    if len(ids) and int(ids.max()) >= PACK_LIMIT:
        return ids
    return ids.view(np.uint8).reshape(-1, 4)[:, :3].copy()


def _unpack(packed: np.ndarray, pos: np.ndarray) -> np.ndarray:
    if packed.ndim == 1:
        return packed[pos].astype(np.int64)
    b = packed[pos].astype(np.int64)
    return b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)


def _dir_bits(m: int) -> int:
    """Directory buckets per band for a run of m items: 16-32 entries each, ~3 bytes per item."""
    return max(0, min(24, m.bit_length() - 5))


class _Run:
    """Sorted item ids, one block of `m` per band, and a directory on each band's top value bits."""

    __slots__ = ("m", "ids", "dir", "shift", "nb", "keys")

    def __init__(self, m: int, ids: np.ndarray, dir: np.ndarray, shift: int, nb: int) -> None:
        self.m, self.ids, self.dir, self.shift, self.nb = m, ids, dir, shift, nb
        # small runs also keep (band << 32 | value) sorted, for one searchsorted per query
        self.keys: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        return int(self.ids.nbytes + self.dir.nbytes + (self.keys.nbytes if self.keys is not None else 0))


class MemoryIndex:
    """Items in compact arrays for one run; see the module docstring for the layout."""

    def __init__(self, num_perm: int, bands: int = 16) -> None:
        if num_perm % bands:
            raise ValueError("num_perm must be a multiple of bands")
        self.num_perm, self.bands, self.rows = num_perm, bands, num_perm // bands
        self._vbits = 32 if self.rows <= 4 else 64
        self._n = 0
        self._sig = bytearray()  # uint8[n, num_perm]; grows by realloc (mremap), no copy
        self._size = array("H")
        self._para = array("I")
        self._doc_first = array("Q")  # first item of each document
        self._doc_off = array("Q", [0])  # doc ids: offsets into _doc_bytes
        self._doc_bytes = bytearray()
        self._buffer: dict[int, Any] = {}
        self._buffered_from = 0  # items from here on live in the buffer, not in runs
        self._runs: list[_Run] = []

    def __len__(self) -> int:
        return self._n

    # ---- per item ----

    def _sigs(self) -> np.ndarray:
        return np.frombuffer(self._sig, dtype=np.uint8).reshape(-1, self.num_perm)

    def signatures(self, items: np.ndarray) -> np.ndarray:
        return self._sigs()[np.asarray(items, dtype=np.int64)]

    def sizes(self, items: np.ndarray) -> np.ndarray:
        return np.frombuffer(self._size, dtype=np.uint16)[np.asarray(items, dtype=np.int64)].astype(np.int64)

    def doc_id(self, doc: int) -> str:
        return self._doc_bytes[self._doc_off[doc] : self._doc_off[doc + 1]].decode("utf-8")

    def where(self, item: int) -> tuple[str, int]:
        doc = int(np.searchsorted(np.frombuffer(self._doc_first, dtype=np.uint64), item, side="right")) - 1
        return self.doc_id(doc), int(self._para[item])

    def where_many(self, items: np.ndarray) -> list[tuple[str, int]]:
        docs = np.searchsorted(np.frombuffer(self._doc_first, dtype=np.uint64), items, side="right") - 1
        return [(self.doc_id(int(d)), int(self._para[int(i)])) for d, i in zip(docs, items)]

    # ---- band values ----

    def _values(self, sig8: np.ndarray) -> np.ndarray:
        """uint32 or uint64[k, bands]: each band's rows of low bytes as one number."""
        k = len(sig8)
        rows = np.ascontiguousarray(sig8, dtype=np.uint8).reshape(k, self.bands, self.rows)
        if self.rows == 4:
            return rows.view("<u4").reshape(k, self.bands)
        if self.rows < 4:
            pad = np.zeros((k, self.bands, 4), dtype=np.uint8)
            pad[:, :, : self.rows] = rows
            return pad.view("<u4").reshape(k, self.bands)
        out = np.zeros((k, self.bands), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for r in range(self.rows):
                out = out * np.uint64(0x100000001B3) + rows[:, :, r]
        return out

    def _value_at(self, items: np.ndarray, band: np.ndarray) -> np.ndarray:
        """Band values of stored items (`band` per element)."""
        sigs = self._sigs()
        if self.rows == 4:
            return sigs.view("<u4")[items, band]
        cols = band[:, None] * self.rows + np.arange(self.rows)[None, :]
        return self._fold(sigs[items[:, None], cols])

    def _fold(self, rows: np.ndarray) -> np.ndarray:
        if self.rows <= 4:
            pad = np.zeros((len(rows), 4), dtype=np.uint8)
            pad[:, : self.rows] = rows
            return pad.view("<u4").reshape(-1)
        out = np.zeros(len(rows), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for r in range(self.rows):
                out = out * np.uint64(0x100000001B3) + rows[:, r]
        return out

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
        self._sig += np.ascontiguousarray(sig8, dtype=np.uint8).tobytes()
        self._size.frombytes(np.asarray(sizes, dtype=np.uint16).tobytes())
        self._para.frombytes(np.asarray(paras, dtype=np.uint32).tobytes())
        self._n += k
        buf = self._buffer
        vals = self._values(sig8).tolist()
        for r, row in enumerate(vals):
            item = start + r
            for b, v in enumerate(row):
                key = (v << 8) | b
                hit = buf.get(key)
                if hit is None:
                    buf[key] = item
                elif isinstance(hit, int):
                    buf[key] = [hit, item]
                else:
                    hit.append(item)
        if self._n - self._buffered_from >= BUFFER_ITEMS:
            self._flush()

    def _flush(self) -> None:
        """The buffer becomes a sorted run; runs of similar size merge."""
        if self._n == self._buffered_from:
            return
        items = np.arange(self._buffered_from, self._n, dtype=np.int64)
        self._runs.append(self._build(len(items), lambda band: items))
        self._buffer = {}
        self._buffered_from = self._n
        while (
            len(self._runs) >= 2
            and self._runs[-2].m < MERGE_RATIO * self._runs[-1].m
            and self._runs[-2].m + self._runs[-1].m <= MAX_RUN_ITEMS
        ):
            b = self._runs.pop()
            a = self._runs.pop()
            self._runs.append(self._merge(a, b))

    def _band_ids(self, run: _Run, band: int) -> np.ndarray:
        return _unpack(run.ids, np.arange(band * run.m, (band + 1) * run.m))

    def _build(self, m: int, band_items: Callable[[int], np.ndarray]) -> _Run:
        """A run of m items from each band's items (any order; sorted here by band value, then
        item), made one band at a time so a merge's transient memory is one band's."""
        nb = _dir_bits(m)
        shift = self._vbits - nb
        big = self._n >= PACK_LIMIT
        ids = np.empty(
            (self.bands * m,) if big else (self.bands * m, 3), dtype=np.uint32 if big else np.uint8
        )
        dirs = np.empty(self.bands * ((1 << nb) + 1), dtype=np.uint32)
        for b in range(self.bands):
            items = band_items(b)
            vals = self._value_at(items, np.full(m, b))
            if vals.dtype == np.uint32:  # one uint64 sort, no index arrays: a merge's peak memory stays low
                both = (vals.astype(np.uint64) << np.uint64(32)) | items.astype(np.uint64)
                del vals
                both.sort()
                items = (both & np.uint64(0xFFFFFFFF)).astype(np.int64)
                vals = (both >> np.uint64(32)).astype(np.uint32)
                del both
            else:
                order = np.lexsort((items, vals))
                items, vals = items[order], vals[order]
            ids[b * m : (b + 1) * m] = _pack(items) if not big else items
            tops = (vals >> vals.dtype.type(shift)).astype(np.int64) if nb else np.zeros(m, dtype=np.int64)
            d = dirs[b * ((1 << nb) + 1) : (b + 1) * ((1 << nb) + 1)]
            d[:] = np.searchsorted(tops, np.arange((1 << nb) + 1))
        run = _Run(m, ids, dirs, shift, nb)
        if self._vbits == 32 and m <= KEYED_RUN_ITEMS:
            keys = np.empty(self.bands * m, dtype=np.uint64)
            for b in range(self.bands):
                part = _unpack(ids, np.arange(b * m, (b + 1) * m))
                keys[b * m : (b + 1) * m] = self._value_at(part, np.full(m, b)).astype(np.uint64) | np.uint64(
                    b << 32
                )
            run.keys = keys
        return run

    def _merge(self, a: _Run, b: _Run) -> _Run:
        return self._build(a.m + b.m, lambda x: np.concatenate([self._band_ids(a, x), self._band_ids(b, x)]))

    # ---- querying ----

    def query(self, keys: np.ndarray, sig8: np.ndarray | None = None) -> list[np.ndarray]:
        """Per sentence, the items sharing at least one band with it, sorted (earliest first).

        `sig8` (the sentences' 8-bit signatures) is what this index searches by; `keys` is
        accepted for the interface's sake.
        """
        if sig8 is None:
            raise TypeError("MemoryIndex.query needs the 8-bit signatures")
        n = len(sig8)
        if not n or not self._n:
            return [np.zeros(0, dtype=np.int64) for _ in range(n)]
        vals = self._values(sig8)
        qrow_parts: list[np.ndarray] = []
        item_parts: list[np.ndarray] = []
        if self._buffer:
            qr: list[int] = []
            it: list[int] = []
            buf = self._buffer
            for r, row in enumerate(vals.tolist()):
                for b, v in enumerate(row):
                    hit = buf.get((v << 8) | b)
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
        for run in self._runs:
            q, i = self._search(run, flat, band, qrow)
            if len(i):
                qrow_parts.append(q)
                item_parts.append(i)
        out = [np.zeros(0, dtype=np.int64) for _ in range(n)]
        if not item_parts:
            return out
        pairs = np.unique(np.concatenate(qrow_parts) * np.int64(1 << 40) + np.concatenate(item_parts))
        rows = pairs >> 40
        items = pairs & ((1 << 40) - 1)
        bounds = np.searchsorted(rows, np.arange(n + 1))
        for r in range(n):
            if bounds[r] < bounds[r + 1]:
                out[r] = items[bounds[r] : bounds[r + 1]]
        return out

    def _search(
        self, run: _Run, vals: np.ndarray, band: np.ndarray, qrow: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        if run.keys is not None:
            wanted = vals.astype(np.uint64) | (band.astype(np.uint64) << np.uint64(32))
            lo = np.searchsorted(run.keys, wanted, "left")
            counts = np.searchsorted(run.keys, wanted, "right") - lo
            total = int(counts.sum())
            if not total:
                return np.zeros(0, np.int64), np.zeros(0, np.int64)
            pos = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(total)
            return np.repeat(qrow, counts), _unpack(run.ids, pos)
        width = (1 << run.nb) + 1
        tops = (
            (vals >> vals.dtype.type(run.shift)).astype(np.int64) if run.nb else np.zeros(len(vals), np.int64)
        )
        lo = run.dir[band * width + tops].astype(np.int64)
        hi = run.dir[band * width + tops + 1].astype(np.int64)
        end = hi.copy()
        base = band * run.m
        active = np.flatnonzero(lo < hi)
        vals, band, qrow, lo, hi, end, base = (x[active] for x in (vals, band, qrow, lo, hi, end, base))
        while True:  # lower bound of each value inside its directory bucket
            open_ = lo < hi
            if not open_.any():
                break
            mid = (lo + hi) >> 1
            midc = np.minimum(mid, end - 1)
            v = self._value_at(_unpack(run.ids, base + midc), band)
            right = open_ & (v < vals)
            lo = np.where(right, mid + 1, lo)
            hi = np.where(open_ & ~right, mid, hi)
        q_parts, i_parts = [], []
        pos = lo
        sel = np.arange(len(pos))
        while len(sel):
            ok = pos[sel] < end[sel]
            sel = sel[ok]
            if not len(sel):
                break
            items = _unpack(run.ids, base[sel] + pos[sel])
            eq = self._value_at(items, band[sel]) == vals[sel]
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
        """Everything, as arrays (the buffer flushed and the runs merged into one)."""
        self._flush()
        while len(self._runs) >= 2:
            b = self._runs.pop()
            a = self._runs.pop()
            self._runs.append(self._merge(a, b))
        out = {
            "sig8": self._sigs().copy(),
            "sizes": np.frombuffer(self._size, dtype=np.uint16).copy(),
            "paras": np.frombuffer(self._para, dtype=np.uint32).copy(),
            "doc_first": np.frombuffer(self._doc_first, dtype=np.uint64).copy(),
            "doc_off": np.frombuffer(self._doc_off, dtype=np.uint64).copy(),
            "doc_bytes": np.frombuffer(bytes(self._doc_bytes), dtype=np.uint8),
        }
        if self._runs:
            out["ids"] = self._runs[0].ids
            out["dir"] = self._runs[0].dir
        return out

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        sig8 = arrays["sig8"]
        if sig8.ndim != 2 or sig8.shape[1] != self.num_perm:
            raise ValueError("signature width does not match")
        self._sig = bytearray(sig8.astype(np.uint8).tobytes())
        self._size = array("H", arrays["sizes"].astype(np.uint16).tobytes())
        self._para = array("I", arrays["paras"].astype(np.uint32).tobytes())
        self._doc_first = array("Q", arrays["doc_first"].astype(np.uint64).tobytes())
        self._doc_off = array("Q", arrays["doc_off"].astype(np.uint64).tobytes())
        self._doc_bytes = bytearray(arrays["doc_bytes"].tobytes())
        self._n = self._buffered_from = len(sig8)
        self._buffer = {}
        self._runs = []
        if self._n:
            m = self._n
            nb = _dir_bits(m)
            ids, dirs = arrays["ids"], arrays["dir"]
            if len(ids) != self.bands * m or len(dirs) != self.bands * ((1 << nb) + 1):
                raise ValueError("band arrays do not match the item count")
            self._runs = [_Run(m, ids, dirs.astype(np.uint32), self._vbits - nb, nb)]

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
                    raise IndexError_(f"{self.path}: index version {header.get('version')} is not {VERSION}")
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
_RECORD = 74  # per item: 64-byte signature, uint16 size, uint16 paragraph, 6-byte document number
_BLOCK = 64  # item records per Redis string


_APPEND_ALL = "for i = 1, #KEYS do redis.call('APPEND', KEYS[i], ARGV[i]) end return #KEYS"


class RedisIndex:
    """Items in a Redis server, shared by every process that names it.

    Keys (prefix `cleanseed:`): `meta` (the signature options, checked on open), `items` and
    `docs` (counters: ids come from INCRBY), `r:<block>` (64 fixed item records per string),
    `d:<doc>` (document ids), and `b:<low 16 bits of a band key>` (strings of 6-byte entries:
    the key's next 16 bits, then the item id, appended). About 500-700 bytes of server memory
    per paragraph. A query is two or three pipelined round trips (buckets, candidate records,
    unknown document ids); an add is two (ids, writes). Candidates are checked against the
    band bytes of their stored signatures, so truncated keys never add a false candidate.

    Two processes that see copies of one passage at the same moment may both keep it: each
    queries before the other has added. The window is one document (from a document's query
    to its add); `benchmarks/throughput.py` measures the duplicates missed that way.
    `?bucket_bits=N` in the URL sets the number of buckets when the index is created (default
    16: fetches grow with the index past ~1M paragraphs; 20 suits ~10M).
    """

    def __init__(self, url: str, config: DedupConfig) -> None:
        try:
            import redis
        except ImportError as exc:
            raise IndexError_(
                "a redis:// index needs the redis client: pip install 'cleanseed[redis]'"
            ) from exc
        from urllib.parse import parse_qs, urlsplit, urlunsplit

        parts = urlsplit(url)
        query = parse_qs(parts.query)
        bits = int(query.pop("bucket_bits", ["16"])[0])
        self.url = urlunsplit(parts._replace(query=""))
        self.num_perm, self.bands = config.num_perm, config.bands
        self.rows = self.num_perm // self.bands
        self.options = signature_options(config)
        shown = f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"
        try:
            self.r = redis.Redis.from_url(self.url, socket_connect_timeout=5)
            meta = self.r.hget(_PREFIX + "meta", "options")
            if meta is None:
                header = json.dumps(
                    {"format": FORMAT, "version": VERSION, "options": self.options, "bucket_bits": bits}
                )
                self.r.hsetnx(_PREFIX + "meta", "options", header)
                meta = self.r.hget(_PREFIX + "meta", "options")
        except redis.RedisError as exc:
            raise IndexError_(f"cannot reach the index at {shown}: {exc}") from exc
        header = json.loads(meta or "{}")
        if header.get("options") != self.options:
            raise IndexError_(
                f"the index at {shown} was built with other signature options: {header.get('options')}"
            )
        self.bits = int(header.get("bucket_bits", 16))
        try:
            self._append_sha = self.r.script_load(_APPEND_ALL)
        except redis.RedisError as exc:
            raise IndexError_(f"index server {shown}: {exc}") from exc
        self._errors = redis.RedisError
        self._doc_cache: dict[int, str] = {}
        self._cache: dict[int, tuple[bytes, int, int, int]] = {}

    def _call(self, pipe: Any) -> list[Any]:
        try:
            return list(pipe.execute())
        except self._errors as exc:
            raise IndexError_(f"index server: {exc}") from exc

    def _names(self, kind: str, numbers: Any) -> list[bytes]:
        return [f"{_PREFIX}{kind}:{int(x)}".encode() for x in numbers]

    def query(self, keys: np.ndarray, sig8: np.ndarray | None = None) -> list[np.ndarray]:
        """One MGET of the document's buckets, one of the candidates' record blocks, one of
        document ids not seen before; matching is vectorized."""
        n = len(keys)
        self._cache = {}
        empty = [np.zeros(0, dtype=np.int64) for _ in range(n)]
        if not n:
            return []
        flat = keys.reshape(-1).astype(np.uint64)
        buckets = (flat & np.uint64((1 << self.bits) - 1)).astype(np.int64)
        his = ((flat >> np.uint64(self.bits)) & np.uint64(0xFFFF)).astype(np.int64)
        uniq, inverse = np.unique(buckets, return_inverse=True)
        values = self._mget(self._names("b", uniq))
        lens = np.array([len(v) // 6 if v else 0 for v in values], dtype=np.int64)
        if not lens.sum():
            return empty
        blob = b"".join(v[: len(v) - len(v) % 6] for v in values if v)
        entries = np.frombuffer(blob, dtype=np.uint8).reshape(-1, 6)
        e_key = np.repeat(np.arange(len(uniq), dtype=np.int64), lens) << 16
        e_key |= entries[:, 0].astype(np.int64) | (entries[:, 1].astype(np.int64) << 8)
        e_id = entries[:, 2:].copy().view("<u4").reshape(-1).astype(np.int64)
        order = np.argsort(e_key, kind="stable")
        sorted_keys = e_key[order]
        l_key = (inverse.reshape(-1).astype(np.int64) << 16) | his
        lo = np.searchsorted(sorted_keys, l_key, "left")
        counts = np.searchsorted(sorted_keys, l_key, "right") - lo
        total = int(counts.sum())
        if not total:
            return empty
        starts = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(total)
        rows = np.repeat(np.arange(len(l_key)) // self.bands, counts)
        pairs = np.unique(rows * np.int64(1 << 40) + e_id[order[starts]])
        rows, items = pairs >> 40, pairs & ((1 << 40) - 1)
        blocks = np.unique(items // _BLOCK)
        got = dict(zip(blocks.tolist(), self._mget(self._names("r", blocks))))
        recs = np.zeros((len(items), _RECORD), dtype=np.uint8)
        ok = np.zeros(len(items), dtype=bool)
        for k, item in enumerate(items.tolist()):
            raw = got.get(item // _BLOCK)
            off = (item % _BLOCK) * _RECORD
            if raw and len(raw) >= off + _RECORD:
                recs[k] = np.frombuffer(raw, dtype=np.uint8, count=_RECORD, offset=off)
                ok[k] = recs[k, 64:66].any()  # a zero size: allocated by another process, not written yet
        if sig8 is not None:  # a band must match on its signature bytes: drops truncated-key collisions
            mine = np.asarray(sig8, dtype=np.uint8)[rows].reshape(-1, self.bands, self.rows)
            ok &= (recs[:, :64].reshape(-1, self.bands, self.rows) == mine).all(axis=2).any(axis=1)
        rows, items, recs = rows[ok], items[ok], recs[ok]
        sizes = recs[:, 64].astype(np.int64) | (recs[:, 65].astype(np.int64) << 8)
        paras = recs[:, 66].astype(np.int64) | (recs[:, 67].astype(np.int64) << 8)
        docs = np.zeros(len(recs), dtype=np.int64)
        for b in range(6):
            docs |= recs[:, 68 + b].astype(np.int64) << (8 * b)
        for k, item in enumerate(items.tolist()):
            self._cache[item] = (recs[k, :64].tobytes(), int(sizes[k]), int(paras[k]), int(docs[k]))
        unknown = sorted(set(docs.tolist()) - set(self._doc_cache))
        if unknown:
            if len(self._doc_cache) > 100_000:
                self._doc_cache = {}
            for d, name in zip(unknown, self._mget(self._names("d", unknown))):
                self._doc_cache[d] = (name or b"").decode("utf-8")
        bounds = np.searchsorted(rows, np.arange(n + 1))
        return [items[bounds[r] : bounds[r + 1]] for r in range(n)]

    def _mget(self, names: list[bytes]) -> list[Any]:
        try:
            return list(self.r.mget(names))
        except self._errors as exc:
            raise IndexError_(f"index server: {exc}") from exc

    def signatures(self, items: np.ndarray) -> np.ndarray:
        return np.frombuffer(b"".join(self._cache[int(i)][0] for i in items), dtype=np.uint8).reshape(
            -1, self.num_perm
        )

    def sizes(self, items: np.ndarray) -> np.ndarray:
        return np.array([self._cache[int(i)][1] for i in items], dtype=np.int64)

    def where(self, item: int) -> tuple[str, int]:
        _, _, para, doc = self._cache[int(item)]
        return self._doc_cache[doc], para

    def add(
        self, keys: np.ndarray, sig8: np.ndarray, sizes: np.ndarray, doc_id: str, paras: list[int]
    ) -> None:
        k = len(keys)
        if not k:
            return
        pipe = self.r.pipeline(transaction=False)
        pipe.incrby(_PREFIX + "items", k)
        pipe.incr(_PREFIX + "docs")
        end, doc = self._call(pipe)
        start = int(end) - k
        doc = int(doc)
        pipe = self.r.pipeline(transaction=False)
        pipe.set(_PREFIX + f"d:{doc}", doc_id.encode("utf-8"))
        recs = np.zeros((k, _RECORD), dtype=np.uint8)
        recs[:, :64] = sig8
        recs[:, 64:66] = np.asarray(sizes, dtype="<u2").view(np.uint8).reshape(k, 2)
        recs[:, 66:68] = np.minimum(np.asarray(paras), 0xFFFF).astype("<u2").view(np.uint8).reshape(k, 2)
        recs[:, 68:74] = np.frombuffer(doc.to_bytes(6, "little"), dtype=np.uint8)
        records = recs.tobytes()
        item = start
        while item < start + k:  # one SETRANGE per block touched; a block is sized whole first
            block = item // _BLOCK
            upto = min(start + k, (block + 1) * _BLOCK)
            rname = _PREFIX + f"r:{block}"
            pipe.setrange(rname, _BLOCK * _RECORD - 1, b"\0")  # last byte: a zero byte of a doc number
            pipe.setrange(
                rname, (item % _BLOCK) * _RECORD, records[(item - start) * _RECORD : (upto - start) * _RECORD]
            )
            item = upto
        flat = keys.reshape(-1).astype(np.uint64)
        buckets = (flat & np.uint64((1 << self.bits) - 1)).astype(np.int64)
        entries = np.zeros((len(flat), 6), dtype=np.uint8)
        entries[:, :2] = (
            ((flat >> np.uint64(self.bits)) & np.uint64(0xFFFF)).astype("<u2").view(np.uint8).reshape(-1, 2)
        )
        ids = np.repeat(np.arange(start, start + k, dtype=np.uint32), keys.shape[1])
        entries[:, 2:] = ids.astype("<u4").view(np.uint8).reshape(-1, 4)
        order = np.argsort(buckets, kind="stable")
        uniq, first = np.unique(buckets[order], return_index=True)
        blob = entries[order].tobytes()
        cuts = [*(first * 6).tolist(), len(blob)]
        values = [blob[cuts[i] : cuts[i + 1]] for i in range(len(uniq))]
        pipe.evalsha(self._append_sha, len(uniq), *self._names("b", uniq), *values)
        self._call(pipe)

    def memory(self) -> int:
        """Bytes the server uses (used_memory)."""
        return int(self.r.info("memory")["used_memory"])

    def close(self) -> None:
        self.r.close()

    def discard(self) -> None:
        self.r.close()
