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
- confirmation on 8-bit signatures (b-bit MinHash): 64 bytes per sentence instead of 256.
- sentences under 7 words are never removed alone, only beside a repeated neighbour from the
  same source document.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
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
    """token -> its comparison word (possessive off, lower case, spelling folded), filled as met."""

    def __missing__(self, tok: str) -> str:
        if len(self) >= _CACHE_MAX:
            self.clear()
        word = self[tok] = _spelling(_POSSESSIVE.sub("", tok).lower())
        return word


class _Hashes(dict[str, int]):
    """comparison word -> its 32-bit xxhash, filled as met."""

    def __missing__(self, word: str) -> int:
        if len(self) >= _CACHE_MAX:
            self.clear()
        h = self[word] = xxhash.xxh32_intdigest(word.encode())
        return h


_FOLDS = _Folds()
_HASHES = _Hashes()


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
    """
    text = unicodedata.normalize("NFKC", sentence)
    if text.count(".") >= 2 and _ACRONYM_HINT.search(text):
        text = _ACRONYM_DOTS.sub(_undot, text)
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
    count = len(token_lists)
    lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=count)
    flat = [t for toks in token_lists for t in toks]
    h = np.fromiter(map(_HASHES.__getitem__, flat), dtype=np.uint64, count=len(flat))
    ends = np.cumsum(lengths)
    owner = np.repeat(np.arange(count, dtype=np.uint64), lengths)  # the list each word is in
    m = len(flat) - n + 1  # windows of n words over all lists; those inside one list count
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
            acc = np.where(step, (acc * _P + h[np.minimum(starts[short] + k, len(flat) - 1)]) & _MASK32, acc)
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


def estimate(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Jaccard estimated from two 8-bit (b-bit) signatures."""
    match = float(np.count_nonzero(sig_a == sig_b)) / len(sig_a)
    return max(0.0, (match - 1 / 256) / (1 - 1 / 256))


# ---- the stage ----


@dataclass(slots=True)
class Unit:
    """One sentence under judgement: where it stands and what it is like."""

    para: int
    text: str
    nwords: int
    size: int  # distinct shingles


@dataclass(slots=True)
class Signed:
    """The per-document half of the work, done anywhere (worker processes): sentences and signatures."""

    para_texts: list[str]
    units: list[Unit]
    keys: np.ndarray  # uint64[n, bands]
    sig8: np.ndarray  # uint8[n, num_perm]: the low byte of each MinHash value (b-bit MinHash)

    def align(self, paragraphs: list[str]) -> Signed | None:
        """These signatures for a paragraph list that a later stage shortened; None if it was rewritten."""
        if paragraphs == self.para_texts:
            return self
        mapping: dict[int, int] = {}
        j = 0
        for i, text in enumerate(self.para_texts):
            if j < len(paragraphs) and paragraphs[j] == text:
                mapping[i] = j
                j += 1
        if j != len(paragraphs):
            return None
        rows = [u for u, unit in enumerate(self.units) if unit.para in mapping]
        units = [
            Unit(mapping[self.units[u].para], self.units[u].text, self.units[u].nwords, self.units[u].size)
            for u in rows
        ]
        return Signed(list(paragraphs), units, self.keys[rows], self.sig8[rows])


SHINGLE = 2  # word n-gram size; see the module docstring for the measurements


def sign(paragraphs: list[str], signer: Signer) -> Signed:
    """Split paragraphs into sentences and sign each: pure, per document."""
    return sign_many([paragraphs], signer)[0]


def sign_many(documents: list[list[str]], signer: Signer) -> list[Signed]:
    """`sign` for many documents at once: their sentences hashed and signed in one numpy pass,
    which spreads numpy's per-call cost over them all. The same result as one by one."""
    doc_units: list[list[Unit]] = []
    token_lists: list[list[str]] = []
    for paragraphs in documents:
        units: list[Unit] = []
        for p, para in enumerate(paragraphs):
            for sentence in split_sentences(para):
                toks = words(sentence)
                if not toks:
                    continue
                units.append(Unit(p, sentence, len(toks), 0))
                token_lists.append(toks)
        doc_units.append(units)
    if token_lists:
        values, sizes = shingle_sets(token_lists, SHINGLE)
        for unit, size in zip((u for units in doc_units for u in units), sizes.tolist()):
            unit.size = size
        sigs = signer.signatures_flat(values, sizes)
    else:
        sigs = signer.signatures([])
    keys = signer.band_keys(sigs)
    sig8 = (sigs & 0xFF).astype(np.uint8)
    out = []
    row = 0
    for paragraphs, units in zip(documents, doc_units):
        end = row + len(units)
        out.append(Signed(list(paragraphs), units, keys[row:end].copy(), sig8[row:end].copy()))
        row = end
    return out


class NearDuplicates:
    """The near-duplicate stage: holds the index of every kept sentence seen so far."""

    def __init__(self, config: DedupConfig, index: Any = None) -> None:
        from cleanseed.index import open_index

        self.config = config
        self.signer = Signer(config.num_perm, config.bands, config.seed)
        self.index = index if index is not None else open_index(config)

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        for rec in records:
            if rec.error is None:
                self.judge(rec)
            yield rec

    def judge(self, rec: Record, signed: Signed | None = None) -> None:
        """Judge every sentence of one document, rewrite its paragraphs, index what it kept.

        `signed` may come from a worker process, computed before later stages dropped paragraphs.
        """
        cfg = self.config
        signed = signed.align(rec.paragraphs) if signed is not None else None
        if signed is None:
            signed = sign(rec.paragraphs, self.signer)
        units, keys, sig8 = signed.units, signed.keys, signed.sig8
        if not units:
            return
        matches: list[tuple[str, int, float] | None] = [None] * len(units)
        candidates = self.index.query(keys, sig8)
        for u, cands in enumerate(candidates):
            if not len(cands):
                continue
            best: tuple[str, int, float] | None = None
            best_sim = 0.0
            stored = self.index.signatures(cands)
            sizes = self.index.sizes(cands)
            size = units[u].size
            for c, item in enumerate(cands):
                j = estimate(sig8[u], stored[c])
                other = int(sizes[c])
                contain = j * (size + other) / (size * (1 + j)) if size else 0.0
                sim = max(j, min(1.0, contain) if size >= 4 else 0.0)
                if sim > best_sim:
                    best_sim = sim
                    best = (*self.index.where(int(item)), round(sim, 3))
            if best is not None and best_sim >= cfg.threshold:
                matches[u] = best
        # short sentences are not judged alone: only beside a repeated neighbour from the same source
        for u, unit in enumerate(units):
            if matches[u] is None or unit.nwords >= cfg.min_words:
                continue
            near = [
                matches[v] for v in (u - 1, u + 1) if 0 <= v < len(units) and units[v].nwords >= cfg.min_words
            ]
            if not any(m is not None and m[0] == matches[u][0] for m in near):  # type: ignore[index]
                matches[u] = None
        self._rewrite(rec, units, matches)
        self._index_kept(rec, units, keys, sig8, matches)

    def _rewrite(self, rec: Record, units: list[Unit], matches: list[tuple[str, int, float] | None]) -> None:
        entries_by_para: dict[int, list[dict[str, Any]]] = {}
        kept_by_para: dict[int, list[str]] = {}
        for u, (unit, match) in enumerate(zip(units, matches)):
            if match is None:
                kept_by_para.setdefault(unit.para, []).append(unit.text)
                continue
            entries = entries_by_para.setdefault(unit.para, [])
            of = {"id": match[0], "paragraph": match[1]}
            if entries and entries[-1]["of"] == of and entries[-1]["_last"] == u - 1:
                # consecutive sentences repeating one earlier paragraph: one entry
                entries[-1]["text"] += " " + unit.text
                entries[-1]["similarity"] = min(entries[-1]["similarity"], match[2])
                entries[-1]["_last"] = u
            else:
                entries.append(
                    {"text": unit.text, "reason": "duplicate", "of": of, "similarity": match[2], "_last": u}
                )
        if not entries_by_para:
            return
        target = rec.duplicates if self.config.mark else rec.removed
        new_paragraphs = []
        for p, para in enumerate(rec.paragraphs):
            for e in entries_by_para.get(p, []):
                del e["_last"]
                target.append(e)
            if self.config.mark or p not in entries_by_para:
                new_paragraphs.append(para)
            elif p in kept_by_para:
                new_paragraphs.append(" ".join(kept_by_para[p]))
        n_body = len(units)
        n_dup = sum(m is not None for m in matches)
        if n_dup == n_body:
            rec.duplicate_of = Counter(m[0] for m in matches if m is not None).most_common(1)[0][0]
        rec.paragraphs = new_paragraphs

    def _index_kept(
        self,
        rec: Record,
        units: list[Unit],
        keys: np.ndarray,
        sig8: np.ndarray,
        matches: list[Any],
    ) -> None:
        # output paragraph numbers: the kept paragraphs renumbered (all of them when marking)
        numbering: dict[int, int] = {}
        for unit, match in zip(units, matches):
            if match is None or self.config.mark:
                numbering.setdefault(unit.para, 0)
        order = sorted(numbering)
        out_index = {p: k for k, p in enumerate(order)} if not self.config.mark else {p: p for p in numbering}
        rows = [u for u, m in enumerate(matches) if m is None]
        if not rows:
            return
        self.index.add(
            keys[rows],
            sig8[rows],
            # sizes only weigh containment; a unit of more than 65,535 shingles is stored at the cap
            np.minimum([units[u].size for u in rows], 0xFFFF).astype(np.uint16),
            rec.id,
            [out_index[units[u].para] for u in rows],
        )
