"""The per-document half of dedup: a document's sentences split and signed, in a worker process or not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cleanseed.dedup.minhash import Row, Signer, _shingle_sets
from cleanseed.dedup.tokens import _TOKEN_HASHES, _tokens_flat
from cleanseed.normalize import split_sentences


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


SHINGLE = 2  # word n-gram size; see the package docstring (dedup/__init__.py) for the measurements


def sign(paragraphs: list[str], signer: Signer) -> Sentences:
    """Split paragraphs into sentences and sign each: pure, per document."""
    return sign_many([paragraphs], signer)[0]


# a signer's memo, emptied when full: rows of at most MEMO_ROW_BYTES in all (32,768 sentences at
# the default 64 permutations in 16 bands, ~17 MB with news sentences of ~130 characters; fewer
# with more permutations or bands), of sentences of at most MEMO_CHARS characters
MEMO_ROW_BYTES = 6 << 20
MEMO_CHARS = 400


def sign_many(documents: list[list[str]], signer: Signer) -> list[Sentences]:
    """`sign` for many documents at once: their sentences hashed and signed in one numpy pass,
    which spreads numpy's per-call cost over them all. The same result as one by one.

    A sentence the signer signed before is not signed again: its row (words, shingles, band
    keys and low bytes) comes from `signer.memo`. Streams repeat sentences word for word (wire
    copy republished, a site's recurring lines): 70% of the throughput benchmark's sentences.
    """
    sentences: list[str] = []
    pieces_per_para: list[int] = []
    for paragraphs in documents:
        for para in paragraphs:
            pieces = split_sentences(para)
            sentences.extend(pieces)
            pieces_per_para.append(len(pieces))
    memo = signer.memo
    rows: dict[str, Row] = {}
    new: list[str] = []
    for text in dict.fromkeys(sentences):  # each distinct sentence once
        row = memo.get(text)
        if row is None:
            new.append(text)
        else:
            rows[text] = row
    width = 8 * signer.bands + signer.num_perm
    if new:
        if len(memo) + len(new) > MEMO_ROW_BYTES // width:
            memo.clear()
        for text, row in zip(new, _rows(new, signer)):
            rows[text] = row
            if len(text) <= MEMO_CHARS:
                memo[text] = row
    got = [rows[s] for s in sentences]
    judged = [k for k, row in enumerate(got) if row[0]]  # a sentence without words is not judged
    table = np.frombuffer(b"".join([got[k][2] for k in judged]), dtype=np.uint8).reshape(len(judged), width)
    keys = table[:, : 8 * signer.bands]
    sig8 = table[:, 8 * signer.bands :]
    # judged sentences, one document's after another: each document's rows are its sentences
    paras_per_doc = np.fromiter(map(len, documents), dtype=np.int64, count=len(documents))
    para_starts = np.repeat(np.cumsum(paras_per_doc) - paras_per_doc, paras_per_doc)
    doc_of = np.repeat(np.repeat(np.arange(len(documents)), paras_per_doc), pieces_per_para)
    para_of = np.repeat(np.arange(len(para_starts)) - para_starts, pieces_per_para)
    judged_a = np.array(judged, dtype=np.int64)
    counts = np.bincount(doc_of[judged_a], minlength=len(documents)).tolist()
    texts = sentences if len(judged) == len(sentences) else [sentences[k] for k in judged]
    paras = para_of[judged_a].tolist()
    nwords = [got[k][0] for k in judged]
    size_l = [got[k][1] for k in judged]
    out = []
    at = 0
    for paragraphs, count in zip(documents, counts):
        end = at + count
        out.append(
            Sentences(
                list(paragraphs),
                texts[at:end],
                paras[at:end],
                nwords[at:end],
                size_l[at:end],
                keys[at:end].tobytes(),
                sig8[at:end].tobytes(),
            )
        )
        at = end
    return out


def _rows(sentences: list[str], signer: Signer) -> list[Row]:
    """Per sentence: its words, its distinct shingles, and its band keys (uint64) and the low
    bytes of its MinHash values (uint8) as one row of bytes; (0, 0, b"") without words."""
    tokens, ends = _tokens_flat(sentences)
    lengths = np.diff(np.array([-1, *ends], dtype=np.int64)) - 1
    judged = np.flatnonzero(lengths)
    if not len(judged):
        return [(0, 0, b"")] * len(sentences)
    h = np.fromiter(map(_TOKEN_HASHES.__getitem__, tokens), dtype=np.uint64, count=len(tokens))
    kept = np.ones(len(h), dtype=bool)
    kept[ends] = False  # the separators
    values, sizes = _shingle_sets(h[kept], lengths[judged], SHINGLE)
    sigs = signer.signatures_flat(values, sizes)
    table = np.concatenate([signer.band_keys(sigs).view(np.uint8), (sigs & 0xFF).astype(np.uint8)], axis=1)
    out: list[Row] = [(0, 0, b"")] * len(sentences)
    for k, n, z, row in zip(judged.tolist(), lengths[judged].tolist(), sizes.tolist(), table):
        out[k] = (n, z, row.tobytes())
    return out
