"""Shingle hashes, MinHash signatures and LSH band keys, and the b-bit signatures that confirm a match."""

from __future__ import annotations

import numpy as np

from cleanseed.dedup.tokens import _HASHES

_MASK32 = np.uint64(0xFFFFFFFF)


_P = np.uint64(0x01000193)


def shingle_sets(token_lists: list[list[str]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct 32-bit word n-gram hashes of many token lists at once (one shingle of all
    words for a list shorter than n; every list must be non-empty).

    Returns (values, sizes): each list's distinct hashes, sorted, one list after another, and how
    many each list has. A shingle's hash is the polynomial combination mod 2^32 of its words'
    xxh32 hashes (fmix32 later spreads it); words are hashed once each, through a cache.
    """
    lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
    flat = [t for toks in token_lists for t in toks]
    return _shingle_sets(_hashes(flat), lengths, n)


def _hashes(words: list[str]) -> np.ndarray:
    """uint64 array of the words' 32-bit hashes."""
    return np.fromiter(map(_HASHES.__getitem__, words), dtype=np.uint64, count=len(words))


def _shingle_sets(h: np.ndarray, lengths: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """`shingle_sets` of the lists whose word hashes are `h`, one list after another."""
    count = len(lengths)
    ends = np.cumsum(lengths)
    owner = np.repeat(np.arange(count, dtype=np.uint64), lengths)  # the list each word is in
    m = len(h) - n + 1  # windows of n words over all lists; those inside one list count
    parts = []
    if m > 0:
        acc = np.zeros(m, dtype=np.uint64)
        for k in range(n):
            acc = (acc * _P + h[k : k + m]) & _MASK32
        inside = np.arange(m) + (n - 1) < ends[owner[:m].astype(np.int64)]
        parts.append((owner[:m][inside] << np.uint64(32)) | acc[inside])
    short = np.flatnonzero(lengths < n)
    if len(short):
        starts = ends - lengths
        acc = np.zeros(len(short), dtype=np.uint64)
        for k in range(n - 1):
            # one shingle of all (fewer than n) words: the same combination, cut short
            step = k < lengths[short]
            acc = np.where(step, (acc * _P + h[np.minimum(starts[short] + k, len(h) - 1)]) & _MASK32, acc)
        parts.append((short.astype(np.uint64) << np.uint64(32)) | acc)
    keys = np.concatenate(parts)
    keys.sort()  # np.unique, but sorting in place is several times faster than its hash table here
    keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
    sizes = np.bincount((keys >> np.uint64(32)).astype(np.int64), minlength=count)
    return (keys & _MASK32).astype(np.uint32), sizes


def shingle_hashes(tokens: list[str], n: int) -> np.ndarray:
    """32-bit hashes of the word n-grams of `tokens` (one shingle of all words when fewer than n)."""
    if not tokens:
        return np.zeros(0, dtype=np.uint32)
    return shingle_sets([tokens], n)[0]


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


Row = tuple[int, int, bytes]  # a sentence's words, distinct shingles, and band keys + low bytes


class Signer:
    """MinHash signatures and LSH band keys, many sets at a time."""

    def __init__(self, num_perm: int = 64, bands: int = 16, seed: int = 1) -> None:
        if num_perm % bands:
            raise ValueError("num_perm must be a multiple of bands")
        gen = np.random.RandomState(seed)
        # exactly datasketch 2.x's affine32 permutations (MinHash._init_permutations)
        self.a = (gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)).astype(
            np.uint32
        )
        self.b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32).astype(np.uint32)
        self.num_perm, self.bands, self.rows = num_perm, bands, num_perm // bands
        mix = np.random.RandomState(seed + 7919).randint(1, 1 << 62, (bands, self.rows), dtype=np.int64)
        self._band_mix = (mix.astype(np.uint64) << np.uint64(1)) | np.uint64(1)
        # rows of sentences signed before, by text (`signing.sign_many`): per signer, as they
        # hold its signatures
        self.memo: dict[str, Row] = {}

    def signatures(self, sets: list[np.ndarray]) -> np.ndarray:
        """uint32[len(sets), num_perm]; every set must be non-empty."""
        if not sets:
            return np.zeros((0, self.num_perm), dtype=np.uint32)
        sizes = np.fromiter((len(s) for s in sets), dtype=np.int64, count=len(sets))
        return self.signatures_flat(np.concatenate(sets), sizes)

    def signatures_flat(self, values: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """uint32[len(sizes), num_perm] of sets given one after another (`shingle_sets`'s form)."""
        if not len(sizes):
            return np.zeros((0, self.num_perm), dtype=np.uint32)
        offsets = np.zeros(len(sizes), dtype=np.int64)
        np.cumsum(sizes[:-1], out=offsets[1:])
        hv = _fmix32(values.astype(np.uint32))
        # permutations by rows, shingles along each row: reduceat then runs over contiguous
        # memory, 3x faster than the other layout
        phv = np.multiply.outer(self.a, hv)
        phv += self.b[:, None]
        return np.ascontiguousarray(np.minimum.reduceat(phv, offsets, axis=1).T)

    def band_keys(self, sigs: np.ndarray) -> np.ndarray:
        """uint64[n, bands]: one key per band, the band's number mixed in."""
        rows = sigs.reshape(len(sigs), self.bands, self.rows).astype(np.uint64)
        with np.errstate(over="ignore"):
            keys = (rows * self._band_mix[None, :, :]).sum(axis=2, dtype=np.uint64)
            keys ^= np.arange(self.bands, dtype=np.uint64)[None, :] * np.uint64(0x9E3779B97F4A7C15)
        return keys


SIG_BITS = 4  # bits per MinHash value kept for confirmation (b-bit MinHash)


def _bbit_table(width: int) -> np.ndarray:
    """uint8[width, 256]: a fixed mixing of (position, low byte) to SIG_BITS bits (splitmix64)."""
    with np.errstate(over="ignore"):
        x = np.arange(width * 256, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return (x >> np.uint64(64 - SIG_BITS)).astype(np.uint8).reshape(width, 256)


_TABLES: dict[int, np.ndarray] = {}


def bbit(sig8: np.ndarray) -> np.ndarray:
    """uint8[n, width] of SIG_BITS-bit values: each low byte through a fixed table per position.

    The low byte of an affine32 MinHash value depends only on the low byte of the chosen
    element's hash, so its low bits would collide together across permutations for one pair
    of elements; mixing the whole byte per position makes the collisions of unequal values
    (probability 2^-SIG_BITS, plus 2^-8 for equal low bytes) close to independent, as b-bit
    MinHash assumes. Equal values always give equal b-bit values.
    """
    sig8 = np.asarray(sig8, dtype=np.uint8)
    width = sig8.shape[-1]
    table = _TABLES.get(width)
    if table is None:
        table = _TABLES[width] = _bbit_table(width).reshape(-1)
    return np.take(table, sig8 + np.arange(0, 256 * width, 256, dtype=np.intp))


def estimate(sig_a: np.ndarray, sig_b: np.ndarray, bits: int = SIG_BITS) -> np.ndarray:
    """Jaccard estimated from b-bit signatures (rows of `sig_a` against rows of `sig_b`).

    b-bit MinHash (Li & König, 2010): unequal values still agree in their b bits with
    probability C = 2^-b (sets small against the 2^32 hash space), so P(agree) = C + (1 - C) J
    and J = (agree - C) / (1 - C), clipped at 0.
    """
    agree = np.count_nonzero(np.asarray(sig_a) == np.asarray(sig_b), axis=-1) / np.shape(sig_a)[-1]
    c = 2.0**-bits
    return np.maximum(0.0, (agree - c) / (1 - c))
