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

Modules: `tokens` (comparison words: normalization and tokenization, one sentence or many),
`minhash` (shingle hashes, `Signer`, b-bit signatures and `estimate`), `signing` (a
document's sentences signed: `Sentences`, `sign`, `sign_many`, done in worker processes too)
and `stage` (`NearDuplicates`). The names below are re-exported from them.
"""

from cleanseed.dedup.minhash import SIG_BITS, Signer, bbit, estimate, shingle_hashes, shingle_sets
from cleanseed.dedup.signing import SHINGLE, Sentences, sign, sign_many
from cleanseed.dedup.stage import NearDuplicates
from cleanseed.dedup.tokens import _words_flat, words  # _words_flat: tests hold it to `words`

__all__ = [
    "SHINGLE",
    "SIG_BITS",
    "NearDuplicates",
    "Sentences",
    "Signer",
    "_words_flat",
    "bbit",
    "estimate",
    "shingle_hashes",
    "shingle_sets",
    "sign",
    "sign_many",
    "words",
]
