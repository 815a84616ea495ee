"""What the arrays of a saved index must satisfy before a MemoryIndex takes them: checked once.

A file can be a well-formed zip of well-formed arrays and still not be an index: an array of
another type or length, offsets out of order or past their buffer, item ids past their run,
document ids that are not UTF-8. Used as they are, those end a run with a traceback, some of
them in its middle, after output. `check_arrays` refuses them with a ValueError saying what is
wrong, in a few vectorized passes over each array (no loop over items; one over runs and over a
large run's bands). Not checked: the values an item may take (any signature, size or paragraph
is one), and whether a run's order agrees with the signatures (a wrong order misses matches;
it cannot crash).
"""

from __future__ import annotations

import codecs
from typing import Any

import numpy as np

from cleanseed.index.runs import PREFIX_BITS, RUN_ID_BITS

RUN_ITEMS = 1 << RUN_ID_BITS
FIXED = {"sig4", "sizes", "paras", "doc_first", "doc_off", "doc_bytes", "runs"}


def _array(arrays: dict[str, np.ndarray], name: str, dtype: Any, ndim: int) -> np.ndarray:
    """arrays[name], if present with `dtype`'s kind and size (either byte order) and `ndim`."""
    arr = arrays.get(name)
    if arr is None:
        raise ValueError(f"array {name} is missing")
    want = np.dtype(dtype)
    if (arr.dtype.kind, arr.dtype.itemsize, arr.ndim) != (want.kind, want.itemsize, ndim):
        raise ValueError(f"{name} is {arr.dtype} of shape {arr.shape}, not {want} in {ndim} dimension(s)")
    return arr


def check_arrays(arrays: dict[str, np.ndarray], bands: int, width: int, vbits: int) -> None:
    """Raise ValueError unless `arrays` (as `MemoryIndex.arrays` gives them) form an index of
    `bands` bands, `width` signature bytes an item, band values of PREFIX_BITS + `vbits` bits."""
    sig = _array(arrays, "sig4", np.uint8, 2)
    n = len(sig)
    if sig.shape[1] != width:
        raise ValueError(f"sig4 is uint8 of shape {sig.shape}, not {width} bytes an item")
    for name, dtype in (("sizes", np.uint16), ("paras", np.uint32)):
        if len(_array(arrays, name, dtype, 1)) != n:
            raise ValueError(f"{name} has {len(arrays[name])} entries for {n} items")
    _check_documents(arrays, n)
    runs = _array(arrays, "runs", np.uint64, 2)
    if runs.shape[1] != 2:
        raise ValueError(f"runs is {runs.dtype} of shape {runs.shape}, not (start, items) pairs")
    starts, counts = runs[:, 0], runs[:, 1]
    if (
        np.any(counts == 0)
        or np.any(counts > RUN_ITEMS)
        or np.any(starts != np.cumsum(counts) - counts)
        or int(counts.sum()) != n
    ):
        raise ValueError(
            f"runs do not cover the items one after another ({n} items, runs of at most 2^{RUN_ID_BITS})"
        )
    expected = set(FIXED)
    for i, m in enumerate(counts.tolist()):
        expected |= _check_run(arrays, i, m, bands, vbits)
    extra = sorted(set(arrays) - expected)
    if extra:
        raise ValueError("unexpected arrays: " + ", ".join(extra))


def _check_documents(arrays: dict[str, np.ndarray], n: int) -> None:
    """doc_first: each document's first item, from 0, increasing, below n; doc_off: offsets of
    their ids in doc_bytes, from 0 to its end, never back, each at a character's first byte."""
    first = _array(arrays, "doc_first", np.uint64, 1)
    off = _array(arrays, "doc_off", np.uint64, 1)
    text = _array(arrays, "doc_bytes", np.uint8, 1)
    docs = len(first)
    if len(off) != docs + 1:
        raise ValueError(f"doc_off has {len(off)} entries for {docs} documents, not {docs + 1}")
    if (docs or n) and (not docs or first[0] != 0 or first[-1] >= n):
        raise ValueError(f"doc_first does not start at 0 or has documents past the {n} items")
    if np.any(first[1:] <= first[:-1]):
        raise ValueError("doc_first is not increasing")
    if off[0] != 0 or off[-1] != len(text):
        raise ValueError(f"doc_off does not run from 0 to the {len(text)} bytes of doc_bytes")
    if np.any(off[1:] < off[:-1]):
        raise ValueError("doc_off goes back")
    try:
        codecs.utf_8_decode(np.ascontiguousarray(text).data, "strict", True)
    except UnicodeDecodeError as exc:
        raise ValueError(f"document ids are not UTF-8 (byte {exc.start} of doc_bytes)") from None
    cuts = off[:-1][off[:-1] < len(text)]
    if np.any((text[cuts] & 0xC0) == 0x80):  # a continuation byte
        raise ValueError("doc_off cuts a character of the document ids")


def _check_run(arrays: dict[str, np.ndarray], i: int, m: int, bands: int, vbits: int) -> set[str]:
    """Run i of m items: its ids (per band a block of `stride` entries, the first m local ids
    below m), then its sorted keys or its directory. The names of its arrays."""
    ids = _array(arrays, f"run{i}_ids", np.uint16, 1)
    stride = len(ids) // bands
    if len(ids) % bands or stride < m:
        raise ValueError(f"run{i}_ids has {len(ids)} entries for {bands} bands of {m} items")
    names = {f"run{i}_ids"}
    low = ids.reshape(bands, stride)[:, :m]
    past = False
    if m <= 1 << 16:
        past = int(low.max()) >= m
    else:  # 4 more bits in run{i}_hi, two a byte, low nibble first
        names.add(f"run{i}_hi")
        hi = _array(arrays, f"run{i}_hi", np.uint8, 1)
        if stride % 2 or len(hi) < bands * stride // 2:
            raise ValueError(
                f"run{i}_hi is {hi.dtype} of shape {hi.shape}, not {bands * stride // 2} entries"
            )
        full = np.empty(m + m % 2, dtype=np.uint32)  # a band's ids at a time: stays in the cache
        for b in range(bands):
            pairs = hi[b * stride // 2 :][: len(full) // 2]
            full[0::2] = pairs & 15
            full[1::2] = pairs >> 4
            full <<= 16
            full[:m] |= low[b]
            if int(full[:m].max()) >= m:
                past = True
                break
    if past:
        raise ValueError(f"run {i} has item ids past its {m} items")
    if f"run{i}_keys" in arrays:  # band << 48 | band value, sorted
        names.add(f"run{i}_keys")
        keys = _array(arrays, f"run{i}_keys", np.uint64, 1)
        if len(keys) != bands * m:
            raise ValueError(f"run{i}_keys has {len(keys)} entries for {bands} bands of {m} items")
        by_band = keys.reshape(bands, m)
        if (
            np.any(by_band >> 48 != np.arange(bands, dtype=np.uint64)[:, None])
            or np.any((by_band & np.uint64((1 << 48) - 1)) >> (PREFIX_BITS + vbits))
            or np.any(keys[1:] < keys[:-1])
        ):
            raise ValueError(f"run{i}_keys are not band values sorted band by band")
    else:  # per band, where each prefix's entries start: from 0 to m, never back
        names.add(f"run{i}_dir")
        dirs = _array(arrays, f"run{i}_dir", np.uint32, 2)
        if dirs.shape != (bands, (1 << PREFIX_BITS) + 1):
            raise ValueError(f"run{i}_dir is {dirs.dtype} of shape {dirs.shape}, not one row a band")
        if np.any(dirs[:, 0] != 0) or np.any(dirs[:, -1] != m) or np.any(dirs[:, 1:] < dirs[:, :-1]):
            raise ValueError(f"run{i}_dir is not a directory of {m} items")
    return names
