"""Near-duplicate passages: shingles, MinHash signatures, and the stage that removes repeats.

Decisions are made sentence by sentence inside each paragraph, against every sentence kept
earlier in the run (the index), so a rewrite that appends new sentences keeps them and loses
only the repeated ones. The paragraph stays the unit of output; `of` names the kept paragraph
that holds the earlier copy. Only kept sentences are indexed, so matches never chain.

Signatures are datasketch-compatible: the "affine32" scheme of datasketch 2.x (MurmurHash3
fmix32 pre-mix, then a*h+b mod 2^32 with the permutations of `numpy.random.RandomState(seed)`),
computed for many documents at once with numpy. A `datasketch.MinHash(num_perm, seed,
hashfunc=lambda h: h)` updated with the shingle hashes of `shingle_hashes` gives the same values.

Choices, measured on shared/eval/neardup-dev (957 documents; dup_f1 / new_kept / provenance):
- unit: the sentence. Whole paragraphs miss rewrites that append or merge sentences
  (exact-paragraph Jaccard >= 0.5 scores dup_f1 0.959).
- normalization: NFKC, case, possessives; runs of capitalized words and acronyms folded to
  initials ("North Atlantic Treaty Organisation" = "NATO"); British/American spellings.
- shingles: word 2-grams. 1-grams: 0.982 / 0.972 / 0.980 (generic sentences collide);
  3-grams at 0.4: 0.989 / 0.996 / 0.999 (synonym swaps break too many); 2-grams at 0.5:
  0.994 / 0.995 / 0.998.
- threshold 0.5 on estimated Jaccard, or containment for a sentence inside a longer one;
  0.4 and 0.45 give the same f1 with lower precision.
- 64 permutations in 16 bands of 4 (P(candidate) = 0.64 at J=0.5, 0.98 at J=0.8); 32 bands
  of 2: 0.993 / 0.989 (more false candidates pass); 128 in 32 bands: 0.996 / 0.995 / 0.997
  at twice the index memory.
- confirmation on 4-bit signatures (b-bit MinHash, `bbit`): 32 bytes per sentence instead of
  256. 8 bits: 0.994 / 0.995 / 0.997; 4 bits: 0.994 / 0.995 / 0.998; 2 bits scores the same
  on this stream, but its estimate's spread at J=0.5 is 0.081 against 0.066 for 4 bits.
- sentences under 7 words are never removed alone, only beside a repeated neighbour from the
  same source document.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np
import xxhash

from cleanseed.config import DedupConfig
from cleanseed.normalize import split_sentences
from cleanseed.record import Record

# ---- normalization before shingling ----

_ACRONYM_DOTS = re.compile(r"\b(?:[A-Za-z]\.){2,}")
_ACRONYM_HINT = re.compile(r"[A-Za-z]\.[A-Za-z]\.")  # in every match; found much faster
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_POSSESSIVE = re.compile(r"['’]s$")
_CONNECTORS = frozenset({"of", "and", "the", "for", "de", "des", "du", "da", "do", "der", "la", "le", "&"})
_SPELLING = {
    "programme": "program",
    "programmes": "programs",
    "grey": "gray",
    "cheque": "check",
    "tyre": "tire",
    "tyres": "tires",
    "kerb": "curb",
    "aluminium": "aluminum",
    "mum": "mom",
    "whilst": "while",
    "amongst": "among",
    "towards": "toward",
    "learnt": "learned",
}
_SUFFIXES = (("tre", "ter"), ("ence", "ense"), ("lled", "led"), ("lling", "ling"), ("ogue", "og"))


def _spelling(word: str) -> str:
    """British and American spellings folded to one form.

    Both sides of a comparison go through the same folding, so a rule only has to be
    deterministic, not linguistically right: "hours" -> "hors" harms nothing.
    """
    word = _SPELLING.get(word, word)
    if len(word) >= 5:
        word = word.replace("our", "or")  # colour, favourite, labourer
        if len(word) >= 6:
            word = (
                word.replace("isa", "iza").replace("ise", "ize").replace("isi", "izi")
            )  # realised, organisation
            for uk, us in _SUFFIXES:
                if word.endswith(uk):
                    return word[: -len(uk)] + us
    return word


_TOKEN_SPLIT = re.compile(f"({_TOKEN.pattern})")  # gaps and tokens, alternating
_ASCII_TOKEN_SPLIT = re.compile(r"([a-zA-Z0-9]+(?:'[a-zA-Z0-9]+)*)")  # the same on ASCII text, faster
_CACHE_MAX = 1 << 17  # distinct tokens per cache (~15-40 MB at most); a full cache starts afresh


class _Folds(dict[str, str]):
    """token -> its comparison word (possessive off, lower case, spelling folded), filled as met;
    a word that the capitals walk already produced (marked `_VERBATIM`) -> itself."""

    def __missing__(self, tok: str) -> str:
        if len(self) >= _CACHE_MAX:
            self.clear()
        if tok[0] == _VERBATIM:
            word = self[tok] = tok[1:]
        else:
            word = self[tok] = _spelling(_POSSESSIVE.sub("", tok).lower())
        return word


class _Hashes(dict[str, int]):
    """comparison word -> its 32-bit xxhash, filled as met."""

    def __missing__(self, word: str) -> int:
        if len(self) >= _CACHE_MAX:
            self.clear()
        h = self[word] = xxhash.xxh32_intdigest(word.encode())
        return h


class _TokenHashes(dict[str, int]):
    """token -> the hash of its comparison word: one look-up per token where only hashes count."""

    def __missing__(self, tok: str) -> int:
        if len(self) >= _CACHE_MAX:
            self.clear()
        h = self[tok] = _HASHES[_FOLDS[tok]]
        return h


_FOLDS = _Folds()
_HASHES = _Hashes()
_TOKEN_HASHES = _TokenHashes()


def _undot(m: re.Match[str]) -> str:
    return m.group(0).replace(".", "")


def _initials(run: list[str]) -> str:
    return "".join(t if t.isupper() and len(t) > 1 else t[0] for t in run).lower()


def words(sentence: str) -> list[str]:
    """Comparison words: acronyms and their written-out forms folded together, spellings unified.

    "North Atlantic Treaty Organisation" and "NATO" both give "nato"; "U.S." and "US" give "us";
    a run of capitalized words (unbroken by punctuation) gives its initials, so either side of
    an edit meets in the middle. A connector inside a run ("Bank of England") is dropped; one
    that ends it is kept after the run's initials (before them when a capitalized word follows
    across punctuation).

    Every token is folded through a cache; only the capitalized runs are walked token by token.
    `sign_many` finds the same words for many sentences at once (`_words_flat`).
    """
    return _walk(_prepare(sentence))


def _prepare(sentence: str) -> str:
    """NFKC, and acronyms without their dots ("U.S." -> "US")."""
    text = unicodedata.normalize("NFKC", sentence)
    if text.count(".") >= 2 and _ACRONYM_HINT.search(text):
        text = _ACRONYM_DOTS.sub(_undot, text)
    return text


def _walk(text: str) -> list[str]:
    """The comparison words of prepared text (see `words`)."""
    # gap, token, gap, ..., token, gap
    parts = (_ASCII_TOKEN_SPLIT if text.isascii() else _TOKEN_SPLIT).split(text)
    toks = parts[1::2]
    folded = list(map(_FOLDS.__getitem__, toks))
    caps = [k for k, t in enumerate(toks) if t[0].isupper()]
    if not caps:
        return folded
    out: list[str] = []
    n = len(toks)
    i = 0  # tokens before i are done
    for c in caps:
        if c < i:
            continue
        out.extend(folded[i:c])
        j = c + 1
        if j < n and not toks[j][0].isupper() and (folded[j] not in _CONNECTORS or parts[2 * j].strip()):
            out.append(folded[c])  # the common case: one capitalized word, then an ordinary one
            i = j
            continue
        # a run of capitalized words starts at c; the gap before token j is parts[2 * j]
        run = [toks[c]]
        first = c
        pending: str | None = None
        j = c + 1
        while True:
            if j == n:
                out.append(_initials([_unpossessive(t) for t in run]) if len(run) > 1 else folded[first])
                if pending is not None:
                    out.append(pending)
                break
            tok = toks[j]
            joined = not parts[2 * j].strip()
            if tok[0].isupper():
                if not joined:
                    if pending is not None:
                        out.append(pending)
                    out.append(_initials([_unpossessive(t) for t in run]) if len(run) > 1 else folded[first])
                    run = []
                    first = j
                run.append(tok)
                pending = None
            elif joined and pending is None and folded[j] in _CONNECTORS:
                # "of" in "Bank of England": kept only if the name ends here (no connector's
                # spelling is folded, and no other word folds into one)
                pending = folded[j]
            else:
                out.append(_initials([_unpossessive(t) for t in run]) if len(run) > 1 else folded[first])
                if pending is not None:
                    out.append(pending)
                out.append(folded[j])
                j += 1
                break
            j += 1
        i = j
    out.extend(folded[i:])
    return out


def _unpossessive(tok: str) -> str:
    return tok[:-2] if tok.endswith(("'s", "’s")) else tok


# ---- the same words for many sentences at once ----
#
# `words` costs a regular-expression split and a Python pass over the tokens of every sentence.
# `_words_flat` tokenizes a whole batch with byte translations and one `str.split`, and walks only
# the stretches where the walk can change anything: runs of two or more tokens that each start
# with a capital or are a connector ("Bank of England", "Walt Disney"). Everywhere else the
# comparison words are the folded tokens themselves. Within the batch's text:
#   - a token is what `_TOKEN` matches; every other character becomes " " (whitespace) or
#     "\x01" (anything else), so a gap holds "\x01" exactly when `words` sees it as punctuation;
#   - sentences are separated by "\x02", and the walk's words come back marked "\x03" (`_VERBATIM`).
# A run is found from a superset of its tokens (any non-ASCII first letter might be a capital,
# any case of a connector might fold to one) and walked exactly. It starts where the walk holds
# no state: at a capital after a token that is neither, or after punctuation. It goes on over
# whitespace to capitals and connectors, and over punctuation only from a connector to a
# capital (the one place where the walk's output depends on what follows punctuation: "Bank of,
# England" gives "of", "bank"); anywhere else, the walk would start afresh after it. So walking
# the run alone gives what walking its sentence gives there.

_SEP = "\x02"
_VERBATIM = "\x03"


class _Gaps(dict[int, str]):
    """`str.translate` table: token characters kept, whitespace -> " ", anything else -> "\x01"."""

    def __missing__(self, c: int) -> str:
        ch = chr(c)
        out = self[c] = ch if ch.isalnum() or ch in "'’" else " " if ch.isspace() else "\x01"
        return out


_GAPS = _Gaps()
# the same for ASCII bytes, leaving the separator and every byte of a non-ASCII character alone
_ASCII_GAPS = bytes(
    c if c >= 0x80 or chr(c).isalnum() or chr(c) in "'" + _SEP else 0x20 if chr(c).isspace() else 1
    for c in range(256)
)
# an apostrophe joins a token only between two token characters
_LOOSE_APOSTROPHE = re.compile(r"['’](?:(?<![^\W_]['’])|(?![^\W_]))")
_LOOSE_APOSTROPHE_BYTES = re.compile(rb"'(?:(?<![A-Za-z0-9\x80-\xff]')|(?![A-Za-z0-9\x80-\xff]))")
_TOKEN_BYTE = rb"[A-Za-z0-9'\x80-\xff]"
# the rest of a token: never given back (what follows it is never a token byte), so possessive
# where Python has it (3.11): most capitals start no run, and backtracking through them is wasted
_TOKEN_REST = _TOKEN_BYTE + (rb"*+" if sys.version_info >= (3, 11) else rb"*")
_CAPITAL_TOKEN = rb"[A-Z\x80-\xff]" + _TOKEN_REST
_CONNECTOR_TOKEN = (
    rb"(?i:"
    + b"|".join(re.escape(c).encode() for c in sorted(_CONNECTORS) if c.isalnum())
    + rb")(?:(?:'|\xe2\x80\x99)s)?"
)
_RUN = re.compile(
    # a capital after a gap, then over spaces capitals and connectors, and from a connector over
    # punctuation to a capital; to the end of the last token
    rb"[A-Z\x80-\xff](?<!%s[\x00-\xff])%s" % (_TOKEN_BYTE, _TOKEN_REST)
    + rb"(?: +(?:%s|%s(?:[ \x01]+%s)?))+" % (_CAPITAL_TOKEN, _CONNECTOR_TOKEN, _CAPITAL_TOKEN)
    + rb"(?!%s)" % _TOKEN_BYTE
)
_UNMARK = bytes.maketrans(b"\x01", b" ")


class _Walks(dict[bytes, bytes]):
    """run -> its words (`_walked`), filled as met: names recur ("Prime Minister", "New York")."""

    def __missing__(self, raw: bytes) -> bytes:
        if len(self) >= _CACHE_MAX:
            self.clear()
        if raw.isascii() and b"\x01" not in raw:
            out = self[raw] = _walk_spaced(raw.split())
        else:
            out = self[raw] = "".join(f" {_VERBATIM}{w}" for w in _walk(raw.decode())).encode() + b" "
        return out


_WALKS = _Walks()


def _walked(m: re.Match[bytes]) -> bytes:
    """A run's words: tokens as they are, and initials marked as already folded."""
    return _WALKS[m.group()]


def _walk_spaced(toks: list[bytes]) -> bytes:
    """`_walk` of an ASCII run with only spaces between its tokens, each a capitalized word or a
    connector (the common case, in bytes). A token that stays itself is left for the fold cache."""
    out: list[bytes] = []
    i, n = 0, len(toks)
    while i < n:
        c = i
        while c < n and not toks[c][:1].isupper():  # connectors before a capital: themselves
            c += 1
        out.extend(toks[i:c])
        if c == n:
            break
        run = [toks[c]]
        pending: bytes | None = None
        j = c + 1
        while j < n:
            if toks[j][:1].isupper():  # "of" in "Bank of England" is dropped
                run.append(toks[j])
                pending = None
            elif pending is None:
                pending = toks[j]
            else:  # a second connector ends the run
                break
            j += 1
        if len(run) > 1:
            # initials; "'s " -> " " is `_unpossessive` of each word (a word ends at a space)
            names = (b" ".join(run) + b" ").replace(b"'s ", b" ").split()
            out.append(b"\x03" + b"".join(t if t.isupper() and len(t) > 1 else t[:1] for t in names).lower())
        else:
            out.append(run[0])
        if pending is not None:
            out.append(pending)
        if j < n:
            out.append(toks[j])
            j += 1
        i = j
    return b" " + b" ".join(out) + b" "


def _words_flat(sentences: list[str]) -> tuple[list[str], list[int]]:
    """`words` of many sentences: all their words in one list, each sentence's followed by
    `_SEP`, and the position of each sentence's `_SEP`."""
    tokens, ends = _tokens_flat(sentences)
    return list(map(_FOLDS.__getitem__, tokens)), ends


def _tokens_flat(sentences: list[str]) -> tuple[list[str], list[int]]:
    """`_words_flat` before folding: tokens, and words of walked runs marked `_VERBATIM`."""
    texts = [_prepare(s) for s in sentences]
    joined = f" {_SEP} ".join(texts)
    if joined.count(_SEP) != len(texts) - 1:  # the text has separators of its own
        texts = [t.translate(_GAPS) for t in texts]
    texts = [t if t.isascii() else _LOOSE_APOSTROPHE.sub("\x01", t.translate(_GAPS)) for t in texts]
    raw = (f" {_SEP} ".join(texts) + f" {_SEP}").encode()
    raw = _LOOSE_APOSTROPHE_BYTES.sub(b"\x01", raw.translate(_ASCII_GAPS))
    items = _RUN.sub(_walked, raw).translate(_UNMARK).decode().split()
    ends = []
    at = -1
    for _ in texts:
        at = items.index(_SEP, at + 1)
        ends.append(at)
    return items, ends


# ---- hashing and signatures ----

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


# ---- the stage ----


@dataclass(slots=True)
class Sentences:
    """The per-document half of the work, done anywhere (worker processes): a document's
    sentences and their signatures, as columns.

    No object per sentence: texts and numbers in lists, signatures as bytes. Worker processes
    send these back, so they pickle as a plain tuple, and a batch's signatures join into arrays
    in one call.
    """

    paragraphs: list[str]  # the paragraphs signed
    texts: list[str]  # per sentence: its text, paragraph, words and distinct shingles
    paras: list[int]
    nwords: list[int]
    sizes: list[int]
    keys: bytes  # uint64[n, bands]: LSH band keys
    sig8: bytes  # uint8[n, num_perm]: the low byte of each MinHash value

    def __reduce__(self) -> tuple[Any, ...]:
        # a plain tuple: dataclass slots would pickle through a Python-level __getstate__
        return (
            Sentences,
            (self.paragraphs, self.texts, self.paras, self.nwords, self.sizes, self.keys, self.sig8),
        )

    def align(self, paragraphs: list[str]) -> Sentences | None:
        """These sentences for a paragraph list that a later stage shortened; None if it was rewritten."""
        if paragraphs == self.paragraphs:
            return self
        mapping: dict[int, int] = {}
        j = 0
        for i, text in enumerate(self.paragraphs):
            if j < len(paragraphs) and paragraphs[j] == text:
                mapping[i] = j
                j += 1
        if j != len(paragraphs):
            return None
        rows = [u for u, p in enumerate(self.paras) if p in mapping]
        n = len(self.texts)
        keys = np.frombuffer(self.keys, dtype=np.uint64).reshape(n, -1)[rows]
        sig8 = np.frombuffer(self.sig8, dtype=np.uint8).reshape(n, -1)[rows]
        return Sentences(
            list(paragraphs),
            [self.texts[u] for u in rows],
            [mapping[self.paras[u]] for u in rows],
            [self.nwords[u] for u in rows],
            [self.sizes[u] for u in rows],
            keys.tobytes(),
            sig8.tobytes(),
        )


SHINGLE = 2  # word n-gram size; see the module docstring for the measurements


def sign(paragraphs: list[str], signer: Signer) -> Sentences:
    """Split paragraphs into sentences and sign each: pure, per document."""
    return sign_many([paragraphs], signer)[0]


def sign_many(documents: list[list[str]], signer: Signer) -> list[Sentences]:
    """`sign` for many documents at once: their sentences hashed and signed in one numpy pass,
    which spreads numpy's per-call cost over them all. The same result as one by one."""
    sentences: list[str] = []
    where: list[tuple[int, int]] = []  # (document, paragraph) of each sentence
    for d, paragraphs in enumerate(documents):
        for p, para in enumerate(paragraphs):
            pieces = split_sentences(para)
            sentences.extend(pieces)
            where.extend([(d, p)] * len(pieces))
    tokens, ends = _tokens_flat(sentences) if sentences else ([], [])
    lengths = np.diff(np.array([-1, *ends], dtype=np.int64)) - 1
    judged = np.flatnonzero(lengths)  # a sentence without words is not judged
    if len(judged):
        h = np.fromiter(map(_TOKEN_HASHES.__getitem__, tokens), dtype=np.uint64, count=len(tokens))
        kept = np.ones(len(h), dtype=bool)
        kept[ends] = False  # the separators
        values, sizes = _shingle_sets(h[kept], lengths[judged], SHINGLE)
        sigs = signer.signatures_flat(values, sizes)
    else:
        sizes, sigs = np.zeros(0, dtype=np.int64), signer.signatures([])
    keys = signer.band_keys(sigs)
    sig8 = (sigs & 0xFF).astype(np.uint8)
    # judged sentences, one document's after another: each document's signatures are its rows
    rows, nwords, size_l = judged.tolist(), lengths.tolist(), sizes.tolist()
    counts = [0] * len(documents)
    for k in rows:
        counts[where[k][0]] += 1
    out = []
    row = 0
    for paragraphs, count in zip(documents, counts):
        end = row + count
        mine = rows[row:end]
        out.append(
            Sentences(
                list(paragraphs),
                [sentences[k] for k in mine],
                [where[k][1] for k in mine],
                [nwords[k] for k in mine],
                size_l[row:end],
                keys[row:end].tobytes(),
                sig8[row:end].tobytes(),
            )
        )
        row = end
    return out


class NearDuplicates:
    """The near-duplicate stage: holds the index of every kept sentence seen so far."""

    def __init__(self, config: DedupConfig, index: Any = None) -> None:
        from cleanseed.index import open_index

        self.config = config
        self.signer = Signer(config.num_perm, config.bands, config.seed)
        self.index = index if index is not None else open_index(config)

    batch = 64  # documents judged together: one query of the index and one commit per batch

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        return self.judge_stream((rec, None) for rec in records)

    def judge_stream(self, items: Iterable[tuple[Record, Sentences | None]]) -> Iterator[Record]:
        """The records of (record, signed) pairs, judged `batch` documents at a time, in order."""
        it = iter(items)
        while batch := list(islice(it, self.batch)):
            self.judge_many(batch)
            yield from (rec for rec, _ in batch)

    def judge(self, rec: Record, signed: Sentences | None = None) -> None:
        """Judge every sentence of one document, rewrite its paragraphs, index what it kept.

        `signed` may come from a worker process, computed before later stages dropped paragraphs.
        """
        self.judge_many([(rec, signed)])

    def judge_many(self, items: list[tuple[Record, Sentences | None]]) -> None:
        """`judge` for documents in input order, with one query of the index and one commit.

        The batch's own sentences are resolved here in order, exactly as one document at a time
        would: a sentence's candidates are the index's and the kept sentences of earlier
        documents of the batch. A shared index that changed meanwhile refuses the commit; the
        batch is then judged again against the grown index before any record is rewritten.
        """
        docs: list[tuple[Record, Sentences]] = []
        for rec, signed in items:
            if rec.error is not None:
                continue
            sentences = signed.align(rec.paragraphs) if signed is not None else None
            if sentences is None:
                sentences = sign(rec.paragraphs, self.signer)
            if sentences.texts:
                docs.append((rec, sentences))
        if not docs:
            return
        keys = np.frombuffer(b"".join([s.keys for _, s in docs]), dtype=np.uint64).reshape(
            -1, self.signer.bands
        )
        sig8 = np.frombuffer(b"".join([s.sig8 for _, s in docs]), dtype=np.uint8).reshape(len(keys), -1)
        while True:
            self.index.sync()
            all_matches, additions = self._decide(docs, keys, sig8)
            if self.index.commit(additions):
                break
        for (rec, sentences), matches in zip(docs, all_matches):
            self._rewrite(rec, sentences, matches)

    def _decide(
        self, docs: list[tuple[Record, Sentences]], keys: np.ndarray, sig8: np.ndarray
    ) -> tuple[list[list[Any]], list[Any]]:
        """Per document its matches; and what the batch adds to the index (kept sentences)."""
        cfg, index = self.config, self.index
        counts = np.array([len(s.texts) for _, s in docs], dtype=np.int64)
        starts = np.cumsum(counts) - counts
        n_rows = len(keys)
        doc_of = np.repeat(np.arange(len(docs)), counts)
        size = np.array([z for _, s in docs for z in s.sizes], dtype=np.int64)
        stored_size = np.minimum(size, 0xFFFF)  # as the index keeps it
        nib = bbit(sig8)
        # candidates from the index: the best per sentence, earliest on ties
        rows_i, items = index.query_pairs(keys, sig8)
        best_sim = np.zeros(n_rows)
        best_item = np.full(n_rows, -1, dtype=np.int64)
        if len(items):
            sim_i = self._similarity(
                estimate(nib[rows_i], index.signatures(items)), size[rows_i], index.sizes(items)
            )
            first = np.lexsort((items, -sim_i, rows_i))
            ranked = rows_i[first]
            first = first[np.concatenate(([True], ranked[1:] != ranked[:-1]))]
            best_sim[rows_i[first]] = sim_i[first]
            best_item[rows_i[first]] = items[first]
        found_at: dict[int, tuple[str, int]] = {}
        hit = np.flatnonzero(best_sim >= cfg.threshold)
        if len(hit):
            found_at = dict(zip(hit.tolist(), index.where_many(best_item[hit])))
        # candidates from earlier documents of this batch: they count once kept, after the index's;
        # a pair under the threshold can never decide a match, so only the others are kept
        later, earlier = _shared_values(index.band_values(keys, sig8))
        keep = doc_of[earlier] < doc_of[later]
        later, earlier = later[keep], earlier[keep]
        sim_b = self._similarity(estimate(nib[later], nib[earlier]), size[later], stored_size[earlier])
        close = sim_b >= cfg.threshold
        later, earlier, sim_b = later[close], earlier[close], sim_b[close]
        can_match = np.zeros(len(docs), dtype=bool)
        can_match[doc_of[hit]] = True
        can_match[doc_of[later]] = True
        b_bounds = np.searchsorted(later, np.arange(n_rows + 1))
        kept = bytearray(n_rows)
        out_para = [0] * n_rows
        all_matches: list[list[Any]] = []
        all_paras: list[list[int]] = []
        best_l, bounds_l, starts_l = best_sim.tolist(), b_bounds.tolist(), starts.tolist()
        later_l, earlier_l, sim_l, can_l = (
            later.tolist(),
            earlier.tolist(),
            sim_b.tolist(),
            can_match.tolist(),
        )
        threshold, min_words, mark = cfg.threshold, cfg.min_words, cfg.mark
        for d, (_, sentences) in enumerate(docs):
            r0, n = starts_l[d], len(sentences.texts)
            matches: list[tuple[str, int, float] | None] = [None] * n
            if not can_l[d]:  # the common case: the document keeps every sentence
                paras = sentences.paras if mark else _renumbered(sentences.paras)
                kept[r0 : r0 + n] = b"\x01" * n
                out_para[r0 : r0 + n] = paras
                all_matches.append(matches)
                all_paras.append(paras)
                continue
            inside: dict[int, tuple[float, int]] = {}  # row: its best kept sentence of this batch
            for k in range(bounds_l[r0], bounds_l[r0 + n]):  # by row, then earlier row
                e = earlier_l[k]
                if kept[e]:
                    r, v = later_l[k], sim_l[k]
                    if r not in inside or v > inside[r][0]:  # the earliest of equals
                        inside[r] = (v, e)
            for u in range(n):
                r = r0 + u
                sim, where = best_l[r], found_at.get(r)
                if inside and r in inside and inside[r][0] > sim:  # after every index item: only if better
                    sim, src = inside[r]
                    where = (docs[doc_of[src]][0].id, out_para[src])
                if where is not None and sim >= threshold:
                    matches[u] = (where[0], where[1], round(sim, 3))
            # short sentences are not judged alone: only beside a repeated neighbour from the same source
            nwords = sentences.nwords
            for u in range(n):
                if matches[u] is None or nwords[u] >= min_words:
                    continue
                near = [matches[v] for v in (u - 1, u + 1) if 0 <= v < n and nwords[v] >= min_words]
                if not any(m is not None and m[0] == matches[u][0] for m in near):  # type: ignore[index]
                    matches[u] = None
            rows, paras = self._kept(sentences.paras, matches)
            for u, p in zip(rows, paras):
                kept[r0 + u] = 1
                out_para[r0 + u] = p
            all_matches.append(matches)
            all_paras.append(paras)
        # what the batch adds to the index, per document: its kept rows
        kept_rows = np.flatnonzero(np.frombuffer(kept, dtype=np.uint8))
        add_keys, add_sig8 = keys[kept_rows], sig8[kept_rows]
        add_size = stored_size[kept_rows].astype(np.uint16)
        additions = []
        at = 0
        for (rec, _), paras in zip(docs, all_paras):
            if paras:
                end = at + len(paras)
                additions.append((add_keys[at:end], add_sig8[at:end], add_size[at:end], rec.id, paras))
                at = end
        return all_matches, additions

    def _rewrite(
        self, rec: Record, sentences: Sentences, matches: list[tuple[str, int, float] | None]
    ) -> None:
        if not any(matches):
            return
        entries_by_para: dict[int, list[dict[str, Any]]] = {}
        kept_by_para: dict[int, list[str]] = {}
        last: tuple[int, str, int] | None = None  # the previous sentence's paragraph and copy, if a repeat
        entry: dict[str, Any] = {}
        for match, p, text in zip(matches, sentences.paras, sentences.texts):
            if match is None:
                kept_by_para.setdefault(p, []).append(text)
                last = None
                continue
            where = (p, match[0], match[1])
            if where == last:
                # consecutive sentences repeating one earlier paragraph: one entry
                entry["text"] += " " + text
                entry["similarity"] = min(entry["similarity"], match[2])
            else:
                of = {"id": match[0], "paragraph": match[1]}
                entry = {"text": text, "reason": "duplicate", "of": of, "similarity": match[2]}
                entries_by_para.setdefault(p, []).append(entry)
                last = where
        if not entries_by_para:
            return
        target = rec.duplicates if self.config.mark else rec.removed
        new_paragraphs = []
        for p, para in enumerate(rec.paragraphs):
            target.extend(entries_by_para.get(p, ()))
            if self.config.mark or p not in entries_by_para:
                new_paragraphs.append(para)
            elif p in kept_by_para:
                new_paragraphs.append(" ".join(kept_by_para[p]))
        if None not in matches:
            rec.duplicate_of = Counter(m[0] for m in matches if m is not None).most_common(1)[0][0]
        rec.paragraphs = new_paragraphs

    @staticmethod
    def _similarity(j: np.ndarray, size: np.ndarray, other: np.ndarray) -> np.ndarray:
        """Estimated Jaccard, or containment of a sentence (`size` shingles) inside a longer one."""
        mine = size.astype(np.float64)
        other = other.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            contain = np.where(mine > 0, j * (mine + other) / (mine * (1 + j)), 0.0)
        return np.maximum(j, np.where(mine >= 4, np.minimum(1.0, contain), 0.0))

    def _kept(self, paras: list[int], matches: list[Any]) -> tuple[list[int], list[int]]:
        """The rows a document keeps, and each one's paragraph in the output `text`."""
        rows = [u for u, m in enumerate(matches) if m is None]
        if self.config.mark:  # every paragraph stays: numbers unchanged
            return rows, [paras[u] for u in rows]
        # output paragraph numbers: the paragraphs that keep a sentence, renumbered
        out_index = {p: k for k, p in enumerate(sorted({paras[u] for u in rows}))}
        return rows, [out_index[paras[u]] for u in rows]


def _renumbered(paras: list[int]) -> list[int]:
    """Paragraph numbers of sentences renumbered 0, 1, ... over the paragraphs they are in."""
    out_index = {p: k for k, p in enumerate(sorted(set(paras)))}
    return [out_index[p] for p in paras]


def _shared_values(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of rows (later, earlier) that share a band value, each pair once."""
    n, bands = values.shape
    flat = (values * np.uint64(bands) + np.arange(bands, dtype=np.uint64)).reshape(-1)
    order = np.argsort(flat, kind="stable")  # rows ascending within a value, as `flat` is row-major
    flat, rows = flat[order], order // bands
    later: list[np.ndarray] = []
    earlier: list[np.ndarray] = []
    gap = 1
    while gap < len(flat):  # members of one group of equal values, `gap` apart
        same = flat[gap:] == flat[:-gap]
        if not same.any():
            break
        later.append(rows[gap:][same])
        earlier.append(rows[:-gap][same])
        gap += 1
    if not later:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    pairs = np.unique(np.concatenate(later) * np.int64(n) + np.concatenate(earlier))
    return pairs // n, pairs % n
