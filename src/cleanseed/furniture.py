"""Site furniture: named rules, each a predicate over one paragraph (with its neighbours where a
rule needs them), phrase tables in phrases.json; the headline and dateline go to metadata.

Every rule only looks at short paragraphs and uses patterns without nested quantifiers, so the
stage runs in time linear in the text, whatever the input.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from datetime import date as Date
from functools import cache, lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import xxhash

from cleanseed.normalize import fold
from cleanseed.patterns import Phrases
from cleanseed.record import Record

Removed = dict[str, Any]
_WORD = re.compile(r"\w+")
_ELLIPSIS_END = re.compile(r"(\.\.\.|…)[\"'”’]?$")
_ELLIPSIS_START = re.compile(r"\s*(\.\.\.|…)")
# 18.03.2021, 2021-03-18, 3/18/21; not inside a longer chain of numbers (an ISBN, a part number)
_NUMERIC_DATE = re.compile(r"(?<!\d[./-])\d{1,4}[./-]\d{1,2}[./-]\d{2,4}(?![./-]?\d)")
_PHONE_PREFIX = re.compile(r"\+\d")  # an international dialling code
_TERMINAL = re.compile(r"[.!?:;]$")
# a row of a table as extraction renders it ("| a | b |", or cells split by box-drawing bars):
# data, never a dateline or a site header however date-like its cells are
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$|│")
# code and data lines repeat inside a page for good reason; past the head, a repeated line is
# furniture only when it reads as prose (a pull quote, a teaser shown twice)
_CODE_CHARS = re.compile(r"[│{}\[\]();=<>_$#@\\]")
_PROSE_END = re.compile(r"[.!?][\"'”’»)]*$")
_HEADLINE_END = re.compile(r"[.:;,]$")
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


@lru_cache(maxsize=1024)
def _fold(text: str) -> str:
    # the rules and the stage fold each paragraph several times: once is enough
    return fold(text)


# ASCII word characters (what \w matches there) -> "a", everything else -> " "
_ASCII_WORD_TABLE = bytes(
    ord("a") if chr(c).isascii() and (chr(c).isalnum() or chr(c) == "_") else ord(" ") for c in range(256)
)


_NON_ASCII_WORD = re.compile(r"[^\W\x00-\x7f]")


@lru_cache(maxsize=1024)
def nwords(text: str) -> int:
    r"""Runs of word characters (\w+) in the text."""
    if not text.isascii() and _NON_ASCII_WORD.search(text) is None:
        # curly quotes and dashes, no letters: each breaks words as the "?" it becomes does
        text = text.encode("ascii", "replace").decode("ascii")
    if text.isascii():  # the same count without a regex: where a run starts after a non-word
        marks = text.encode("ascii").translate(_ASCII_WORD_TABLE)
        return marks.count(b" a") + marks.startswith(b"a")
    return len(_WORD.findall(text))


def _short(text: str, limit: int) -> bool:
    # a cheap bound first: no rule looks at long paragraphs; then the words, counted once per
    # paragraph (cached) and cheaper than any phrase search, so every rule tests this first
    return len(text) <= limit * 12 and nwords(text) <= limit


def is_share(text: str) -> bool:
    """Share prompts: "Share this story", "Partager cet article : Facebook Twitter"."""
    if not _short(text, 15):
        return False
    key = _fold(text)
    names = phrases()["social_networks"]  # a name must be in the text to be found as a word
    networks = sum(1 for n, w in zip(names, _whole_words("social_networks")) if n in key and w.search(key))
    if networks >= 2:
        return True
    return not key.endswith(".") and _pattern("share").search(key)


def is_comments(text: str) -> bool:
    """Comment-section notices and calls to comment."""
    return _short(text, 25) and _pattern("comments").search(_fold(text))


def is_newsletter(text: str) -> bool:
    """Newsletter, subscription, "Join …" and follow-us calls."""
    if not _short(text, 25):
        return False
    key = _fold(text)
    if not _pattern("newsletter").search(key) and not (nwords(key) <= 8 and "newsletter" in key):
        return False
    # "Join the Dailyherald" yes; "Join the army, he said." no
    return not (key.startswith("join") and (nwords(key) > 6 or key.endswith(".")))


def is_notice(text: str) -> bool:
    """reCAPTCHA, cookie, privacy, copyright, ad-blocker and javascript notices."""
    return _short(text, 45) and _pattern("notice").search(_fold(text))


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
    return _short(text, 80) and _pattern("caption").search(_fold(text))


def is_byline(text: str) -> bool:
    """Bylines: "By Jane Doe", "avatar by Reuters and X Staff", "Par la rédaction de X"."""
    if not _short(text, 12):
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
        not _short(text, 16)
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


# ---- the stage ----

Rule = Callable[[str], bool]
RULES: tuple[tuple[str, Rule], ...] = (
    ("dateline", is_dateline),
    ("byline", is_byline),
    ("share", is_share),
    ("comments", is_comments),
    ("newsletter", is_newsletter),
    ("notice", is_notice),
    ("caption", is_caption),
)


def classify(text: str) -> str | None:
    """The name of the first rule that calls this paragraph furniture, or None."""
    for name, rule in RULES:
        if rule(text):
            return name
    return None


def _is_headline(text: str) -> bool:
    return not _HEADLINE_END.search(text.rstrip("\"'”’ ")) and 1 <= nwords(text) <= 25


def _is_teaser(text: str) -> bool:
    """A line of a teaser block: a headline, a cut-off blurb, or a date."""
    return (
        (_is_headline(text) and nwords(text) <= 20)
        or (nwords(text) <= 60 and _ELLIPSIS_END.search(text) is not None)
        or is_dateline(text)
    )


def _date_run(paragraphs: list[str], i: int) -> int:
    """How many date lines in a row paragraph i (a date line) stands in."""
    lo = i
    while lo > 0 and is_dateline(paragraphs[lo - 1]):
        lo -= 1
    hi = i + 1
    while hi < len(paragraphs) and is_dateline(paragraphs[hi]):
        hi += 1
    return hi - lo


def strip_furniture(
    paragraphs: list[str], title: str | None = None
) -> tuple[list[str], list[Removed], str | None, str | None]:
    """Split paragraphs into kept body and removed furniture.

    Returns (kept, removed, title, date): the headline (when `title` is not known yet) and the
    first full date of the document's head, found among the paragraphs.
    """
    kept: list[str] = []
    removed: list[Removed] = []
    found_date: str | None = None
    seen: set[str] = set()
    folded_title = fold(title) if title else None
    head = True  # still before the first body paragraph
    i = 0
    teasers_end = -1  # where the last teaser block removed ended
    n = len(paragraphs)
    while i < n:
        text = paragraphs[i]
        key = _fold(text)
        rule = classify(text)
        if rule == "dateline" and _date_run(paragraphs, i) >= 3:
            rule = None  # a schedule, a timeline or a list of events: content, not a dateline
        if rule == "dateline" and head and found_date is None:
            found_date = parse_date(text)
        if rule is None and is_related_heading(text):
            # the heading and the teasers after it, through the last cut-off blurb ("..."): a
            # blurb is what tells teasers from the short body lines that may follow
            removed.append({"text": text, "reason": "boilerplate", "rule": "related"})
            j = last = i + 1
            while (
                j < n
                and j - i <= 8
                and _is_teaser(paragraphs[j])
                and classify(paragraphs[j]) in (None, "dateline")
            ):
                j += 1
                if _teaser_blurb(paragraphs[j - 1]):
                    last = j
            if last == i + 1 and i + 1 < n and is_dateline(paragraphs[i + 1]):
                last = i + 2
            for k in range(i + 1, last):
                removed.append({"text": paragraphs[k], "reason": "boilerplate", "rule": "related"})
            j = last
            i = teasers_end = j
            continue
        if (
            rule is None
            and i + 1 < n
            and _is_headline(text)
            and not head_title_slot(head, title, kept)
            and _teaser_blurb(paragraphs[i + 1])
            and (i == teasers_end or i + 2 >= n or _is_teaser(paragraphs[i + 2]))
        ):
            # a headline and a cut-off blurb are a teaser in a run of teasers; alone before body
            # text they are the page's own subheading and lede (or a poem's first line)
            removed.append({"text": text, "reason": "boilerplate", "rule": "related"})
            removed.append({"text": paragraphs[i + 1], "reason": "boilerplate", "rule": "related"})
            i += 2
            teasers_end = i
            continue
        if rule is None and head and title is None and not kept and _is_headline(text) and n > 1:
            title = text
            folded_title = key
            seen.add(key)
            i += 1
            continue
        if rule is None and (key == folded_title or key in seen and (head or _reads_as_prose(text))):
            rule = "repeated"
        if (
            rule is None
            and head
            and " | " in text
            and nwords(text) <= 8
            and not _TERMINAL.search(text)
            and not _TABLE_ROW.search(text)
        ):
            rule = "header"
        if rule is None:
            kept.append(text)
            seen.add(key)
            if head and (_TERMINAL.search(text) or nwords(text) > 25):
                head = False
        else:
            removed.append({"text": text, "reason": "boilerplate", "rule": rule})
        i += 1
    return kept, removed, title, found_date


def _reads_as_prose(text: str) -> bool:
    """Four words or more ending as a sentence ends, with no code or table characters."""
    return nwords(text) >= 4 and _PROSE_END.search(text) is not None and not _CODE_CHARS.search(text)


def head_title_slot(head: bool, title: str | None, kept: list[str]) -> bool:
    """True where the next headline-like paragraph is the document's own headline."""
    return head and title is None and not kept


def _teaser_blurb(text: str) -> bool:
    # a line that begins with an ellipsis continues something (a console session, a quote)
    return nwords(text) <= 60 and _ELLIPSIS_END.search(text) is not None and not _ELLIPSIS_START.match(text)


def furniture(records: Iterable[Record]) -> Iterator[Record]:
    """Stage: strip furniture; fill `title` and `date` from the text where they are unknown."""
    for rec in records:
        if rec.error is None:
            kept, removed, title, found = strip_furniture(rec.paragraphs, rec.title)
            rec.paragraphs = kept
            rec.removed.extend(removed)
            rec.title = title
            if rec.date is None and found is not None:
                rec.date = found
        yield rec


# ---- blocks that recur across the pages of one site ----

_DIGITS = re.compile(r"\d+")


def site_of(url: str | None) -> str:
    """The host of a URL without "www.", or "" when there is none (all such documents form one site)."""
    if not url:
        return ""
    host = urlsplit(url).hostname or ""
    return host[4:] if host.startswith("www.") else host


def block_key(site: str, text: str) -> int:
    """A short block's identity on one site: folded, digits ignored ("Updated 3/4/2020" recurs)."""
    return xxhash.xxh64_intdigest((site + "\0" + _DIGITS.sub("0", _fold(text))).encode())


class Recurring:
    """Stage: short blocks found in many documents of one site are furniture (rule `recurring`),
    removed from every copy, the first included, in one streaming pass.

    Each record waits in a look-ahead window of `window` documents before it is judged, so a
    block that recurs later in the stream is known when its first copy leaves. A block is
    recurring when at least `min_docs` documents of the site hold it, and at least a fifth of
    the site's documents seen so far: a generic sentence that a few stories share ("He declined
    to comment.") is not furniture.

    Memory: the window's records, a count per site, and at most `capacity` block counts (~100
    bytes each in a dict). When the counts outgrow it, the rarest are forgotten (all blocks seen
    once, then twice, ..., until half remain), as in lossy counting: a block that comes back
    later starts again from one. Furniture is dense (in a fifth of a site's pages), so it
    survives; what is forgotten is mostly the body text of single pages.
    """

    def __init__(
        self, window: int = 256, min_docs: int = 3, max_words: int = 30, capacity: int = 1 << 20
    ) -> None:
        self.window, self.min_docs, self.max_words = window, min_docs, max_words
        self.capacity = capacity
        self.block_docs: dict[int, int] = {}
        self.site_docs: dict[str, int] = {}

    def _forget_rarest(self) -> None:
        counts = self.block_docs
        floor = 1
        while len(counts) > self.capacity // 2:
            counts = {k: n for k, n in counts.items() if n > floor}
            floor += 1
        self.block_docs = counts

    def blocks(self, rec: Record) -> tuple[str, list[int | None]]:
        """A document's site, and the key of each paragraph short enough to be furniture (else
        None): pure, per document, so worker processes can compute it."""
        site = site_of(rec.url)
        return site, [block_key(site, p) if nwords(p) <= self.max_words else None for p in rec.paragraphs]

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        return (rec for rec, _ in self.judge_stream((rec, None, None) for rec in records))

    def judge_stream(
        self, items: Iterable[tuple[Record, tuple[str, list[int | None]] | None, Any]]
    ) -> Iterator[tuple[Record, Any]]:
        """The stage over (record, its `blocks` or None to compute them here, a value carried
        along): (record, value) pairs, in order."""
        pending: deque[tuple[Record, str, list[int | None], Any]] = deque()
        for rec, blocks, carried in items:
            site: str = ""
            keys: list[int | None] = []
            if rec.error is None:
                site, keys = blocks if blocks is not None else self.blocks(rec)
                self.site_docs[site] = self.site_docs.get(site, 0) + 1
                for key in set(k for k in keys if k is not None):
                    self.block_docs[key] = self.block_docs.get(key, 0) + 1
                if len(self.block_docs) > self.capacity:
                    self._forget_rarest()
            pending.append((rec, site, keys, carried))
            if len(pending) > self.window:
                yield self._judge(*pending.popleft())
        while pending:
            yield self._judge(*pending.popleft())

    def _judge(self, rec: Record, site: str, keys: list[int | None], carried: Any) -> tuple[Record, Any]:
        if rec.error is not None or not any(k is not None for k in keys):
            return rec, carried
        floor = max(self.min_docs, self.site_docs.get(site, 0) // 5)
        kept = []
        for text, key in zip(rec.paragraphs, keys):
            if key is not None and self.block_docs.get(key, 0) >= floor:
                rec.removed.append({"text": text, "reason": "boilerplate", "rule": "recurring"})
            else:
                kept.append(text)
        rec.paragraphs = kept
        return rec, carried
