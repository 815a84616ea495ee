"""The fast paths (dedup's batches, sentence splitting, folding) find exactly what the plain ones found."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanseed.dedup import SHINGLE, Signer, _words_flat, shingle_hashes, sign_many, words
from cleanseed.dedup.signing import MEMO_ROW_BYTES
from cleanseed.normalize import split_sentences

# names, connectors in every case, possessives, acronyms, punctuation, apostrophes, non-ASCII
# capitals and lower-case letters, odd whitespace, and the batch's own marker characters
PIECES = [
    *(
        "Bank",
        "of",
        "England",
        "OF",
        "Of",
        "oF",
        "of's",
        "of’s",
        "OF'S",
        "the",
        "The",
        "and",
        "de",
        "la",
        "der",
    ),
    *("Walt", "Disney", "Disney's", "NATO", "U.S.", "u.s.", "A.B.C.", "e.g.", "x", "X", "3M", "42", "I"),
    *(" ", " ", "  ", "\t", "\n", "\u00a0", "\u2028", "\u3000", "\x1c", "\x85"),
    *(
        ",",
        ".",
        "!",
        "-",
        "—",
        "…",
        "(",
        ")",
        '"',
        "“",
        "'",
        "’",
        "''",
        "'’",
        "_",
        "\x01",
        "\x02",
        "\x03",
        "&",
    ),
    *(
        "Émile",
        "émile",
        "ÉCOLE",
        "ß",
        "İstanbul",
        "ǅemal",
        "Ωmega",
        "über",
        "Über",
        "K",
        "Ａbc",
        "ﬁne",
        "e\u0301",
    ),
    *("programme", "Organisation", "colour", "don't", "rock'n'roll", "O'Brien", "l’État", "L’État", "a’b’"),
]
sentence = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)


@given(st.lists(sentence, min_size=1, max_size=12))
@settings(max_examples=400, deadline=None)
def test_batch_words_are_the_words_of_each_sentence(sentences):
    flat, ends = _words_flat(sentences)
    starts = [0, *(e + 1 for e in ends[:-1])]
    assert [flat[a:b] for a, b in zip(starts, ends)] == [words(s) for s in sentences]


@given(st.lists(st.lists(st.lists(sentence, max_size=3).map(" ".join), max_size=4), max_size=4))
@settings(max_examples=100, deadline=None)
def test_sign_many_signs_what_words_gives(documents):
    signer = Signer()
    for signed, paragraphs in zip(sign_many(documents, signer), documents):
        units = [(p, s, words(s)) for p, para in enumerate(paragraphs) for s in split_sentences(para)]
        units = [u for u in units if u[2]]
        assert list(zip(signed.paras, signed.texts, signed.nwords)) == [(p, s, len(w)) for p, s, w in units]
        sets = [shingle_hashes(w, SHINGLE) for _, _, w in units]
        assert signed.sizes == [len(h) for h in sets]
        sigs = signer.signatures(sets)
        assert signed.keys == signer.band_keys(sigs).astype(np.uint64).tobytes()
        assert signed.sig8 == (sigs & 0xFF).astype(np.uint8).tobytes()


_WARM = Signer()  # shared by the examples below: its memo holds what earlier ones signed


@given(st.lists(st.lists(st.lists(sentence, max_size=3).map(" ".join), max_size=4), max_size=4))
@settings(max_examples=200, deadline=None)
def test_rows_from_the_signers_memo_are_what_signing_afresh_gives(documents):
    assert sign_many(documents, _WARM) == sign_many(documents, Signer())
    assert len(_WARM.memo) * (8 * _WARM.bands + _WARM.num_perm) <= MEMO_ROW_BYTES


def test_a_full_memo_starts_afresh_and_signs_the_same(monkeypatch):
    import cleanseed.dedup.signing as signing

    signer = Signer()
    monkeypatch.setattr(signing, "MEMO_ROW_BYTES", 5 * (8 * signer.bands + signer.num_perm))
    docs = [[f"Sentence number {i} of the stream is here. And {i % 3} repeats."] for i in range(12)]
    for k in range(0, 12, 2):
        assert sign_many(docs[k : k + 2], signer) == sign_many(docs[k : k + 2], Signer())
        assert 0 < len(signer.memo) <= 5


def _split_sentences_reference(paragraph):
    """split_sentences as it was before its fast path for long final words."""
    from cleanseed.normalize import _INITIALISM, _SENTENCE_END, ABBREVIATIONS, _likely_boundary_after_initial

    pieces = []
    start = 0
    for match in _SENTENCE_END.finditer(paragraph):
        mark = match.start() + 1
        candidate = paragraph[max(start, mark - 64) : mark]
        last = candidate.rsplit(None, 1)
        word = last[-1].rstrip(".").lower().lstrip("\"'“‘(") if last else ""
        if word in ABBREVIATIONS or ((len(word) == 1 or "." in word) and _INITIALISM.match(word + ".")):
            if not _likely_boundary_after_initial(word, paragraph, match.end()):
                continue
        end = match.end()
        pieces.append(paragraph[start:end].strip())
        start = end
    tail = paragraph[start:].strip()
    if tail:
        pieces.append(tail)
    return pieces


SENTENCE_PIECES = [
    *("Mr.", "approx.", "Approx.", "sept.", "U.S.", "e.g.", "a.b.c.", "J.", "x.", "no.", "The", "He", "It"),
    *("company", "abcdefg", "abcdef", "abcde7", "İİİİİİİ", "éééééé", "u.s.government", "1234567", "said"),
    *(" ", "  ", "\n", ".", "!", "?", "…", "...", '"', "”", "’", ")", "(", "“", "A", "Bob", "3", "£5"),
]


@given(st.lists(st.sampled_from(SENTENCE_PIECES), max_size=20).map("".join))
@settings(max_examples=1000, deadline=None)
def test_sentences_are_split_as_before(paragraph):
    assert split_sentences(paragraph) == _split_sentences_reference(paragraph)


def _fold_reference(text):
    """fold's non-ASCII path as it was: a regular expression per kind of mark."""
    import re
    import unicodedata

    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[‘’‚‛′`´]", "'", text)
    text = re.sub(r"[“”„‟″«»]", '"', text)
    text = re.sub(r"[‐-―−]", "-", text).replace("…", "...")
    return " ".join(text.split())


FOLD_PIECES = [
    *"‘’‚‛′`´“”„‟″«»‐‑‒–—―−…",
    "\u2016",
    "\u2009",
    "ﬁ",
    "Straße",
    "İ",
    "ǅ",
    "a",
    "B",
    " ",
    "  ",
    "\n",
    "'",
    '"',
    "-",
]


@given(st.lists(st.sampled_from(FOLD_PIECES), max_size=16).map("".join))
@settings(max_examples=1000, deadline=None)
def test_fold_is_what_it_was(text):
    from cleanseed.normalize import fold

    assert fold(text) == _fold_reference(text)


def test_the_memo_is_bounded_in_bytes_whatever_the_signature_size():
    # rows grow with the permutations and bands: a bound in sentences alone let a memo of
    # 1024-permutation rows take ~300 MB
    import cleanseed.dedup.signing as signing

    for num_perm, bands in ((64, 16), (1024, 1024)):
        signer = Signer(num_perm, bands)
        width = 8 * bands + num_perm
        docs = [[f"Sentence {i} of a long stream, each one of them new."] for i in range(3000)]
        for k in range(0, len(docs), 64):
            sign_many(docs[k : k + 64], signer)
        assert 0 < len(signer.memo) * width <= signing.MEMO_ROW_BYTES
        if width * 3000 <= signing.MEMO_ROW_BYTES:  # all of them fit: none forgotten
            assert len(signer.memo) == 3000
