"""Comparison words: sentences normalized and tokenized for shingling, one at a time or many at once."""

from __future__ import annotations

import re
import sys
import unicodedata

import xxhash

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
