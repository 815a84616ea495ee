"""Near-duplicate passages: the package's names, re-exported from the modules that define them."""

from cleanseed.dedup.tokens import (
    SHINGLE,
    SIG_BITS,
    NearDuplicates,
    Sentences,
    Signer,
    _words_flat,
    bbit,
    estimate,
    shingle_hashes,
    shingle_sets,
    sign,
    sign_many,
    words,
)

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
