"""Alternations of regular expressions searched faster, finding exactly what the single
alternation finds: the furniture rules' phrase tables.

Python's `re` tries every alternative at every position of the text. Here each phrase is
placed by its parse:
- anchored at the start ("^..."): it can only match at position 0, so these are tried with one
  `match`;
- anchored at the end ("...$") with a bounded length: it can only start in the text's last
  characters, so these are searched from there (`\\b` and look-behinds still see the character
  before the search starts);
- the rest are searched everywhere, but only once a cheap test has found, for one of them,
  the literal strings that every match of it contains ("this ", "site" or "website", and
  "uses", "is protected" or "stores" for `\\bthis (site|website) (uses|is protected|stores)\\b`).
  End-anchored phrases get the same test over the last characters only, where even a
  one-character literal ("/") is rare enough to be worth it.
  The test compares lower-cased text with `re`'s case-insensitive equivalences folded
  together ("ı" and "i", "ſ" and "s"), so it never misses what `re.IGNORECASE` would match.
A phrase that cannot be analysed is searched everywhere, as before.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_MAX_TAIL = 1000  # an end-anchored phrase longer than this is searched everywhere
_MIN_LITERAL = 3  # shorter required literals are in too many texts to be worth a test


def _parse(phrase: str, flags: int = re.IGNORECASE) -> Any:
    try:
        from re import _parser as sre_parse  # type: ignore[attr-defined]
    except ImportError:  # Python 3.10
        import sre_parse
    return sre_parse.parse(phrase, flags)


def anchoring(phrase: str) -> tuple[str, int]:
    """("start", 0), ("end", longest match) or ("", 0): where a phrase is anchored, by its parse."""
    try:
        parsed = _parse(phrase)
        first, last = parsed[0], parsed[-1]
        if str(first[0]) == "AT" and str(first[1]) == "AT_BEGINNING":
            return "start", 0
        width = parsed.getwidth()[1]
        if str(last[0]) == "AT" and str(last[1]) == "AT_END" and width <= _MAX_TAIL:
            return "end", int(width)
    except Exception:  # any surprise: search it everywhere
        pass
    return "", 0


def _groups(seq: Any, shortest: int = _MIN_LITERAL) -> list[list[str]]:
    """Groups of literal strings such that every match of a parsed sequence contains one string
    of each group (groups with a string shorter than `shortest` left out)."""
    groups: list[list[str]] = []
    run: list[str] = []
    for op, arg in seq:
        name = str(op)
        if name == "LITERAL":
            run.append(chr(arg))
            continue
        if run:
            groups.append(["".join(run)])
        run = []
        if name == "SUBPATTERN":
            groups += _groups(arg[-1], shortest)
        elif name == "BRANCH":
            best = [_best(_groups(a, shortest)) for a in arg[1]]
            if all(best):
                groups.append([s for b in best for s in b])  # type: ignore[union-attr]
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and arg[0] >= 1:
            groups += _groups(arg[2], shortest)
    if run:
        groups.append(["".join(run)])
    return [g for g in groups if min(map(len, g)) >= shortest]


def _best(groups: list[list[str]]) -> list[str] | None:
    return max(groups, key=lambda g: min(map(len, g)), default=None)


def required_literals(phrase: str, shortest: int = _MIN_LITERAL) -> list[list[str]] | None:
    """Groups of literal strings such that every match of `phrase` contains one string of each
    group; None when there is none worth testing (none of `shortest` characters or more)."""
    try:
        return _groups(_parse(phrase), shortest) or None
    except Exception:
        return None


def _case_table() -> dict[int, int] | None:
    """Each character that `re.IGNORECASE` matches beyond lower case ("ı" for "i") -> one
    representative of its class; None where this Python does not say which they are."""
    try:
        from re._casefix import _EXTRA_CASES  # type: ignore[import-not-found]
    except ImportError:
        return None
    parent: dict[int, int] = {}

    def root(c: int) -> int:
        while parent.get(c, c) != c:
            c = parent[c]
        return c

    for lower, extras in _EXTRA_CASES.items():
        for e in extras:
            a, b = root(lower), root(e)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {c: root(c) for c in parent}


_CASES = _case_table()


@lru_cache(maxsize=256)
def _key(text: str) -> str:
    # cached: several rules test the same paragraph; the case table maps no ASCII character
    low = text.lower()
    return low if low.isascii() else low.translate(_CASES or {})


class Phrases:
    """An alternation of phrases (matched case-insensitively), searched by parts."""

    def __init__(self, alternatives: list[str]) -> None:
        start: list[str] = []
        end: list[str] = []
        rest: list[str] = []
        needs: list[list[list[str]]] | None = []
        end_needs: list[list[list[str]]] | None = []
        self.width = 0
        for p in alternatives:
            where, width = anchoring(p)
            if where == "start":
                start.append(p)
            elif where == "end":
                end.append(p)
                self.width = max(self.width, width + 1)  # "$" also matches before a final newline
                found = required_literals(p, shortest=1)
                end_needs = None if found is None or end_needs is None else [*end_needs, found]
            else:
                rest.append(p)
                found = required_literals(p)
                needs = None if found is None or needs is None else [*needs, found]
        self.start, self.end, self.rest = (
            re.compile("|".join(f"(?:{p})" for p in group), re.IGNORECASE) if group else None
            for group in (start, end, rest)
        )
        # no test without the case table: it would miss "ı" for "i"
        self.needs = (
            [[[_key(s) for s in group] for group in groups] for groups in needs]
            if needs and _CASES is not None
            else None
        )
        # one string of each phrase's longest group, in one flat list: most texts miss them all
        self.first = sorted({s for groups in self.needs for s in _best(groups) or ()}) if self.needs else []
        self.end_needs = (
            [[[_key(s) for s in group] for group in groups] for groups in end_needs]
            if end_needs and _CASES is not None
            else None
        )
        self.end_first = (
            sorted({s for groups in self.end_needs for s in _best(groups) or ()}) if self.end_needs else []
        )

    def _maybe_rest(self, text: str) -> bool:
        """False only when no phrase of the rest can match: each misses a string it needs."""
        if self.needs is None or "\u0130" in text:  # "İ" lower-cases to two characters
            return True
        has = _key(text).__contains__  # mapped over the strings: no Python loop per string
        if not any(map(has, self.first)):
            return False
        return any(all(any(map(has, group)) for group in groups) for groups in self.needs)

    def _maybe_end(self, text: str, start: int) -> bool:
        """False only when no end-anchored phrase can match from `start` on: each misses, in the
        text's last characters, a string it needs (a caption's "photo", "credit" or "/")."""
        tail = text[start:]
        if self.end_needs is None or "\u0130" in tail:
            return True
        has = _key(tail).__contains__
        if not any(map(has, self.end_first)):
            return False
        return any(all(any(map(has, group)) for group in groups) for groups in self.end_needs)

    def search(self, text: str) -> bool:
        """True when the alternation of all phrases would find a match in `text`."""
        start = max(0, len(text) - self.width)
        return bool(
            (self.start is not None and self.start.match(text))
            or (self.end is not None and self._maybe_end(text, start) and self.end.search(text, start))
            or (self.rest is not None and self._maybe_rest(text) and self.rest.search(text))
        )


# ---- patterns that only match around non-ASCII characters ----

_ASSERTIONS = {"AT", "ASSERT", "ASSERT_NOT", "GROUPREF", "GROUPREF_EXISTS", "GROUPREF_IGNORE"}


def _assertion_free(seq: Any) -> bool:
    for op, arg in seq:
        name = str(op)
        if name in _ASSERTIONS and not (name == "AT" and str(arg) in ("AT_BEGINNING", "AT_BEGINNING_STRING")):
            return False  # "^" is safe: with a start position it still means the text's start
        if name == "SUBPATTERN" and not _assertion_free(arg[-1]):
            return False
        if name == "BRANCH" and not all(_assertion_free(a) for a in arg[1]):
            return False
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT", "ATOMIC_GROUP"):
            if not _assertion_free(arg[2] if name != "ATOMIC_GROUP" else arg):
                return False
    return True


def _only_non_ascii(op: Any, arg: Any) -> bool:
    """A one-character item that matches no ASCII character."""
    name = str(op)
    if name == "LITERAL":
        return bool(arg > 0x7F)
    if name == "IN":
        return all((str(o) == "LITERAL" and a > 0x7F) or (str(o) == "RANGE" and a[0] > 0x7F) for o, a in arg)
    return False


def _needs_non_ascii(seq: Any) -> bool:
    for op, arg in seq:
        name = str(op)
        if _only_non_ascii(op, arg):
            return True
        if name == "SUBPATTERN" and _needs_non_ascii(arg[-1]):
            return True
        if name == "BRANCH" and all(_needs_non_ascii(a) for a in arg[1]):
            return True
        if (
            name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
            and arg[0] >= 1
            and _needs_non_ascii(arg[2])
        ):
            return True
    return False


def non_ascii_window(pattern: re.Pattern[str]) -> int | None:
    """The longest match of `pattern` when every match holds a non-ASCII character and nothing in
    it looks beyond the match (no anchors but "^", look-arounds or back-references); None otherwise.

    Such a pattern finds a match in a text exactly when it finds one within `window` characters
    of one of the text's non-ASCII characters (see `search_near_non_ascii`).
    """
    try:
        if pattern.flags & re.IGNORECASE:  # "K" (Kelvin) would match "k"
            return None
        parsed = _parse(pattern.pattern, pattern.flags)
        width = int(parsed.getwidth()[1])
        if width > _MAX_TAIL or not _assertion_free(parsed) or not _needs_non_ascii(parsed):
            return None
        return width
    except Exception:
        return None


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def search_near_non_ascii(pattern: re.Pattern[str], window: int, text: str) -> bool:
    """`pattern.search(text)`, for a pattern with `non_ascii_window(pattern) == window`, looking
    only at the stretches of text around non-ASCII characters."""
    start = end = -1
    n = len(text)
    for m in _NON_ASCII.finditer(text):
        p = m.start()
        lo, hi = max(0, p - window + 1), min(n, p + window)
        if lo > end:  # a stretch of its own: search the one before
            if end > start and pattern.search(text, start, end):
                return True
            start = lo
        end = hi
    return end > start and pattern.search(text, start, end) is not None
