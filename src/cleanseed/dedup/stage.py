"""The near-duplicate stage: each sentence judged against the index of kept ones, repeats taken out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

import numpy as np

from cleanseed.config import DedupConfig
from cleanseed.dedup.minhash import Signer, bbit, estimate
from cleanseed.dedup.signing import Sentences, sign
from cleanseed.record import Record


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
        later, earlier = _shared_values(index.band_values(keys, sig8), doc_of)
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


BATCH_CANDIDATES = 16  # per sentence and band, the earlier documents' sentences it is compared with


def _shared_values(values: np.ndarray, doc_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of rows (later, earlier) of different documents that share a band value, each pair
    once; per row and band only the `BATCH_CANDIDATES` earliest rows of earlier documents.

    Only pairs across documents count, and they are the only ones formed: a page of thousands of
    near-identical lines (a table, a log) shares band values among all of them, and every pair
    of them used to be formed first, then dropped (5,000 such lines took 2.4 GB). The cap bounds
    two copies of such a page in one batch; ordinary text has at most 9 rows to a band value.
    """
    n, bands = values.shape
    flat = (values * np.uint64(bands) + np.arange(bands, dtype=np.uint64)).reshape(-1)
    none = np.zeros(0, dtype=np.int64)
    by_value = flat[np.argsort(flat)]  # not stable: only to find the values that are shared
    same = by_value[1:] == by_value[:-1]
    if not same.any():
        return none, none
    shared = np.unique(by_value[1:][same])
    # the entries of shared values, by value, then row (entries are row-major: stable keeps it)
    at = np.flatnonzero(np.isin(flat, shared))
    at = at[np.argsort(flat[at], kind="stable")]
    flat, rows = flat[at], at // bands
    docs = doc_of[rows]
    # per entry: where its value's group starts, and where its document's part of the group starts
    new_value = np.concatenate(([True], flat[1:] != flat[:-1]))
    new_doc = new_value | np.concatenate(([True], docs[1:] != docs[:-1]))
    group = np.flatnonzero(new_value)[np.cumsum(new_value) - 1]
    mine = np.flatnonzero(new_doc)[np.cumsum(new_doc) - 1]
    later: list[np.ndarray] = []
    earlier: list[np.ndarray] = []
    for k in range(BATCH_CANDIDATES):  # the group's k-th entry, while it is an earlier document's
        j = group + k
        ok = np.flatnonzero(j < mine)
        if not len(ok):
            break
        later.append(rows[ok])
        earlier.append(rows[j[ok]])
    if not later:
        return none, none
    pairs = np.unique(np.concatenate(later) * np.int64(n) + np.concatenate(earlier))
    return pairs // n, pairs % n
