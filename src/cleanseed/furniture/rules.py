"""The furniture rules: named predicates over one paragraph, phrase tables in phrases.json, and
the date parsing that datelines need.

Every rule only looks at short paragraphs and uses patterns without nested quantifiers, so the
stage runs in time linear in the text, whatever the input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date as Date
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from cleanseed.normalize import fold
from cleanseed.patterns import Phrases

_WORD = re.compile(r"\w+")
# 18.03.2021, 2021-03-18, 3/18/21; not inside a longer chain of numbers (an ISBN, a part number)
_NUMERIC_DATE = re.compile(r"(?<!\d[./-])\d{1,4}[./-]\d{1,2}[./-]\d{2,4}(?![./-]?\d)")
_PHONE_PREFIX = re.compile(r"\+\d")  # an international dialling code
_TERMINAL = re.compile(r"[.!?:;]$")
# a row of a table as extraction renders it ("| a | b |", or cells split by box-drawing bars):
# data, never a dateline or a site header however date-like its cells are
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$|│")
_ABBREVIATION_END = re.compile(r"\d\.$|\b\w{1,4}\.$")  # "3." or "Jan." ends a dateline, not a sentence
_DATE_SEGMENTS = re.compile(r"\s[|•·–—-]\s")


@lru_cache(maxsize=1)
def phrases() -> dict[str, Any]:
    """The phrase tables, loaded once."""
    return json.loads(resources.files("cleanseed").joinpath("phrases.json").read_text(encoding="utf-8"))


@cache
def _pattern(rule: str) -> Phrases:
    table = phrases()[rule]
    return Phrases([p for lang in table.values() for p in lang])


@cache
def _whole_words(*path: str) -> tuple[re.Pattern[str], ...]:
    """A word list of the phrase tables (by its keys) as whole-word patterns, compiled once."""
    table: Any = phrases()
    for key in path:
        table = table[key]
    return tuple(re.compile(rf"\b{re.escape(w)}\b") for w in table)


# the caches below hold their texts: only short ones (all the rules look at), so that 1,024
# paragraphs of a megabyte (text with no blank lines) are not kept with their folded copies
CACHED_CHARS = 2000


def _fold(text: str) -> str:
    # the rules and the stage fold each paragraph several times: once is enough
    return _fold_cached(text) if len(text) <= CACHED_CHARS else fold(text)


_fold_cached = lru_cache(maxsize=1024)(fold)


# ASCII word characters (what \w matches there) -> "a", everything else -> " "
_ASCII_WORD_TABLE = bytes(
    ord("a") if chr(c).isascii() and (chr(c).isalnum() or chr(c) == "_") else ord(" ") for c in range(256)
)


_NON_ASCII_WORD = re.compile(r"[^\W\x00-\x7f]")


def nwords(text: str) -> int:
    r"""Runs of word characters (\w+) in the text."""
    return _nwords_cached(text) if len(text) <= CACHED_CHARS else _count_words(text)


def _count_words(text: str) -> int:
    if not text.isascii() and _NON_ASCII_WORD.search(text) is None:
        # curly quotes and dashes, no letters: each breaks words as the "?" it becomes does
        text = text.encode("ascii", "replace").decode("ascii")
    if text.isascii():  # the same count without a regex: where a run starts after a non-word
        marks = text.encode("ascii").translate(_ASCII_WORD_TABLE)
        return marks.count(b" a") + marks.startswith(b"a")
    return len(_WORD.findall(text))


_nwords_cached = lru_cache(maxsize=1024)(_count_words)
CHARS_PER_WORD = 12  # a text longer than this many characters a word has too many words


def _short(text: str, limit: int) -> bool:
    # a cheap bound first: no rule looks at long paragraphs; then the words, counted once per
    # paragraph (cached) and cheaper than any phrase search, so every rule tests this first
    return len(text) <= limit * CHARS_PER_WORD and nwords(text) <= limit


# the most words a paragraph may have for each rule to look at it
SHARE_WORDS = 15
CALL_WORDS = 25  # comment notices, newsletter calls
NOTICE_WORDS = 45
CAPTION_WORDS = 80
BYLINE_WORDS = 12
DATELINE_WORDS = 16


def is_share(text: str) -> bool:
    """Share prompts: "Share this story", "Partager cet article : Facebook Twitter"."""
    if not _short(text, SHARE_WORDS):
        return False
    key = _fold(text)
    names = phrases()["social_networks"]  # a name must be in the text to be found as a word
    networks = sum(1 for n, w in zip(names, _whole_words("social_networks")) if n in key and w.search(key))
    if networks >= 2:
        return True
    return not key.endswith(".") and _pattern("share").search(key)


def is_comments(text: str) -> bool:
    """Comment-section notices and calls to comment."""
    return _short(text, CALL_WORDS) and _pattern("comments").search(_fold(text))


def is_newsletter(text: str) -> bool:
    """Newsletter, subscription, "Join …" and follow-us calls."""
    if not _short(text, CALL_WORDS):
        return False
    key = _fold(text)
    if not _pattern("newsletter").search(key) and not (nwords(key) <= 8 and "newsletter" in key):
        return False
    # "Join the Dailyherald" yes; "Join the army, he said." no
    return not (key.startswith("join") and (nwords(key) > 6 or key.endswith(".")))


def is_notice(text: str) -> bool:
    """reCAPTCHA, cookie, privacy, copyright, ad-blocker and javascript notices."""
    return _short(text, NOTICE_WORDS) and _pattern("notice").search(_fold(text))


READ_ALSO_WORDS = 25  # "Read also: <headline>" lines up to this long


def is_related_heading(text: str) -> bool:
    """Headings of teaser blocks: "Related coverage", "Notícias recomendadas", "Mehr zum Thema";
    also one teaser led in by such a heading: "Read also: <a headline>", "Czytaj też: <…>?"."""
    if not _short(text, READ_ALSO_WORDS):
        return False
    key = _fold(text).strip(" :|")  # a heading may come as a table cell: "| Mehr zum Thema |"
    if key.endswith(".") or not _pattern("related").search(key):
        return False
    if nwords(key) <= 7:
        return True
    # past seven words only "lead-in: headline", the lead-in short and the headline unpunctuated
    lead, colon, rest = key.partition(": ")
    return bool(colon) and nwords(lead) <= 4 and not rest.endswith((";", ":"))


def is_caption(text: str) -> bool:
    """Photo captions and credits: a paragraph that ends with (or is) a credit line."""
    return _short(text, CAPTION_WORDS) and _pattern("caption").search(_fold(text))


def is_byline(text: str) -> bool:
    """Bylines: "By Jane Doe", "avatar by Reuters and X Staff", "Par la rédaction de X"."""
    if not _short(text, BYLINE_WORDS):
        return False
    table = phrases()["byline"]
    key = _fold(text)
    if re.match(table["label"], key):
        return True
    lead = re.match(table["lead"], key)
    if lead is None:
        return False
    after = key[lead.end() :]
    if any(w.search(after) for w in _whole_words("byline", "staff")):
        return True
    # names only: capitalized words, "and", commas, initials; no sentence punctuation
    rest = text.strip()[lead.end() :]
    tokens = re.findall(r"[^\s,|]+", rest)
    if not tokens or len(tokens) > 6 or (_TERMINAL.search(rest) and not re.search(r"\b\w\.$", rest)):
        return False
    return all(t[:1].isupper() or t.lower() in {"and", "&", "und", "et", "e", "y", "en", "-"} for t in tokens)


# ---- dates ----


@lru_cache(maxsize=1)
def _date_tables() -> tuple[dict[str, int], frozenset[str]]:
    table = phrases()["dateline"]
    months = {name: i + 1 for names in table["months"].values() for i, name in enumerate(names)}
    months.update({"sept": 9, "jänner": 1, "setiembre": 9})
    return months, frozenset(table["weekdays"]) | frozenset(table["words"])


_DATE_TOKEN = re.compile(
    r"\d{1,4}(?:[./-]\d{1,2}[./-]\d{2,4}|[:h]\d{2}|st|nd|rd|th|er|º)?|[^\W\d_]+", re.UNICODE
)


def parse_date(text: str) -> str | None:
    """An ISO date (YYYY-MM-DD) from a short date expression in one of the supported languages."""
    key = _fold(text)
    months, _ = _date_tables()
    m = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)", key)
    if m:
        return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.search(r"\b(\d{1,2})[./](\d{1,2})[./](\d{2,4})\b", key)
    if m:
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        y = y + 2000 if y < 100 else y
        day, month = (b, a) if a <= 12 < b else (a, b)
        return _iso(y, month, day)
    words = re.findall(r"\d+|[^\W\d_]+", key)
    year = next((int(w) for w in words if w.isdigit() and len(w) == 4), None)
    month_i = next((i for i, w in enumerate(words) if w in months), None)
    if year is None or month_i is None:
        return None
    month = months[words[month_i]]
    day = 0
    for j in (month_i - 1, month_i + 1, month_i - 2):
        if 0 <= j < len(words) and words[j].isdigit() and len(words[j]) <= 2:
            day = int(words[j])
            break
    return _iso(year, month, day or 1) if day else None


def _iso(year: int, month: int, day: int) -> str | None:
    if not 1900 <= year <= 2100:
        return None
    try:
        return Date(year, month, day).isoformat()
    except ValueError:
        return None


def is_dateline(text: str) -> bool:
    """A line that is a date (and time), perhaps with "Published"/"Updated" and "| Site"."""
    if (
        not _short(text, DATELINE_WORDS)
        or text.lstrip()[:1] in (".", ",", ";", ":")  # the tail of a sentence cut by markup
        or _TABLE_ROW.search(text)
        or text.rstrip().endswith((".", "!", "?"))
        and not _ABBREVIATION_END.search(text)
    ):
        return False
    months, filler = _date_tables()
    segments = [s.strip() for s in _DATE_SEGMENTS.split(_fold(text)) if s.strip()]
    dated = 0
    for seg in segments:
        tokens = _DATE_TOKEN.findall(seg)
        has_date = (
            any(t in months for t in tokens)
            or _NUMERIC_DATE.search(seg) is not None
            and _PHONE_PREFIX.search(seg) is None
        )
        other = [t for t in tokens if not t[0].isdigit() and t not in months and t not in filler]
        if has_date and len(other) <= 1:
            dated += 1
        elif len(tokens) > 3:
            return False
    return dated >= 1


# ---- every rule, in the order they are tried ----

Rule = Callable[[str], bool]
# (name, predicate, the most words it looks at): a longer paragraph is not even offered to it
RULES: tuple[tuple[str, Rule, int], ...] = (
    ("dateline", is_dateline, DATELINE_WORDS),
    ("byline", is_byline, BYLINE_WORDS),
    ("share", is_share, SHARE_WORDS),
    ("comments", is_comments, CALL_WORDS),
    ("newsletter", is_newsletter, CALL_WORDS),
    ("notice", is_notice, NOTICE_WORDS),
    ("caption", is_caption, CAPTION_WORDS),
)
_LONGEST = max(limit for _, _, limit in RULES)


def classify(text: str) -> str | None:
    """The name of the first rule that calls this paragraph furniture, or None."""
    if len(text) > _LONGEST * CHARS_PER_WORD:  # `_short`'s cheap bound, for every rule at once
        return None
    return _classify(text)


# paragraphs recur across a site's pages (its furniture most of all) and in republished copy:
# each classified once while recent (up to ~8 MB of short paragraphs held)
@lru_cache(maxsize=8192)
def _classify(text: str) -> str | None:
    n = nwords(text)
    for name, rule, limit in RULES:
        if n <= limit and rule(text):
            return name
    return None
