"""The per-document half of dedup: a document's sentences split and signed, in a worker process or not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cleanseed.dedup.minhash import Signer, _shingle_sets
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


def sign_many(documents: list[list[str]], signer: Signer) -> list[Sentences]:
    """`sign` for many documents at once: their sentences hashed and signed in one numpy pass,
    which spreads numpy's per-call cost over them all. The same result as one by one."""
    sentences: list[str] = []
    pieces_per_para: list[int] = []
    for paragraphs in documents:
        for para in paragraphs:
            pieces = split_sentences(para)
            sentences.extend(pieces)
            pieces_per_para.append(len(pieces))
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
    paras_per_doc = np.fromiter(map(len, documents), dtype=np.int64, count=len(documents))
    para_starts = np.repeat(np.cumsum(paras_per_doc) - paras_per_doc, paras_per_doc)
    doc_of = np.repeat(np.repeat(np.arange(len(documents)), paras_per_doc), pieces_per_para)
    para_of = np.repeat(np.arange(len(para_starts)) - para_starts, pieces_per_para)
    counts = np.bincount(doc_of[judged], minlength=len(documents)).tolist()
    texts = sentences if len(judged) == len(sentences) else [sentences[k] for k in judged.tolist()]
    paras, nwords, size_l = para_of[judged].tolist(), lengths[judged].tolist(), sizes.tolist()
    out = []
    row = 0
    for paragraphs, count in zip(documents, counts):
        end = row + count
        out.append(
            Sentences(
                list(paragraphs),
                texts[row:end],
                paras[row:end],
                nwords[row:end],
                size_l[row:end],
                keys[row:end].tobytes(),
                sig8[row:end].tobytes(),
            )
        )
        row = end
    return out
